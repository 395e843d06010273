"""Importing into a workspace: Records from ``read_path`` into the encrypted ``records`` table.

One import is one transaction with one audit entry: a crash or a ``--strict`` refusal leaves the
dataset exactly as it was, and no record is ever half-written. Re-importing the same file adds
nothing (records are unique per dataset by ``Record.content_hash``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NewType

from appliance.errors import InvalidInput
from appliance.ingest import ImportOptions, ProgressFn, Record, Rejected, list_sources, read_path
from appliance.workspace import Workspace

DatasetName = NewType("DatasetName", str)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
BATCH = 500


@dataclass
class ImportSummary:
    dataset: str
    imported: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=dict)
    records_hash: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": [{"file": r.file, "location": r.location, "reason": r.reason} for r in self.rejected],
            "formats": self.formats,
            "records_hash": self.records_hash,
        }


class ImportRefused(InvalidInput):
    """Nothing was imported: a ``--strict`` import met bad input, or every row/message was rejected (a
    wrong column mapping, say). Carries the summary of what was found."""

    def __init__(self, summary: ImportSummary, strict: bool = True) -> None:
        first = summary.rejected[0]
        why = "--strict" if strict else "every row/message was rejected"
        super().__init__(f"{len(summary.rejected)} bad rows/messages (first: {first}); nothing imported ({why})")
        self.summary, self.strict = summary, strict


def check_dataset_name(name: str) -> DatasetName:
    if not _NAME_RE.match(name):
        raise InvalidInput(f"'{name}' is not a valid dataset name (letters, digits, '.', '_', '-'; at most 64)")
    return DatasetName(name)


def import_path(ws: Workspace, path: Path, dataset: str, fmt: str = "auto", options: ImportOptions | None = None,
                strict: bool = False, progress: ProgressFn | None = None) -> ImportSummary:
    """Import a file or folder into ``dataset`` (created if new). See the module docstring for guarantees."""
    ws.require("admin", "informaticist")
    dataset = check_dataset_name(dataset)
    sources = list_sources(Path(path), fmt)  # raises InvalidInput for unreadable or unknown input, before any write
    summary = ImportSummary(dataset=dataset)
    for _, source_format in sources:
        summary.formats[source_format] = summary.formats.get(source_format, 0) + 1
    digest = hashlib.sha256()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    details: dict[str, Any] = {}
    with ws.transaction("data.import", [dataset], details) as conn:
        conn.execute("INSERT OR IGNORE INTO datasets (name, created, created_by) VALUES (?,?,?)",
                     (dataset, now, ws.user.name))
        batch: list[Record] = []

        def flush() -> None:
            for record in batch:
                content_hash = record.content_hash()
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO records (dataset, note_id, patient_id, source, date, note_type, text,"
                    " metadata, content_hash, imported) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (dataset, record.note_id, record.patient_id, record.source, record.date, record.note_type,
                     record.text, json.dumps(record.metadata, sort_keys=True, default=str), content_hash, now))
                if cursor.rowcount == 1:
                    summary.imported += 1
                    digest.update(content_hash.encode())
                else:
                    summary.duplicates += 1
            batch.clear()

        for item in read_path(Path(path), fmt, options, progress):
            if isinstance(item, Rejected):
                summary.rejected.append(item)
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                flush()
        flush()
        summary.records_hash = digest.hexdigest()
        if strict and summary.rejected:
            summary.imported, summary.duplicates = 0, 0
            raise ImportRefused(summary)  # rolls the whole import back
        if summary.rejected and not summary.imported and not summary.duplicates:
            raise ImportRefused(summary, strict=False)  # leaves no empty dataset behind
        details.update({"dataset": dataset, "imported": summary.imported, "duplicates": summary.duplicates,
                        "rejected": len(summary.rejected), "formats": summary.formats, "strict": strict,
                        "records_hash": summary.records_hash})
    return summary


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    records: int
    patients: int
    note_types: dict[str, int]
    created: str
    created_by: str


def datasets(ws: Workspace) -> list[DatasetInfo]:
    conn = ws.read()
    out = []
    for name, created, created_by in conn.execute("SELECT name, created, created_by FROM datasets ORDER BY name"):
        records, patients = conn.execute(
            "SELECT count(*), count(DISTINCT patient_id) FROM records WHERE dataset = ?", (name,)).fetchone()
        types = dict(conn.execute("SELECT coalesce(note_type, '?'), count(*) FROM records WHERE dataset = ?"
                                  " GROUP BY 1 ORDER BY 2 DESC", (name,)).fetchall())
        out.append(DatasetInfo(name, records, patients, types, created, created_by))
    return out
