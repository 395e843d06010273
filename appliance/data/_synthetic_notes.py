"""Renderers for the five note types of the synthetic corpus.

Each renderer turns a `NoteCtx` (one patient's episode, the note's date, type and triage, and a seeded
random generator) into `NoteParts`: ordered sections, a filler source for length fitting, and the
reference summary. Renderers are registered in `RENDERERS` by note type.

Contract kept by every renderer, relied on by the tests and by the task labels:
- at least one patient-name span (the surname is always part of it), so one patient's notes agree;
- the problem name and the key medication appear verbatim in required sections, so the reference
  summary mentions only what the note says;
- the summary itself never contains an identifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from appliance.data import _synthetic_clinical as clin
from appliance.data._synthetic_phi import (
    Clinician,
    Facility,
    Identity,
    address_pieces,
    age_on,
    age_pieces,
    any_date,
    clinician_ref,
    contact,
    facility_ref,
    fmt_date,
    ident,
    patient_formal,
    patient_ref,
    relative_ref,
)
from appliance.data._synthetic_text import NoteParts, Pieces, Section, TextBuilder, section

NOTE_TYPES: tuple[str, ...] = ("admission", "discharge", "radiology", "nursing", "progress")


@dataclass(frozen=True)
class Cast:
    """The people and places around one patient's episode of care."""

    facility: Facility
    other_facility: Facility
    attending: Clinician
    pcp: Clinician
    consultant: Clinician


@dataclass(frozen=True)
class Episode:
    patient_id: str
    ident: Identity
    cast: Cast
    problem: clin.Problem
    comorbid: tuple[clin.Comorbidity, ...]
    admit: date
    discharge: date
    prior_study: date
    followup: date
    device_kind: str | None
    smoking: str


@dataclass(frozen=True)
class NoteCtx:
    ep: Episode
    rng: Random
    date: date
    note_type: str
    triage: str
    visit: int
    nurse: Clinician
    radiologist: Clinician

    @property
    def age(self) -> int:
        return age_on(self.ep.ident.dob, self.date)

    @property
    def urgent(self) -> bool:
        return self.triage == "urgent"

    @property
    def name(self) -> str:
        return self.ep.problem.name[0 if self.urgent else 1]

    @property
    def key_med(self) -> str:
        return str(self.ep.problem.key_med[0 if self.urgent else 1])


# ---------------------------------------------------------------------------------------------------
# Shared pieces

# Sentences whose capitalised first word is also a first name in the generator's lists: they are not
# identifiers and carry no span, which is exactly what a de-identifier has to learn.
_COMMON_WORD_SENTENCES: tuple[str, ...] = (
    "Will recheck BMP in the AM.",
    "Will continue current plan.",
    "May advance diet as tolerated.",
    "Hope to transition to oral therapy tomorrow.",
    "Grace period for prior authorization requested.",
    "Mark I/O strictly.",
    "Frank discussion held regarding goals of care.",
    "Brown sputum noted.",
    "Patient is hopeful about going home.",
    "Art therapy offered.",
    "Will follow.",
)


def _cap(s: str) -> str:
    """Capitalise the first letter only; str.capitalize() would lower-case acronyms (ST, ABG, SpO2)."""
    return s[:1].upper() + s[1:]


_ACRONYMS = frozenset({"CT", "MRI", "XR", "PA", "AP", "CTA", "RUQ", "MR", "PA/LAT", "1", "2", "3"})


def study_title(study: clin.Study) -> str:
    """'CT HEAD WITHOUT CONTRAST' -> 'CT head without contrast' (acronyms kept)."""
    words = []
    for w in study.name.split(" "):
        bare = w.rstrip(",/")
        if bare in _ACRONYMS:
            words.append(w)
        elif bare == "X-RAY":
            words.append("X-ray" + w[len(bare) :])
        else:
            words.append(w.lower())
    return _cap(" ".join(words))


