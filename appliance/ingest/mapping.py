"""Turning one row of named values (a CSV row, a JSON object) into a Record, shared by CSV and JSONL.

The column names come from ImportOptions; every other column goes into `metadata` unchanged. Text and
patient id are required (unless `patient_per_note`, where the note id stands in for the patient); a
missing note id is derived from the file stem and the line number, which is stable as long as the file
is unchanged, so re-importing a file yields the same content hashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from appliance.ingest.base import ImportOptions, Record, Rejected
from appliance.ingest.normalise import clean_text, normalise_date


class _FieldError(ValueError):
    """A field that cannot be used; the message names the field, never its value."""


def derived_note_id(path: Path, line: int) -> str:
    return f"{path.stem}-{line}"


def record_from_mapping(
    row: Mapping[str, Any], *, path: Path, line: int, location: str, options: ImportOptions
) -> Record | Rejected:
    """A Record from `row`, or a Rejected naming the first problem. Empty strings count as missing."""
    try:
        text = _scalar(row, options.text_col, kind="text")
        patient_id = None if options.patient_per_note else _scalar(row, options.patient_col, kind="patient id")
        note_id = _scalar(row, options.id_col, kind="note id", required=False)
        date = _scalar(row, options.date_col, kind="date", required=False)
        note_type = _scalar(row, options.type_col, kind="note type", required=False)
    except _FieldError as exc:
        return Rejected(str(path), location, str(exc))
    assert text is not None  # required=True guarantees it
    text = clean_text(text)
    if not text:
        return Rejected(str(path), location, f"text column '{options.text_col}' is blank")
    mapped = {options.text_col, options.id_col, options.date_col, options.type_col}
    if not options.patient_per_note:
        mapped.add(options.patient_col)
    note_id = note_id.strip() if note_id else derived_note_id(path, line)
    if patient_id is None:
        patient_id = note_id
    return Record(
        note_id=note_id,
        patient_id=patient_id.strip(),
        source=f"{path.name}:{location}",
        date=normalise_date(date, options.date_formats) if date else None,
        note_type=note_type.strip() if note_type else None,
        text=text,
        metadata={key: value for key, value in row.items() if key not in mapped},
    )


def _scalar(row: Mapping[str, Any], column: str, *, kind: str, required: bool = True) -> str | None:
    """The value of `column` as a string; integers are accepted (ids are often numeric in JSON)."""
    value = row.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _FieldError(f"missing {kind} (column '{column}')")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _FieldError(f"{kind} (column '{column}') must be a string, found {type(value).__name__}")
    return str(value)
