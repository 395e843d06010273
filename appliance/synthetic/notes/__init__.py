"""Renderers for the five note types of the synthetic corpus.

Each renderer turns a `NoteCtx` (one patient's episode, the note's date, type and triage, and a seeded
random generator) into `NoteParts`: ordered sections, a filler source for length fitting, and the
reference summary. Renderers are registered in `RENDERERS` by note type: `stay` writes admissions and
discharges, `ward` the radiology, nursing and progress notes, from the pieces in `common`.

Contract kept by every renderer, relied on by the tests and by the task labels:
- at least one patient-name span (the surname is always part of it), so one patient's notes agree;
- the problem name and the key medication appear verbatim in required sections, so the reference
  summary mentions only what the note says;
- the summary itself never contains an identifier.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.synthetic.notes.common import Cast, Episode, NoteCtx
from appliance.synthetic.notes.stay import render_admission, render_discharge
from appliance.synthetic.notes.ward import render_nursing, render_progress, render_radiology
from appliance.synthetic.text import NoteParts

__all__ = ["NOTE_TYPES", "RENDERERS", "TYPICAL_CHARS", "Cast", "Episode", "NoteCtx"]

NOTE_TYPES: tuple[str, ...] = ("admission", "discharge", "radiology", "nursing", "progress")

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