def _clock(rng: Random) -> str:
    h, m = rng.randint(0, 23), rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50))
    return f"{h:02d}{m:02d}" if rng.random() < 0.5 else f"{h:02d}:{m:02d}"


def _age_phrase(ctx: NoteCtx) -> tuple[Pieces, ...]:
    r, female = ctx.rng, ctx.ep.ident.person.sex == "F"
    age = age_pieces(ctx.age)
    form = r.randrange(4)
    if form == 0:
        return (age, "-year-old ", "woman" if female else "man")
    if form == 1:
        return (age, " y/o ", "F" if female else "M")
    if form == 2:
        return (age, "yo ", "female" if female else "male")
    return (age, " year old ", "female" if female else "male")


def _join(parts: list[Pieces], sep: str) -> list[Pieces]:
    out: list[Pieces] = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.append(p)
    return out


def _header(ctx: NoteCtx, title: str, date_label: str) -> TextBuilder:
    r, ep = ctx.rng, ctx.ep
    i = ep.ident
    b = TextBuilder()
    if r.random() < 0.6:
        b.line(facility_ref(ep.cast.facility, r)).line(title)
    else:
        b.line(title, " - ", facility_ref(ep.cast.facility, r))
    fields: list[Pieces] = [
        (r.choice(("Patient: ", "Name: ", "Pt: ")), patient_formal(i.person, r)),
        (r.choice(("MRN: ", "MR#: ", "MRN ")), ident(i.mrn, "mrn")),
    ]
    if r.random() < 0.7:
        fields.append(("DOB: ", any_date(i.dob, r)))
    if r.random() < 0.35:
        fields.append(("Acct #: ", ident(i.account, "account")))
    if r.random() < 0.4:
        fields.append(("Age/Sex: ", age_pieces(ctx.age), i.person.sex))
    b.line(*_join(fields, r.choice(("   ", " | ", "\n"))))
    b.line(date_label, ": ", any_date(ctx.date, r), f"  {_clock(r)}" if r.random() < 0.5 else "")
    return b.add("\n")


def _meds_list(meds: list[str]) -> str:
    return "".join(f"- {m}\n" for m in meds)


def _home_meds(ep: Episode) -> list[str]:
    return [str(c.med) for c in ep.comorbid if c.med is not None]


def _pmh(ctx: NoteCtx) -> str:
    names = [clin.expand(c.name, ctx.rng) for c in ctx.ep.comorbid]
    return ", ".join(names) if names else "no significant past medical history"


def _complaints(ctx: NoteCtx) -> str:
    r, p = ctx.rng, ctx.ep.problem
    chosen = r.sample(p.complaints, r.randint(1, 2))
    if r.random() < 0.25:
        # A complaint borrowed from another problem: presentations overlap across specialties.
        other = r.choice(clin.PROBLEMS)
        c = r.choice(other.complaints)
        if c not in chosen:
            chosen.append(c)
    return chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + " and " + chosen[-1]


def _contact_line(ctx: NoteCtx) -> TextBuilder:
    r, i = ctx.rng, ctx.ep.ident
    return section(
        r.choice(("Emergency contact: ", "Contact: ", "NOK: ")),
        relative_ref(i, r),
        ", ",
        contact(i.relative_phone, "phone"),
        "\n",
    )


def _signature(ctx: NoteCtx, who: Clinician, verb: str = "Electronically signed by") -> TextBuilder:
    r = ctx.rng
    return section("\n", verb, " ", clinician_ref(who, r), " ", any_date(ctx.date, r), " ", _clock(r), "\n")


