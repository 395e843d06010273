"""Seeded synthetic clinical notes with planted PHI at known offsets and learnable task labels.

This is the embedded default data set: it lets the whole pipeline run, and be scored, without any
hospital data. Two uses shape it:

- De-identification scoring. Every identifier the generator plants is recorded as a `GoldSpan` with the
  exact character offsets of the identifier in `SyntheticNote.text` (`text[start:end]` is the identifier).
  Labels follow HIPAA Safe Harbor, grouped as NAME, LOCATION, DATE, AGE, CONTACT, ID with the subtypes in
  `PHI_SUBTYPES`. Clinical numbers that merely look like identifiers (BP 120/80, pain 7/10, K 4.1, ages
  up to 89, years alone) are not PHI and have no span; names that are ordinary words (Hope, Will, Brown)
  are planted both as names (with spans) and as words (without).
- Tuning scoring. `labels` holds a `specialty` driven by the clinical problem (with overlapping
  complaints, comorbidities and drugs so no single keyword decides it), a `triage` of "urgent" or
  "routine" driven by the findings, and a one-sentence reference `summary` naming the key problem and
  medication exactly as the note states them.

Determinism: the same arguments give byte-identical output on every platform and run. All randomness
flows from `random.Random` instances seeded with strings derived from `seed` (string seeding is hashed
with SHA-512, independent of PYTHONHASHSEED); the global generator is never touched. The patient
population depends only on `seed` and `patients`, not on `n`.

Hazard: the notes are synthetic, but they are built to look like PHI. Treat files written from them as
test data, never as something to de-identify "for real".
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import TextIO

from appliance.synthetic import clinical as clin
from appliance.synthetic.notes import (
    NOTE_TYPES,
    RENDERERS,
    TYPICAL_CHARS,
    Cast,
    Episode,
    NoteCtx,
)
from appliance.synthetic.phi import (
    Clinician,
    Facility,
    make_clinician,
    make_facility,
    make_identity,
    random_date,
)
from appliance.synthetic.tables import strings
from appliance.synthetic.text import fit_to_length

SPECIALTIES: tuple[str, ...] = clin.SPECIALTIES
TRIAGES: tuple[str, ...] = clin.TRIAGES
RECORD_FIELDS: tuple[str, ...] = (
    "note_id",
    "patient_id",
    "date",
    "note_type",
    "text",
    "specialty",
    "triage",
    "summary",
)

# Namespace for derived seeds, so this generator's streams never coincide with another seeded component.
_NS = "appliance.synthetic.v1"

# Probability that a note of each type is urgent: admissions often are, discharges rarely (then a transfer).
_P_URGENT: dict[str, float] = {
    "admission": 0.6,
    "radiology": 0.5,
    "progress": 0.35,
    "nursing": 0.35,
    "discharge": 0.12,
}


@dataclass(frozen=True)
class GoldSpan:
    """One planted identifier: `note.text[start:end]` is exactly the identifier's text."""

    start: int
    end: int
    label: str
    subtype: str | None = None


@dataclass(frozen=True)
class SyntheticNote:
    note_id: str
    patient_id: str
    date: str  # ISO date of the note
    note_type: str  # one of NOTE_TYPES
    text: str
    spans: tuple[GoldSpan, ...]  # sorted by start, non-overlapping
    labels: dict[str, str] = field(hash=False)  # {"specialty", "triage", "summary"}


@dataclass(frozen=True)
class _World:
    """Facilities and staff shared by all patients of one seed."""

    facilities: tuple[Facility, ...]
    attendings: tuple[Clinician, ...]
    pcps: tuple[Clinician, ...]
    nurses: tuple[Clinician, ...]
    radiologists: tuple[Clinician, ...]

    @classmethod
    def build(cls, rng: Random) -> _World:
        used: set[str] = set()
        return cls(
            facilities=tuple(make_facility(rng, used) for _ in range(8)),
            attendings=tuple(make_clinician(rng, rng.choice(("MD", "MD", "DO"))) for _ in range(30)),
            pcps=tuple(make_clinician(rng, rng.choice(("MD", "DO", "NP", "PA-C"))) for _ in range(30)),
            nurses=tuple(make_clinician(rng, "RN") for _ in range(25)),
            radiologists=tuple(make_clinician(rng, "MD") for _ in range(8)),
        )


