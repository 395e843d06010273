"""What every note renderer shares: the episode a note belongs to, and the pieces of text all note types use.

A `NoteCtx` is one note to write: the patient's episode, the note's date, type and triage, and a seeded
random generator. The renderers (`stay`, `ward`) build their sections from the pieces here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from appliance.synthetic import clinical as clin
from appliance.synthetic.phi import (
    Clinician,
    Facility,
    Identity,
    age_on,
    age_pieces,
    any_date,
    clinician_ref,
    contact,
    facility_ref,
    ident,
    patient_formal,
    relative_ref,
)
from appliance.synthetic.tables import strings
from appliance.synthetic.text import Pieces, TextBuilder, section


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
COMMON_WORD_SENTENCES: tuple[str, ...] = strings("phrases.json", "COMMON_WORD_SENTENCES")


def cap(s: str) -> str:
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
    return cap(" ".join(words))


def clock(rng: Random) -> str:
    h, m = rng.randint(0, 23), rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50))
    return f"{h:02d}{m:02d}" if rng.random() < 0.5 else f"{h:02d}:{m:02d}"


def age_phrase(ctx: NoteCtx) -> tuple[Pieces, ...]:
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


def note_header(ctx: NoteCtx, title: str, date_label: str) -> TextBuilder:
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
    b.line(date_label, ": ", any_date(ctx.date, r), f"  {clock(r)}" if r.random() < 0.5 else "")
    return b.add("\n")


def meds_list(meds: list[str]) -> str:
    return "".join(f"- {m}\n" for m in meds)


def home_meds(ep: Episode) -> list[str]:
    return [str(c.med) for c in ep.comorbid if c.med is not None]


def pmh(ctx: NoteCtx) -> str:
    names = [clin.expand(c.name, ctx.rng) for c in ctx.ep.comorbid]
    return ", ".join(names) if names else "no significant past medical history"


def complaint_phrase(ctx: NoteCtx) -> str:
    r, p = ctx.rng, ctx.ep.problem
    chosen = r.sample(p.complaints, r.randint(1, 2))
    if r.random() < 0.25:
        # A complaint borrowed from another problem: presentations overlap across specialties.
        other = r.choice(clin.PROBLEMS)
        c = r.choice(other.complaints)
        if c not in chosen:
            chosen.append(c)
    return chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + " and " + chosen[-1]


def contact_line(ctx: NoteCtx) -> TextBuilder:
    r, i = ctx.rng, ctx.ep.ident
    return section(
        r.choice(("Emergency contact: ", "Contact: ", "NOK: ")),
        relative_ref(i, r),
        ", ",
        contact(i.relative_phone, "phone"),
        "\n",
    )


def signature(ctx: NoteCtx, who: Clinician, verb: str = "Electronically signed by") -> TextBuilder:
    r = ctx.rng
    return section("\n", verb, " ", clinician_ref(who, r), " ", any_date(ctx.date, r), " ", clock(r), "\n")


def event_line(ctx: NoteCtx, prefix: str) -> TextBuilder:
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
        b.add(r.choice(COMMON_WORD_SENTENCES))
    elif kind == 8:
        b.add(f"Pain {r.randint(0, 9)}/10; repositioned, {r.choice(('ice applied', 'heat pack', 'PRN given'))}.")
    else:
        b.add("Seen with ", clinician_ref(ep.cast.consultant, r), "; recommendations noted.")
    return b.add("\n")
