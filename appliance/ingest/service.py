"""Importing into a workspace: Records from ``read_path`` into the encrypted ``records`` table.

One import is one transaction with one audit entry: a crash or a ``--strict`` refusal leaves the
dataset exactly as it was, and no record is ever half-written. A note is stored once per patient:
a record whose text (compared case- and whitespace-insensitively) the patient already has is folded
into the existing record and counted as a duplicate, so re-importing a file adds nothing and a note
that an EHR sends twice (a DocumentReference and a DiagnosticReport) is one record that names both.
The summary says, for every file, which locations were imported, folded, skipped and rejected, and why.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.catalog import datasets as dataset_records
from appliance.catalog.datasets import Dataset, DatasetName
from appliance.errors import InvalidInput
from appliance.ingest import ImportOptions, ProgressFn, Record, Rejected, Skipped, list_sources, read_path
from appliance.ingest.normalise import text_key
from appliance.store.db import Connection
from appliance.workspace import Workspace

DatasetInfo = Dataset  # the name pages and the CLI know it by
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LISTED_SKIPS = 1000


@dataclass
class FileReport:
    """What became of every resource, message or row of one source file (locations and reasons only).

    `duplicates` pairs a location with the source of the record it was folded into. `skipped` groups
    locations by reason, since a bulk export can hold millions of resources that carry no note.
    """

    imported: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self, file: str) -> dict[str, Any]:
        return {
            "file": file,
            "imported": self.imported,
            "duplicates": [{"location": loc, "of": of} for loc, of in self.duplicates],
            "skipped": [{"reason": reason, "count": len(locs), "locations": locs[:_LISTED_SKIPS]}
                        for reason, locs in self.skipped.items()],
            "rejected": [{"location": loc, "reason": reason} for loc, reason in self.rejected],
        }


@dataclass
class ImportSummary:
    dataset: str
    imported: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    skipped: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    records_hash: str = ""
    files: dict[str, FileReport] = field(default_factory=dict)

    def report(self, file: str) -> FileReport:
        return self.files.setdefault(file, FileReport())

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "rejected": [{"file": r.file, "location": r.location, "reason": r.reason} for r in self.rejected],
            "formats": self.formats,
            "records_hash": self.records_hash,
            "files": [report.to_json(file) for file, report in self.files.items()],
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
    now = datetime.now(UTC).isoformat(timespec="seconds")
    details: dict[str, Any] = {}
    with ws.transaction("data.import", [dataset], details) as conn:
        dataset_records.ensure(conn, dataset, now, ws.user.name)
        folder = _Folder(conn, dataset, now)
        for item in read_path(Path(path), fmt, options, progress):
            if isinstance(item, Rejected):
                summary.rejected.append(item)
                summary.report(Path(item.file).name).rejected.append((item.location, item.reason))
            elif isinstance(item, Skipped):
                summary.skipped += 1
                summary.report(Path(item.file).name).skipped.setdefault(item.reason, []).append(item.location)
            else:
                file, _, location = item.source.rpartition(":")
                kept_source = folder.add(item)
                if kept_source is None:
                    summary.imported += 1
                    summary.report(file).imported.append(location)
                else:
                    summary.duplicates += 1
                    summary.report(file).duplicates.append((location, kept_source))
        summary.records_hash = folder.records_hash()
        if strict and summary.rejected:
            summary.imported, summary.duplicates = 0, 0
            raise ImportRefused(summary)  # rolls the whole import back
        if summary.rejected and not summary.imported and not summary.duplicates:
            raise ImportRefused(summary, strict=False)  # leaves no empty dataset behind
        details.update({"dataset": dataset, "imported": summary.imported, "duplicates": summary.duplicates,
                        "skipped": summary.skipped, "rejected": len(summary.rejected), "formats": summary.formats,
                        "strict": strict, "records_hash": summary.records_hash})
    return summary


class _Folder:
    """Inserts records, folding a note that a patient already has (same text, compared by `text_key`).

    The first record of a note is kept. A duplicate found in the same import adds its
    ``metadata["source_ids"]`` to the kept record (whose content hash is then recomputed); a duplicate of
    a record from an earlier import leaves that record as it is. Only hashes and row ids are held in
    memory, and a patient's existing notes are read once, when the import first meets that patient.
    """

    def __init__(self, conn: Connection, dataset: str, now: str) -> None:
        self._conn, self._dataset, self._now = conn, dataset, now
        self._keys: dict[str, tuple[int, str]] = {}  # text key -> (record id, its source)
        self._patients: set[str] = set()
        self._inserted: list[int] = []
        self._inserted_set: set[int] = set()

    def add(self, record: Record) -> str | None:
        """None if inserted, else the source of the record it duplicates."""
        self._load_patient(record.patient_id)
        key = text_key(record.patient_id, record.text)
        kept = self._keys.get(key)
        if kept is None:
            content_hash = record.content_hash()
            exact = dataset_records.with_hash(self._conn, self._dataset, content_hash)
            if exact is not None:  # not expected once the patient's notes are loaded; never break the unique index
                return exact[1]
            record_id = dataset_records.add_record(
                self._conn, self._dataset, note_id=record.note_id, patient_id=record.patient_id,
                source=record.source, date=record.date, note_type=record.note_type, text=record.text,
                metadata=record.metadata, content_hash=content_hash, imported=self._now)
            self._keys[key] = (record_id, record.source)
            self._inserted.append(record_id)
            self._inserted_set.add(record_id)
            return None
        record_id, kept_source = kept
        if record_id in self._inserted_set:
            self._merge_sources(record_id, record.metadata.get("source_ids"))
        return kept_source

    def records_hash(self) -> str:
        """SHA-256 over the content hashes of the records this import inserted, in insertion order."""
        digest = hashlib.sha256()
        hashes = dataset_records.content_hashes(self._conn, self._inserted)
        for record_id in self._inserted:
            digest.update(hashes[record_id].encode())
        return digest.hexdigest()

    def _load_patient(self, patient_id: str) -> None:
        if patient_id in self._patients:
            return
        self._patients.add(patient_id)
        for record_id, source, text in dataset_records.patient_notes(self._conn, self._dataset, patient_id):
            self._keys.setdefault(text_key(patient_id, text), (record_id, source))

    def _merge_sources(self, record_id: int, source_ids: Any) -> None:
        if not isinstance(source_ids, list) or not source_ids:
            return
        row = dataset_records.get_record(self._conn, record_id)
        assert row is not None  # inserted by this import, in this transaction
        metadata = row.metadata
        known = list(metadata.get("source_ids") or [])
        added = [source_id for source_id in source_ids if source_id not in known]
        if not added:
            return
        metadata["source_ids"] = known + added
        kept = Record(note_id=row.note_id, patient_id=row.patient_id, source=row.source, date=row.date,
                      note_type=row.note_type, text=row.text, metadata=metadata)
        new_hash = kept.content_hash()
        if dataset_records.with_hash(self._conn, self._dataset, new_hash) is not None:
            return  # an identical record exists already (unique per dataset); the kept one stays as it was
        dataset_records.set_metadata(self._conn, record_id, metadata, new_hash)


def datasets(ws: Workspace) -> list[Dataset]:
    """Every dataset with its record, patient and note-type counts, by name."""
    return dataset_records.list_datasets(ws)
