"""What an import would read, before it reads (`appliance.ingest.preview`): the format, the file count
and, for CSV/TSV, the header, the first rows and a guessed column mapping. The import wizard shows it;
nothing is written.

`preview(path, options)` reads only the first rows of the first file. `guess_mapping` picks a column for
each role in `MAPPING_ROLES` by name; `options_from_mapping` turns a (possibly edited) mapping back into
ImportOptions, and `dataset_name_for` suggests a dataset name from the path.

PHI hazard: `Preview.rows` (and the header, when a file has none and its first row is data) are PHI.
They stay in memory for the screen; errors raised here name the path and the line, never a value.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from appliance.errors import InvalidInput, UsageError
from appliance.ingest.base import ImportOptions
from appliance.ingest.registry import detect_format, list_sources
from appliance.ingest.textio import reading_encoding

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class MappingRole:
    """One ImportOptions column field the user maps, and the column names guessed for it (any case)."""

    field: str
    required: bool
    candidates: tuple[str, ...]


MAPPING_ROLES: tuple[MappingRole, ...] = (
    MappingRole("text_col", True, ("text", "note_text", "note", "body", "report_text", "content", "narrative",
                                   "report", "note_body")),
    # Optional: a file without one imports each note as its own patient (ImportOptions.patient_per_note).
    MappingRole("patient_col", False, ("patient_id", "patient", "mrn", "pat_id", "subject_id")),
    MappingRole("id_col", False, ("note_id", "id", "document_id", "record_id", "row_id")),
    MappingRole("date_col", False, ("date", "note_date", "service_date", "chartdate", "charttime")),
    MappingRole("type_col", False, ("note_type", "type", "category", "document_type")),
)

ColumnMapping = dict[str, str | None]
"""Column chosen for each role's field; None for an unmapped optional role."""


@dataclass(frozen=True, repr=False)
class Preview:
    """A source as the import would see it. `header`, `rows` and `mapping` are empty unless CSV/TSV."""

    fmt: str
    files: int
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    mapping: ColumnMapping = field(default_factory=dict)

    @property
    def sample_rows(self) -> int:
        return len(self.rows)

    @property
    def is_tabular(self) -> bool:
        return self.fmt == "csv" and bool(self.header)

    def __repr__(self) -> str:  # rows are PHI: never in a repr, a log line or a traceback
        return f"Preview(fmt={self.fmt!r}, files={self.files}, columns={len(self.header)}, rows={self.sample_rows})"


def preview(path: Path, options: ImportOptions | None = None, rows: int = PREVIEW_ROWS) -> Preview:
    """Format and file count of `path`; for CSV/TSV also the header, up to `rows` rows of the first file
    and the guessed mapping. Raises InvalidInput (naming the path, never a value)."""
    options = options or ImportOptions()
    path = Path(path)
    fmt = detect_format(path)
    sources = list_sources(path, fmt)
    if fmt != "csv":
        return Preview(fmt, len(sources))
    header, sample = _csv_head(sources[0][0], options, rows)
    return Preview(fmt, len(sources), header, sample, guess_mapping(header))


def _csv_head(path: Path, options: ImportOptions, limit: int) -> tuple[list[str], list[list[str]]]:
    delimiter = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    if csv.field_size_limit() < options.max_record_bytes:
        csv.field_size_limit(options.max_record_bytes)  # as the importer does: process-wide, only raised
    header: list[str] = []
    rows: list[list[str]] = []
    with open(path, encoding=reading_encoding(options.encoding), errors="replace", newline="") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if not header:
                    header = [cell.strip() for cell in row]
                    continue
                rows.append(row)
                if len(rows) >= limit:
                    break
        except csv.Error as exc:
            # csv errors name the problem ("field larger than field limit"), never the data.
            raise InvalidInput(f"{path}: line {reader.line_num}: malformed CSV ({exc})") from None
    return header, rows


def guess_mapping(header: list[str]) -> ColumnMapping:
    """Column for each role by name (case-insensitive), each column used once. A required role with no
    column of its names then takes the first column no role named; optional roles without a match are None."""
    lowered = {name.lower(): name for name in header}
    used: set[str] = set()
    mapping: ColumnMapping = {}
    for role in MAPPING_ROLES:
        choice = next((lowered[c] for c in role.candidates if c in lowered and lowered[c] not in used), None)
        if choice is not None:
            used.add(choice)
        mapping[role.field] = choice
    for role in MAPPING_ROLES:  # fallbacks only after every role had its pick by name
        if mapping[role.field] is None and role.required:
            choice = next((h for h in header if h not in used), None)
            if choice is not None:
                used.add(choice)
            mapping[role.field] = choice
    return mapping


def options_from_mapping(mapping: Mapping[str, str | None]) -> ImportOptions:
    """ImportOptions for a mapping. An unmapped optional role gets a column name no file has; no patient
    column means every note is its own patient. Raises UsageError if one column is mapped twice."""
    chosen = [column for column in mapping.values() if column is not None]
    if len(chosen) != len(set(chosen)):
        raise UsageError("each column can be mapped to one role only")

    def column(name: str) -> str:
        return mapping.get(name) or f"\x00unmapped-{name}"

    return ImportOptions(text_col=column("text_col"), patient_col=column("patient_col"), id_col=column("id_col"),
                         date_col=column("date_col"), type_col=column("type_col"),
                         patient_per_note=mapping.get("patient_col") is None)


def dataset_name_for(path: Path) -> str:
    """A dataset name suggested by a file's stem or a folder's name (letters, digits, '.', '_', '-')."""
    path = Path(path)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem if path.is_file() else path.name).strip("-._")
    return (name or "notes")[:64]
