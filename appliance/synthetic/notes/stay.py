"""Renderers for the notes that open and close a stay: the admission history and physical, and the
discharge (or transfer) summary. The contract every renderer keeps is in `appliance.synthetic.notes`.
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
    home_meds,
    meds_list,
    note_header,
    pmh,
    signature,
    study_title,
)
from appliance.synthetic.phi import (
    address_pieces,
    age_pieces,
    any_date,
    clinician_ref,
    contact,
    facility_ref,
    fmt_date,
    ident,
    patient_ref,
    relative_ref,
)
from appliance.synthetic.tables import strings
from appliance.synthetic.text import NoteParts, Section, section

# ---------------------------------------------------------------------------------------------------
# Admission history and physical


def render_admission(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    i = ep.ident
    complaints = complaint_phrase(ctx)
    hpi = clin.pick_all(p.hpi, ctx.triage, r, r.randint(1, 2))
    hpi_b = section(
        "HISTORY OF PRESENT ILLNESS:\n",
        patient_ref(i.person, r),
        " is a ",
        age_phrase(ctx),
        " with PMH of ",
        pmh(ctx),
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
    social.add(" at ", address_pieces(i.address, r), f". {cap(i.occupation)}. {ep.smoking}.")
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
        age_phrase(ctx),
        " admitted with ",
        ctx.name,
        ".\n",
        f"# {ctx.name}: {clin.pick(p.plan, ctx.triage, r)}. Start {ctx.key_med}.\n",
    )
    for c in ep.comorbid[:2]:
        plan.add(f"# {clin.expand(c.name, r)}: ", f"continue {c.med}" if c.med else "monitor", "\n")
    plan.add(r.choice(COMMON_WORD_SENTENCES), " Code status: ", r.choice(("Full code", "DNR/DNI")), ".\n")
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
    title = r.choice(("ADMISSION HISTORY AND PHYSICAL", "H&P", "ADMISSION NOTE"))
    sections = [
        Section(note_header(ctx, title, "Admission date")),
        Section(section(f"CHIEF COMPLAINT: {complaints}\n\n"), False, 1),
        Section(hpi_b),
        Section(section("PAST MEDICAL HISTORY: ", pmh(ctx), f". PSH: {r.choice(_SURGERIES)}.\n\n"), False, 3),
        Section(section("HOME MEDICATIONS:\n", meds_list(home_meds(ep)) or "None\n", "\n"), False, 3),
        Section(section(f"ALLERGIES: {r.choice(_ALLERGIES)}\n\n"), False, 5),
        Section(social, False, 2),
        Section(family, False, 6),
        Section(exam, False, 1),
        Section(labs, False, 1),
        Section(imaging, False, 4),
        Section(plan),
        Section(contact_line(ctx), False, 2),
        Section(registration, False, 3),
        Section(signature(ctx, ep.cast.attending)),
    ]
    summary = f"Admitted with {ctx.name} presenting with {complaints}; started {ctx.key_med}."
    return NoteParts(sections, lambda: event_line(ctx, f"ED course {clock(r)}: "), 10, summary)


_SURGERIES: tuple[str, ...] = strings("phrases.json", "SURGERIES")
_ALLERGIES: tuple[str, ...] = strings("phrases.json", "ALLERGIES")


# ---------------------------------------------------------------------------------------------------
# Discharge summary


def render_discharge(ctx: NoteCtx) -> NoteParts:
    r, ep, p = ctx.rng, ctx.ep, ctx.ep.problem
    i = ep.ident
    header = note_header(
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
    dx = section(f"PRINCIPAL DIAGNOSIS: {ctx.name}\nSECONDARY: {pmh(ctx)}\n\n")
    course = section(
        "HOSPITAL COURSE:\n",
        patient_ref(i.person, r),
        " is a ",
        age_phrase(ctx),
        " who presented ",
        "on ",
        any_date(ep.admit, r),
        " with ",
        complaint_phrase(ctx),
        ". ",
        cap(clin.pick(p.hpi, "urgent" if r.random() < 0.6 else "routine", r)),
        ". ",
        f"Treated with {ctx.key_med}. ",
    )
    course.add(cap(clin.pick(p.plan, ctx.triage, r)), ".\n")
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
    meds = section("DISCHARGE MEDICATIONS:\n", meds_list([ctx.key_med] + home_meds(ep)), "\n")
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
        Section(signature(ctx, ep.cast.attending)),
    ]
    if ctx.urgent:
        summary = f"Transfer summary for {ctx.name}; transferred on {ctx.key_med} for higher level of care."
    else:
        summary = f"Discharge summary for {ctx.name}; discharged home on {ctx.key_med}."
    return NoteParts(sections, lambda: event_line(ctx, "- "), 2, summary)
