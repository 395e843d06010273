"""Datasets and their imported records (PHI: the original notes, inside the encrypted store).

This module alone holds the SQL of the ``datasets`` and ``records`` tables. How an import folds
duplicate notes and what it reports are ``appliance.ingest.service``'s; this is the record.

A record is unique per dataset by its content hash (a unique index), so an import that meets a note
twice can never store it twice. Texts and metadata returned here are PHI: keep them out of logs,
exceptions and audit details.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NewType

from appliance.catalog.base import Source, reader, writer
from appliance.store.db import Connection

DatasetName = NewType("DatasetName", str)
_ID_BATCH = 500  # record ids per IN (...) query, below SQLite's bound-parameter limit


@dataclass(frozen=True)
class Dataset:
    """A dataset with the counts of its records (no PHI)."""

    name: str
    records: int
    patients: int
    note_types: dict[str, int]  # note type ('?' when unknown) -> records, most frequent first
    created: str
    created_by: str


@dataclass(frozen=True)
class StoredRecord:
    """One imported record (its text and metadata are PHI)."""

    record_id: int
    dataset: str
    note_id: str
    patient_id: str
    source: str
    date: str | None
    note_type: str | None
    text: str
    metadata: dict[str, Any]
    content_hash: str


_RECORD = ("SELECT record_id, dataset, note_id, patient_id, source, date, note_type, text, metadata, content_hash"
           " FROM records")


def _record(row: tuple[Any, ...]) -> StoredRecord:
    return StoredRecord(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], row[7], json.loads(row[8]), row[9])


def metadata_json(metadata: dict[str, Any]) -> str:
    """The stored form of a record's metadata (its content hash is computed over the same sorted keys)."""
    return json.dumps(metadata, sort_keys=True, default=str)


# -- datasets ----------------------------------------------------------------------------------


def list_datasets(source: Source) -> list[Dataset]:
    """Every dataset with its record, patient and note-type counts, by name."""
    conn = reader(source)
    out = []
    for name, created, created_by in conn.execute("SELECT name, created, created_by FROM datasets ORDER BY name"):
        records, patients = conn.execute(
            "SELECT count(*), count(DISTINCT patient_id) FROM records WHERE dataset = ?", (name,)).fetchone()
        types = dict(conn.execute("SELECT coalesce(note_type, '?'), count(*) FROM records WHERE dataset = ?"
                                  " GROUP BY 1 ORDER BY 2 DESC", (name,)).fetchall())
        out.append(Dataset(name, records, patients, types, created, created_by))
    return out


def exists(source: Source, name: str) -> bool:
    return reader(source).execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone() is not None


def record_count(source: Source, name: str) -> int:
    return int(reader(source).execute("SELECT count(*) FROM records WHERE dataset = ?", (name,)).fetchone()[0])


def ensure(tx: Connection, name: str, created: str, created_by: str) -> None:
    """Create dataset ``name`` unless it exists (an existing one keeps its creation)."""
    writer(tx, "datasets").execute("INSERT OR IGNORE INTO datasets (name, created, created_by) VALUES (?,?,?)",
                                   (name, created, created_by))


# -- records -----------------------------------------------------------------------------------


def get_record(source: Source, record_id: int) -> StoredRecord | None:
    row = reader(source).execute(_RECORD + " WHERE record_id = ?", (record_id,)).fetchone()
    return None if row is None else _record(row)


def records_after(source: Source, dataset: str, after: int, limit: int) -> list[StoredRecord]:
    """Up to ``limit`` records of ``dataset`` with ids above ``after``, in id order (for batched passes)."""
    rows = reader(source).execute(_RECORD + " WHERE dataset = ? AND record_id > ? ORDER BY record_id LIMIT ?",
                                  (dataset, after, limit)).fetchall()
    return [_record(r) for r in rows]


def patient_notes(source: Source, dataset: str, patient_id: str) -> list[tuple[int, str, str]]:
    """``(record id, source, text)`` of every note the patient has in ``dataset``, oldest record first."""
    rows = reader(source).execute("SELECT record_id, source, text FROM records WHERE dataset = ? AND patient_id = ?"
                                  " ORDER BY record_id", (dataset, patient_id)).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def with_hash(source: Source, dataset: str, content_hash: str) -> tuple[int, str] | None:
    """``(record id, source)`` of the record of ``dataset`` with this content hash, if there is one."""
    row = reader(source).execute("SELECT record_id, source FROM records WHERE dataset = ? AND content_hash = ?",
                                 (dataset, content_hash)).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def content_hashes(source: Source, record_ids: Sequence[int]) -> dict[int, str]:
    """Record id -> content hash, for the given ids (looked up in batches)."""
    conn, out = reader(source), dict[int, str]()
    for start in range(0, len(record_ids), _ID_BATCH):
        ids = list(record_ids[start:start + _ID_BATCH])
        marks = ",".join("?" * len(ids))
        out.update((int(r), str(h)) for r, h in conn.execute(
            f"SELECT record_id, content_hash FROM records WHERE record_id IN ({marks})", ids))  # noqa: S608
    return out


def add_record(tx: Connection, dataset: str, *, note_id: str, patient_id: str, source: str, date: str | None,
               note_type: str | None, text: str, metadata: dict[str, Any], content_hash: str,
               imported: str) -> int:
    """Insert a record in the caller's transaction; returns its new id."""
    cursor = writer(tx, "records").execute(
        "INSERT INTO records (dataset, note_id, patient_id, source, date, note_type, text,"
        " metadata, content_hash, imported) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (dataset, note_id, patient_id, source, date, note_type, text, metadata_json(metadata), content_hash,
         imported))
    return int(cursor.lastrowid)


def set_metadata(tx: Connection, record_id: int, metadata: dict[str, Any], content_hash: str) -> None:
    """Replace a record's metadata and the content hash that covers it."""
    writer(tx, "records").execute("UPDATE records SET metadata = ?, content_hash = ? WHERE record_id = ?",
                                  (metadata_json(metadata), content_hash, record_id))