def _event(ctx: NoteCtx, prefix: str) -> TextBuilder:
    """One timed event line, used as filler: mostly clinical detail, occasionally an identifier."""
    r, ep = ctx.rng, ctx.ep
    b = TextBuilder().add(prefix)
    kind = r.randrange(10)
    if kind == 0:
        b.add("Repeat vitals: ", clin.render_vitals(clin.vitals(ep.problem, ctx.triage, r), r), ".")
    elif kind == 1:
        b.add("Labs: ", clin.base_labs(r, 1)[0], ".")
    elif kind == 2:
        b.add(str(r.choice(ep.problem.other_meds)), " given.")
    elif kind == 3:
        b.add(clin.pick(ep.problem.nursing, ctx.triage, r), ".")
    elif kind == 4:
        b.add(f"I/O {r.randint(600, 2400)}/{r.randint(300, 2600)} mL.")
    elif kind == 5:
        b.add(f"Ambulated {r.randint(10, 200)} feet with {r.choice(('walker', 'assist x1', 'standby assist'))}.")
    elif kind == 6:
        b.add(
            "Spoke with ",
            relative_ref(ep.ident, r),
            " at ",
            contact(ep.ident.relative_phone, "phone"),
            ", updated on plan.",
        )
    elif kind == 7:
        b.add(r.choice(_COMMON_WORD_SENTENCES))
    elif kind == 8:
        b.add(f"Pain {r.randint(0, 9)}/10; repositioned, {r.choice(('ice applied', 'heat pack', 'PRN given'))}.")
    else:
        b.add("Seen with ", clinician_ref(ep.cast.consultant, r), "; recommendations noted.")
    return b.add("\n")


# ---------------------------------------------------------------------------------------------------
# Admission history and physical


