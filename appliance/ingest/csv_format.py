"""CSV and TSV: one note per row, columns named by the header row.

Locations are the line a row starts on (1-based, header included), so a quoted field that spans lines
is reported where it begins. Rows that are entirely empty (blank lines, trailing ``,,,`` rows that
spreadsheets write) are skipped without a rejection.

A header without the text or patient column (unless `patient_per_note`) makes the whole file one Rejected
at ``line 1``: every row would fail the same way, and one message that names the columns found tells the
user what to fix.

Hazard: the csv module's field size limit is process-wide; reading raises it to
`ImportOptions.max_record_bytes` when it is lower (never lowers it), and fields longer than that many
characters are rejected here, so the option holds whatever the process-wide limit is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from appliance.ingest.base import ImportOptions, Record, Rejected
from appliance.ingest.mapping import record_from_mapping
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_EXTENSION, NO_CLAIM, register
from appliance.ingest.textio import has_undecodable, reading_encoding

_EXTENSIONS = (".csv", ".tsv")
_MAX_LISTED_COLUMNS = 12


class _RowReader(Protocol):
    """What is used of a csv.reader (its class is private)."""

    line_num: int

    def __next__(self) -> list[str]: ...


@register
class CsvImporter:
    name = "csv"

    def claims(self, path: Path, head: bytes) -> int:
        return CLAIM_BY_EXTENSION if path.suffix.lower() in _EXTENSIONS else NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Record | Rejected]:
        delimiter = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
        if csv.field_size_limit() < options.max_record_bytes:
            csv.field_size_limit(options.max_record_bytes)
        # newline="" hands line endings to the csv module, which needs them to read quoted newlines.
        # surrogateescape keeps undecodable bytes visible per field instead of aborting the file.
        with io.TextIOWrapper(
            meter.open(path),
            encoding=reading_encoding(options.encoding),
            errors="surrogateescape",
            newline="",
        ) as stream:
            yield from _read_rows(path, csv.reader(stream, delimiter=delimiter), options)


def _read_rows(path: Path, reader: _RowReader, options: ImportOptions) -> Iterator[Record | Rejected]:
    header: list[str] | None = None
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # csv errors name the problem ("field larger than field limit"), never the data.
            yield Rejected(str(path), f"line {start_line}", f"malformed CSV ({exc})")
            if header is None:
                return
            continue
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            problem = _header_problem(header, options)
            if problem is not None:
                yield Rejected(str(path), f"line {start_line}", problem)
                return
            continue
        yield _row_to_record(path, header, row, start_line, options)
    if header is None:
        yield Rejected(str(path), "line 1", "empty file: no header row")


def _row_to_record(
    path: Path, header: list[str], row: list[str], line: int, options: ImportOptions
) -> Record | Rejected:
    location = f"line {line}"
    if len(row) != len(header):
        return Rejected(str(path), location, f"expected {len(header)} fields, found {len(row)}")
    for column, value in zip(header, row, strict=True):
        # The csv module's own limit is process-wide and only ever raised, so enforce ours here too.
        if len(value) > options.max_record_bytes:
            return Rejected(str(path), location, f"column '{column}' larger than max_record_bytes")
        if has_undecodable(value):
            return Rejected(str(path), location, f"bytes not valid in {options.encoding} in column '{column}'")
    values = dict(zip(header, row, strict=True))
    return record_from_mapping(values, path=path, line=line, location=location, options=options)


def _header_problem(header: list[str], options: ImportOptions) -> str | None:
    if any(has_undecodable(name) for name in header):
        return f"header row is not valid {options.encoding}; set the file's encoding"
    seen: set[str] = set()
    for name in header:
        if name in seen:
            return f"column '{name}' appears twice in the header"
        seen.add(name)
    required = [("text_col", options.text_col)]
    if not options.patient_per_note:
        required.append(("patient_col", options.patient_col))
    for option, column in required:
        if column not in seen:
            listed = ", ".join(header[:_MAX_LISTED_COLUMNS]) + (", ..." if len(header) > _MAX_LISTED_COLUMNS else "")
            hint = " (or patient_per_note if the file has none)" if option == "patient_col" else ""
            return f"no column '{column}' in the header (found: {listed}); set {option}{hint}"
    return None
