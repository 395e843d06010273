"""Renderers for the notes written during a stay: radiology report, nursing note and progress note.
The contract every renderer keeps is in `appliance.synthetic.notes`.
"""

from __future__ import annotations

from appliance.synthetic import clinical as clin
from appliance.synthetic.notes.common import (
    COMMON_WORD_SENTENCES,
    NoteCtx,
    age_phrase,
    cap,
    clock,
    complaint_phrase,
    contact_line,
    event_line,
    note_header,
    signature,
    study_title,
)
from appliance.synthetic.phi import (
    any_date,
    clinician_ref,
    contact,
    ident,
    patient_formal,
    patient_ref,
    relative_ref,
)
from appliance.synthetic.tables import strings
from appliance.synthetic.text import NoteParts, Section, TextBuilder, section

# ---------------------------------------------------------------------------------------------------
# Radiology report

_INCIDENTAL: tuple[str, ...] = strings("phrases.json", "INCIDENTAL")


def render_radiology(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    header = note_header(ctx, f"RADIOLOGY REPORT\nEXAM: {p.study.name}", "Exam date")
    header.add("Ordering physician: ", clinician_ref(ep.cast.attending, r), "\n\n")
    history = section(
        "CLINICAL HISTORY: ",
        age_phrase(ctx),
        f" with {complaint_phrase(ctx)}; {ctx.name}, on ",
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
            f"{cap(ep.device_kind)} noted, serial number ",
            ident(ep.ident.device, "device"),
            " per device registry.\n",
        )
    impression_text = clin.pick(p.study.impression, ctx.triage, r)
    impression = section("\nIMPRESSION:\n1. ", impression_text, "\n")
    sig = TextBuilder()
    if ctx.urgent:
        sig.add("Critical result discussed with ", clinician_ref(ep.cast.attending, r), f" at {clock(r)}.\n")
    sig.extend(signature(ctx, ctx.radiologist, r.choice(("Dictated by", "Read by", "Electronically signed by"))))
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
        ". ".join(cap(s) for s in items),
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
    plan = section("Plan: ", r.choice(COMMON_WORD_SENTENCES), " Continue to monitor; call MD for changes.\n")
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
    return NoteParts(sections, lambda: event_line(ctx, f"{clock(r)}: "), 1, summary)


# ---------------------------------------------------------------------------------------------------
# Progress note


def render_progress(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    i = ep.ident
    hd = (ctx.date - ep.admit).days + 1
    header = note_header(
        ctx,
        r.choice(("PROGRESS NOTE", "DAILY PROGRESS NOTE", "SOAP NOTE")) + f" - HD#{hd}",
        "Date of service",
    )
    subjective = section(
        "S: Seen at bedside, ",
        patient_ref(i.person, r),
        ". ",
        cap(clin.pick(p.nursing, ctx.triage, r)),
        ". ",
        r.choice(("No acute events overnight.", "Events overnight as below.", "Reports poor sleep.")),
        "\n",
    )
    objective = section(
        "O: ",
        clin.render_vitals(clin.vitals(p, ctx.triage, r), r),
        ". ",
        cap(clin.pick(p.exam, ctx.triage, r)),
        ". Labs: ",
        "; ".join([clin.pick(p.labs, ctx.triage, r)] + clin.base_labs(r, 1)),
        "\n",
    )
    ap = section(
        "A/P: ",
        age_phrase(ctx),
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
    sig = signature(ctx, r.choice((ep.cast.attending, ep.cast.consultant)), r.choice(("Signed", "Seen and examined,")))
    sections = [
        Section(header),
        Section(subjective),
        Section(objective),
        Section(ap),
        Section(remote, False, 1),
        Section(contact_line(ctx), False, 2),
        Section(sig),
    ]
    trend = "worsening, care escalated" if ctx.urgent else "improving"
    summary = f"Progress note for {ctx.name}, {trend}; continuing {ctx.key_med}."
    return NoteParts(sections, lambda: event_line(ctx, "Overnight: "), 2, summary)