def render_admission(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    i = ep.ident
    complaints = _complaints(ctx)
    hpi = clin.pick_all(p.hpi, ctx.triage, r, r.randint(1, 2))
    hpi_b = section(
        "HISTORY OF PRESENT ILLNESS:\n",
        patient_ref(i.person, r),
        " is a ",
        _age_phrase(ctx),
        " with PMH of ",
        _pmh(ctx),
        " who presents with ",
        complaints,
        ". ",
        " ".join(h[0].upper() + h[1:] + "." for h in hpi),
    )
    if r.random() < 0.4:
        hpi_b.add(" Transferred from ", facility_ref(ep.cast.other_facility, r), " on ", any_date(ep.admit, r), ".")
    if r.random() < 0.5:
        hpi_b.add(" History obtained from the patient and ", relative_ref(i, r), ".")
    hpi_b.add("\n\n")

    social = section("SOCIAL HISTORY: Lives with ", relative_ref(i, r))
    if r.random() < 0.5:
        rel_age = r.randint(25, 99)
        social.add(" (age ", age_pieces(rel_age), ")")
    social.add(" at ", address_pieces(i.address, r), f". {_cap(i.occupation)}. {ep.smoking}.")
    if r.random() < 0.3:
        social.add(" Drives; vehicle plate ", ident(i.plate, "vehicle"), ".")
    social.add("\n\n")

    family = section(
        "FAMILY HISTORY: ",
        r.choice(("Mother", "Father")),
        " with ",
        r.choice(("MI", "stroke", "colon cancer", "type 2 diabetes", "COPD")),
        " at ",
        str(r.randint(45, 80)),
    )
    if r.random() < 0.4:
        family.add("; ", r.choice(("grandmother", "aunt", "mother")), " alive at ", age_pieces(r.randint(85, 103)))
    family.add(".\n\n")

    exam = section(
        "PHYSICAL EXAM:\nVitals: ",
        clin.render_vitals(clin.vitals(p, ctx.triage, r), r),
        "\n",
        "; ".join(clin.pick_all(p.exam, ctx.triage, r, 2)),
        f". A&O x{r.choice((1, 2, 3, 3, 3))}.\n\n",
    )
    labs = section("LABS: ", "; ".join(clin.pick_all(p.labs, ctx.triage, r, 2) + clin.base_labs(r, 2)), "\n\n")
    imaging = section(
        "IMAGING: ",
        study_title(p.study),
        " ",
        any_date(ctx.date, r),
        ": ",
        clin.pick(p.study.impression, ctx.triage, r),
        "\n\n",
    )
    plan = section(
        "ASSESSMENT AND PLAN:\n",
        _age_phrase(ctx),
        " admitted with ",
        ctx.name,
        ".\n",
        f"# {ctx.name}: {clin.pick(p.plan, ctx.triage, r)}. Start {ctx.key_med}.\n",
    )
    for c in ep.comorbid[:2]:
        plan.add(f"# {clin.expand(c.name, r)}: ", f"continue {c.med}" if c.med else "monitor", "\n")
    plan.add(r.choice(_COMMON_WORD_SENTENCES), " Code status: ", r.choice(("Full code", "DNR/DNI")), ".\n")
    registration = section(
        "REGISTRATION: SSN ",
        ident(i.ssn, "ssn"),
        "; ",
        r.choice(("Insurance", "Plan")),
        " member ID ",
        ident(i.health_plan, "health_plan"),
        "; DL# ",
        ident(i.license, "license"),
        "; cell ",
        contact(i.phone, "phone"),
        "; e-mail ",
        contact(i.email, "email"),
        "\n",
    )
    sections = [
        Section(_header(ctx, r.choice(("ADMISSION HISTORY AND PHYSICAL", "H&P", "ADMISSION NOTE")), "Admission date")),
        Section(section(f"CHIEF COMPLAINT: {complaints}\n\n"), False, 1),
        Section(hpi_b),
        Section(section("PAST MEDICAL HISTORY: ", _pmh(ctx), f". PSH: {r.choice(_SURGERIES)}.\n\n"), False, 3),
        Section(section("HOME MEDICATIONS:\n", _meds_list(_home_meds(ep)) or "None\n", "\n"), False, 3),
        Section(section(f"ALLERGIES: {r.choice(_ALLERGIES)}\n\n"), False, 5),
        Section(social, False, 2),
        Section(family, False, 6),
        Section(exam, False, 1),
        Section(labs, False, 1),
        Section(imaging, False, 4),
        Section(plan),
        Section(_contact_line(ctx), False, 2),
        Section(registration, False, 3),
        Section(_signature(ctx, ep.cast.attending)),
    ]
    summary = f"Admitted with {ctx.name} presenting with {complaints}; started {ctx.key_med}."
    return NoteParts(sections, lambda: _event(ctx, f"ED course {_clock(r)}: "), 10, summary)


_SURGERIES = (
    "appendectomy (1998)",
    "cholecystectomy in 2011",
    "none",
    "C-section x2",
    "R TKA 2017",
    "tonsillectomy as a child",
    "CABG x3 in 2015",
    "hernia repair 2009",
)
_ALLERGIES = ("NKDA", "PCN (rash)", "sulfa (hives)", "codeine (nausea)", "contrast dye (anaphylaxis)", "NKA")


# ---------------------------------------------------------------------------------------------------
# Discharge summary


def render_discharge(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    i = ep.ident
    header = _header(
        ctx,
        r.choice(("DISCHARGE SUMMARY", "TRANSFER SUMMARY" if ctx.urgent else "D/C SUMMARY")),
        "Discharge date",
    )
    header.add(
        "Admission date: ",
        any_date(ep.admit, r),
        "   Attending: ",
        clinician_ref(ep.cast.attending, r),
        "\n\n",
    )
    dx = section(f"PRINCIPAL DIAGNOSIS: {ctx.name}\nSECONDARY: {_pmh(ctx)}\n\n")
    course = section(
        "HOSPITAL COURSE:\n",
        patient_ref(i.person, r),
        " is a ",
        _age_phrase(ctx),
        " who presented ",
        "on ",
        any_date(ep.admit, r),
        " with ",
        _complaints(ctx),
        ". ",
        _cap(clin.pick(p.hpi, "urgent" if r.random() < 0.6 else "routine", r)),
        ". ",
        f"Treated with {ctx.key_med}. ",
    )
    course.add(_cap(clin.pick(p.plan, ctx.triage, r)), ".\n")
    procedures = section(
        "PROCEDURES/IMAGING: ",
        study_title(p.study),
        " on ",
        any_date(ep.prior_study if r.random() < 0.2 else ep.admit, r),
        ": ",
        clin.pick(p.study.impression, ctx.triage, r),
        "\n\n",
    )
    consults = section("CONSULTS: ", clinician_ref(ep.cast.consultant, r), "\n\n")
    exam = section(
        "DISCHARGE EXAM: ",
        clin.render_vitals(clin.vitals(p, ctx.triage, r), r),
        ". ",
        clin.pick(p.exam, ctx.triage, r),
        ".\n\n",
    )
    labs = section("DISCHARGE LABS: ", "; ".join([clin.pick(p.labs, ctx.triage, r)] + clin.base_labs(r, 1)), "\n\n")
    meds = section("DISCHARGE MEDICATIONS:\n", _meds_list([ctx.key_med] + _home_meds(ep)), "\n")
    if ctx.urgent:
        dispo = section(
            "DISPOSITION: Transferred to ",
            facility_ref(ep.cast.other_facility, r),
            " for higher level of care; accepting physician ",
            clinician_ref(ep.cast.consultant, r),
            ". Condition: critical.\n\n",
        )
    else:
        dispo = section(
            "DISPOSITION: ",
            r.choice(("Home", "Home with services", "Home with home PT")),
            "; lives with ",
            relative_ref(i, r),
            ". Condition: stable.\n\n",
        )
    follow = section(
        "FOLLOW-UP: ",
        clinician_ref(ep.cast.pcp, r),
        " on ",
        fmt_date(ep.followup, r.choice(("month_day", "month_day", "mdy_slash", "long")), r),
        f" at {r.randint(8, 16)}:{r.choice(('00', '15', '30', '45'))}. Clinic phone ",
        contact(ep.cast.facility.phone, "phone"),
        ". Summary faxed to ",
        contact(ep.cast.facility.fax, "fax"),
        ".\n",
    )
    portal = section(
        "Patient portal: ",
        contact(i.url, "url"),
        "; questions to ",
        contact(i.email, "email"),
        ". Return to ED for worsening symptoms.\n",
    )
    sections = [
        Section(header),
        Section(dx),
        Section(course),
        Section(procedures, False, 2),
        Section(consults, False, 4),
        Section(exam, False, 3),
        Section(labs, False, 3),
        Section(meds),
        Section(dispo),
        Section(follow, False, 1),
        Section(portal, False, 2),
        Section(_signature(ctx, ep.cast.attending)),
    ]
    if ctx.urgent:
        summary = f"Transfer summary for {ctx.name}; transferred on {ctx.key_med} for higher level of care."
    else:
        summary = f"Discharge summary for {ctx.name}; discharged home on {ctx.key_med}."
    return NoteParts(sections, lambda: _event(ctx, "- "), 2, summary)


# ---------------------------------------------------------------------------------------------------
# Radiology report

_INCIDENTAL = (
    "The visualized thyroid is unremarkable.",
    "No suspicious osseous lesion.",
    "Mild degenerative changes of the thoracic spine.",
    "The adrenal glands are normal.",
    "Small hiatal hernia.",
    "No lymphadenopathy by size criteria.",
    "Atherosclerotic calcification of the aorta.",
    "A <<3-8>> mm nodule in the right upper lobe, unchanged.",
    "Incidental <<1.0-2.5>> cm simple renal cyst.",
    "Soft tissues are unremarkable.",
    "No free air.",
    "Limited evaluation due to motion.",
)


def render_radiology(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    header = _header(ctx, f"RADIOLOGY REPORT\nEXAM: {p.study.name}", "Exam date")
    header.add("Ordering physician: ", clinician_ref(ep.cast.attending, r), "\n\n")
    history = section(
        "CLINICAL HISTORY: ",
        _age_phrase(ctx),
        f" with {_complaints(ctx)}; {ctx.name}, on ",
        ctx.key_med,
        ".\n",
    )
    if r.random() < 0.5:
        comparison = section("COMPARISON: ", p.study.name.lower(), " dated ", any_date(ep.prior_study, r), ".\n")
    else:
        comparison = section("COMPARISON: None.\n")
    technique = section(f"TECHNIQUE: {p.study.technique}\n")
    findings = section("\nFINDINGS:\n", clin.pick(p.study.findings, ctx.triage, r), "\n")
    device = TextBuilder()
    if ep.device_kind is not None:
        device.add(
            f"{_cap(ep.device_kind)} noted, serial number ",
            ident(ep.ident.device, "device"),
            " per device registry.\n",
        )
    impression_text = clin.pick(p.study.impression, ctx.triage, r)
    impression = section("\nIMPRESSION:\n1. ", impression_text, "\n")
    sig = TextBuilder()
    if ctx.urgent:
        sig.add("Critical result discussed with ", clinician_ref(ep.cast.attending, r), f" at {_clock(r)}.\n")
    sig.extend(_signature(ctx, ctx.radiologist, r.choice(("Dictated by", "Read by", "Electronically signed by"))))
    sections = [
        Section(header),
        Section(history),
        Section(comparison, False, 1),
        Section(technique, False, 2),
        Section(findings),
        Section(device, ep.device_kind is not None),
        Section(impression),
        Section(sig),
    ]
    first = impression_text.split(". ")[0].rstrip(".")
    summary = f"{study_title(p.study)} for {ctx.name}: {first[0].lower()}{first[1:]}; patient on {ctx.key_med}."

    def filler() -> TextBuilder:
        return section(clin.expand(r.choice(_INCIDENTAL), r), "\n")

    return NoteParts(sections, filler, 4, summary)


# ---------------------------------------------------------------------------------------------------
# Nursing note


def render_nursing(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    i = ep.ident
    header = TextBuilder().line(r.choice(("NURSING NOTE", "Nursing Progress Note", "RN SHIFT NOTE")))
    header.line(
        r.choice(("Pt: ", "Patient: ")),
        patient_formal(i.person, r),
        "  ",
        r.choice(("MRN ", "MR# ")),
        ident(i.mrn, "mrn"),
        f"  Rm {r.randint(200, 899)}{r.choice('AB')}",
    )
    header.line(any_date(ctx.date, r), " ", r.choice(("Day", "Night", "Evening")), " shift").add("\n")
    items = clin.pick_all(p.nursing, ctx.triage, r, 2)
    assess = section(
        "Pt ",
        r.choice(("A&O x3", "A&O x2", "confused, reorients", "alert")),
        ". VS: ",
        clin.render_vitals(clin.vitals(p, ctx.triage, r), r),
        ". ",
        ". ".join(_cap(s) for s in items),
        f". {ctx.key_med} given as ordered for {ctx.name}.\n",
    )
    safety = section(
        f"Pain {r.randint(0, 10)}/10. Fall risk: {r.choice(('high', 'moderate', 'low'))}. "
        f"Skin intact, Braden {r.randint(12, 22)}.\n"
    )
    family = section(
        "Family: ",
        relative_ref(i, r),
        r.choice((" called", " visited")),
        ", updated; best number ",
        contact(i.relative_phone, "phone"),
        ".\n",
    )
    valuables = TextBuilder().add("Valuables: ")
    choice = r.randrange(3)
    if choice == 0:
        valuables.add("wallet with driver's license ", ident(i.license, "license"), " sent to security.\n")
    elif choice == 1:
        valuables.add("family moved pt's car (plate ", ident(i.plate, "vehicle"), ") from ED lot.\n")
    else:
        valuables.add("vehicle VIN ", ident(i.vin, "vehicle"), " recorded for towed car per security.\n")
    if ep.device_kind is not None and r.random() < 0.6:
        valuables.add(f"Home {ep.device_kind}, SN ", ident(i.device, "device"), ", at bedside.\n")
    plan = section("Plan: ", r.choice(_COMMON_WORD_SENTENCES), " Continue to monitor; call MD for changes.\n")
    sig = section("\n/s/ ", clinician_ref(ctx.nurse, r), "\n")
    sections = [
        Section(header),
        Section(assess),
        Section(safety, False, 3),
        Section(family, False, 1),
        Section(valuables, False, 2),
        Section(plan, False, 4),
        Section(sig),
    ]
    status = "unstable, provider notified" if ctx.urgent else "stable overnight"
    summary = f"Nursing note for {ctx.name}, {status}; {ctx.key_med} given as ordered."
    return NoteParts(sections, lambda: _event(ctx, f"{_clock(r)}: "), 1, summary)


# ---------------------------------------------------------------------------------------------------
# Progress note


def render_progress(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    i = ep.ident
    hd = (ctx.date - ep.admit).days + 1
    header = _header(
        ctx,
        r.choice(("PROGRESS NOTE", "DAILY PROGRESS NOTE", "SOAP NOTE")) + f" - HD#{hd}",
        "Date of service",
    )
    subjective = section(
        "S: Seen at bedside, ",
        patient_ref(i.person, r),
        ". ",
        _cap(clin.pick(p.nursing, ctx.triage, r)),
        ". ",
        r.choice(("No acute events overnight.", "Events overnight as below.", "Reports poor sleep.")),
        "\n",
    )
    objective = section(
        "O: ",
        clin.render_vitals(clin.vitals(p, ctx.triage, r), r),
        ". ",
        _cap(clin.pick(p.exam, ctx.triage, r)),
        ". Labs: ",
        "; ".join([clin.pick(p.labs, ctx.triage, r)] + clin.base_labs(r, 1)),
        "\n",
    )
    ap = section(
        "A/P: ",
        _age_phrase(ctx),
        f" with {ctx.name}, ",
        "worsening" if ctx.urgent else "improving",
        ".\n",
        f"# {ctx.name}: {clin.pick(p.plan, ctx.triage, r)}; continue {ctx.key_med}.\n",
    )
    if ep.comorbid:
        c = ep.comorbid[0]
        ap.add(f"# {clin.expand(c.name, r)}: ", f"continue {c.med}" if c.med else "stable", ".\n")
    remote = TextBuilder()
    if r.random() < 0.5:
        remote.add("Family meeting by video; ", relative_ref(i, r), " joined from IP ", contact(i.ip, "ip"), ".\n")
    else:
        remote.add(
            "Remote monitoring data uploaded from IP ",
            contact(i.ip, "ip"),
            "; results at ",
            contact(i.url, "url"),
            ".\n",
        )
    sig = _signature(ctx, r.choice((ep.cast.attending, ep.cast.consultant)), r.choice(("Signed", "Seen and examined,")))
    sections = [
        Section(header),
        Section(subjective),
        Section(objective),
        Section(ap),
        Section(remote, False, 1),
        Section(_contact_line(ctx), False, 2),
        Section(sig),
    ]
    trend = "worsening, care escalated" if ctx.urgent else "improving"
    summary = f"Progress note for {ctx.name}, {trend}; continuing {ctx.key_med}."
    return NoteParts(sections, lambda: _event(ctx, "Overnight: "), 2, summary)


RENDERERS: dict[str, Callable[[NoteCtx], NoteParts]] = {
    "admission": render_admission,
    "discharge": render_discharge,
    "radiology": render_radiology,
    "nursing": render_nursing,
    "progress": render_progress,
}

# Typical lengths in characters (median of a log-normal draw) when the caller sets no target.
TYPICAL_CHARS: dict[str, int] = {
    "admission": 1800,
    "discharge": 1700,
    "radiology": 850,
    "nursing": 600,
    "progress": 1100,
}


def followup_date(discharge: date, rng: Random) -> date:
    return discharge + timedelta(days=rng.randint(5, 30))