@dataclass(frozen=True)
class _Plan:
    episode: Episode
    visit_types: tuple[str, ...]
    visit_dates: tuple[date, ...]
    acute: bool  # an acute stay starts urgent and settles; a stable one is mostly routine throughout


_SMOKING: tuple[str, ...] = strings("phrases.json", "SMOKING")


def _visit_types(count: int, rng: Random) -> tuple[str, ...]:
    """An episode reads like a stay: admission first, discharge last, other notes in between."""
    if count == 1:
        return (rng.choices(NOTE_TYPES, weights=(3, 2, 3, 2, 3))[0],)
    middle = rng.choices(("progress", "nursing", "radiology"), weights=(45, 30, 25), k=count - 2)
    return ("admission", *middle, "discharge")


def _plan_patient(j: int, count: int, seed: int, world: _World) -> _Plan:
    rng = Random(f"{_NS}/{seed}/patient/{j}")
    problem = rng.choice(clin.PROBLEMS_BY_SPECIALTY[rng.choice(clin.SPECIALTIES)])
    # About one patient in seven is over 89, so the AGE identifier is common enough to score.
    age = rng.randint(90, 104) if rng.random() < 0.14 else int(rng.triangular(19, 89, 72))
    admit = random_date(rng, date(2016, 1, 1), date(2024, 6, 30))
    dob = admit - timedelta(days=round(age * 365.25) + rng.randint(1, 360))
    facility, other = rng.sample(world.facilities, 2)
    identity = make_identity(rng, dob, facility)
    cast = Cast(facility, other, rng.choice(world.attendings), rng.choice(world.pcps), rng.choice(world.attendings))
    dates = [admit]
    for _ in range(count - 1):
        dates.append(dates[-1] + timedelta(days=rng.choice((0, 1, 1, 1, 2, 3))))
    if problem.has_device:
        device: str | None = clin.DEVICES[0]
    else:
        device = rng.choice(clin.DEVICES) if rng.random() < 0.25 else None
    episode = Episode(
        patient_id=f"P{j + 1:05d}",
        ident=identity,
        cast=cast,
        problem=problem,
        comorbid=tuple(rng.sample(clin.COMORBIDITIES, rng.randint(0, 4))),
        admit=admit,
        discharge=dates[-1],
        prior_study=admit - timedelta(days=rng.randint(30, 1500)),
        followup=dates[-1] + timedelta(days=rng.randint(5, 30)),
        device_kind=device,
        smoking=rng.choice(_SMOKING),
    )
    return _Plan(episode, _visit_types(count, rng), tuple(dates), acute=rng.random() < 0.5)


def _note_counts(n: int, patients: int, rng: Random) -> list[int]:
    """Every patient gets at least one note; the rest go to patients with unequal weights."""
    counts = [1] * patients
    weights = [rng.uniform(0.3, 2.0) for _ in range(patients)]
    for j in rng.choices(range(patients), weights=weights, k=n - patients):
        counts[j] += 1
    return counts


def _target(note_type: str, target_chars: int | None, rng: Random) -> int:
    if target_chars is not None:
        return target_chars
    return max(250, min(5000, round(TYPICAL_CHARS[note_type] * math.exp(rng.gauss(0.0, 0.4)))))


def _make_note(
    note_id: str, plan: _Plan, visit: int, seed: int, world: _World, caps: bool, target_chars: int | None
) -> SyntheticNote:
    ep = plan.episode
    rng = Random(f"{_NS}/{seed}/note/{ep.patient_id}/{visit}")
    note_type = plan.visit_types[visit]
    # Triage follows the stay: acute stays are urgent early and settle, so one patient's notes agree.
    settling = 1.0 - 0.6 * visit / max(1, len(plan.visit_types) - 1)
    p_urgent = min(0.95, _P_URGENT[note_type] * (1.6 * settling if plan.acute else 0.35))
    triage = "urgent" if rng.random() < p_urgent else "routine"
    ctx = NoteCtx(
        ep=ep,
        rng=rng,
        date=plan.visit_dates[visit],
        note_type=note_type,
        triage=triage,
        visit=visit,
        nurse=rng.choice(world.nurses),
        radiologist=rng.choice(world.radiologists),
    )
    target = _target(note_type, target_chars, rng)
    parts = RENDERERS[note_type](ctx)
    built = fit_to_length(parts, target)
    text = built.text
    if caps:
        # Safe for offsets: the builder only accepts ASCII, whose upper case has the same length.
        text = text.upper()
    spans = tuple(GoldSpan(s, e, label, sub) for s, e, label, sub in built.spans)
    labels = {"specialty": ep.problem.specialty, "triage": triage, "summary": parts.summary}
    return SyntheticNote(note_id, ep.patient_id, ctx.date.isoformat(), note_type, text, spans, labels)


