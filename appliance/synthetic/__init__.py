"""The synthetic clinical-note generator: seeded notes with planted PHI at known offsets and task labels.

The embedded default data set, so the whole pipeline runs and is scored without hospital data. The
public API is here (from `generator`, whose docstring describes the notes, their labels and the
determinism guarantee); the word lists, clinical content and phrases are JSON tables in ``data/``,
typed by `vocab`, `clinical` and the note renderers in `notes`.

Hazard: the notes are synthetic, but they are built to look like PHI. Treat files written from them as
test data, never as something to de-identify "for real".
"""

from __future__ import annotations

from appliance.synthetic.generator import (
    NOTE_TYPES,
    RECORD_FIELDS,
    SPECIALTIES,
    TRIAGES,
    GoldSpan,
    SyntheticNote,
    generate,
    to_record_dict,
    write_csv,
    write_gold_jsonl,
    write_jsonl,
)
from appliance.synthetic.phi import PHI_SUBTYPES

__all__ = [
    "GoldSpan",
    "SyntheticNote",
    "generate",
    "to_record_dict",
    "write_jsonl",
    "write_csv",
    "write_gold_jsonl",
    "PHI_SUBTYPES",
    "NOTE_TYPES",
    "SPECIALTIES",
    "TRIAGES",
    "RECORD_FIELDS",
]