def generate(
    n: int,
    seed: int,
    *,
    patients: int | None = None,
    caps_fraction: float = 0.1,
    target_chars: int | None = None,
) -> list[SyntheticNote]:
    """Generate `n` notes for `patients` patients (default about n/4), deterministically from `seed`.

    - Each patient has at least one note; a patient's notes share name, identifiers and dates and read
      as one stay (admission, then progress/nursing/radiology, then discharge).
    - Exactly `round(n * caps_fraction)` notes are entirely upper case (as some legacy systems emit).
    - `target_chars` asks for notes of about that many characters (within roughly 15% once above the
      note's core of a few hundred characters); by default lengths vary naturally by note type.

    Raises ValueError for negative `n`, `patients` outside 1..n, `caps_fraction` outside [0, 1] or a
    non-positive `target_chars`.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not 0.0 <= caps_fraction <= 1.0:
        raise ValueError("caps_fraction must be between 0 and 1")
    if target_chars is not None and target_chars <= 0:
        raise ValueError("target_chars must be positive")
    if n == 0:
        return []
    n_patients = max(1, round(n / 4)) if patients is None else patients
    if not 1 <= n_patients <= n:
        raise ValueError(f"patients must be between 1 and n ({n}), got {n_patients}")

    world = _World.build(Random(f"{_NS}/{seed}/world"))
    assign = Random(f"{_NS}/{seed}/assign/{n}/{n_patients}")
    counts = _note_counts(n, n_patients, assign)
    slots = [(j, k) for j in range(n_patients) for k in range(counts[j])]
    assign.shuffle(slots)
    caps = set(assign.sample(range(n), round(n * caps_fraction)))
    plans = [_plan_patient(j, counts[j], seed, world) for j in range(n_patients)]
    return [
        _make_note(f"N{i + 1:06d}", plans[j], k, seed, world, i in caps, target_chars) for i, (j, k) in enumerate(slots)
    ]


# ---------------------------------------------------------------------------------------------------
# Writers


def to_record_dict(note: SyntheticNote) -> dict[str, str]:
    """Flat record in the importers' shape: the fields of `RECORD_FIELDS`, all strings."""
    return {
        "note_id": note.note_id,
        "patient_id": note.patient_id,
        "date": note.date,
        "note_type": note.note_type,
        "text": note.text,
        "specialty": note.labels["specialty"],
        "triage": note.labels["triage"],
        "summary": note.labels["summary"],
    }


def _gold_dict(note: SyntheticNote) -> dict[str, object]:
    return {
        "id": note.note_id,
        "text": note.text,
        "spans": [{"start": s.start, "end": s.end, "label": s.label, "subtype": s.subtype} for s in note.spans],
    }


def _write_atomic(path: str | os.PathLike[str], write: Callable[[TextIO], None]) -> None:
    """Write via a sibling temporary file and rename, so a failure never leaves a half-written file."""
    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_jsonl(notes: Iterable[SyntheticNote], path: str | os.PathLike[str]) -> None:
    """One JSON object per line with the fields of `RECORD_FIELDS`; UTF-8, '\\n' line ends."""
    _write_atomic(path, lambda f: f.writelines(json.dumps(to_record_dict(n), ensure_ascii=False) + "\n" for n in notes))


def write_csv(notes: Iterable[SyntheticNote], path: str | os.PathLike[str]) -> None:
    """CSV with a header row of `RECORD_FIELDS`.

    Texts contain newlines and are quoted; read the file back with `open(..., newline="")`.
    """

    def write(f: TextIO) -> None:
        writer = csv.DictWriter(f, fieldnames=RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(to_record_dict(n) for n in notes)

    _write_atomic(path, write)


def write_gold_jsonl(notes: Iterable[SyntheticNote], path: str | os.PathLike[str]) -> None:
    """Gold standard for de-identification scoring.

    One JSON object per line: {"id", "text", "spans": [{"start", "end", "label", "subtype"}]}.
    """
    _write_atomic(path, lambda f: f.writelines(json.dumps(_gold_dict(n), ensure_ascii=False) + "\n" for n in notes))
