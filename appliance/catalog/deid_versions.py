"""De-identified versions of a dataset, their records, and who opened which record for review.

This module alone holds the SQL of the ``deid_versions``, ``deid_records`` and ``deid_record_opens``
tables. How records are de-identified and reviewed is ``appliance.deid.service``'s; this is the record.

A version is ``running`` while its records are written in batches (``write_batch``, each batch its
own short transaction: the ``start`` and ``complete`` writes carry the audit entries), then
``complete``; starting a new version of a dataset marks any version a killed job left ``running`` as
``failed``. Version ids are ``<dataset>@deidN``, N counted inside the write transaction of ``start``.

Original texts returned here (``ReviewRecord.original``, ``ScoredRecord.text``) are PHI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from appliance.catalog.base import Source, first, reader, writer
from appliance.errors import InvalidInput
from appliance.store.db import Connection

_SELECT = ("SELECT version_id, dataset, config, status, records, spans, content_hash, reviewed, reviewed_by,"
           " reviewed_at, created, created_by FROM deid_versions")
_NEWEST = " ORDER BY created DESC, rowid DESC"


@dataclass(frozen=True)
class DeidVersion:
    version_id: str  # <dataset>@deidN
    dataset: str
    config: str  # the DeidConfig as sorted JSON, exactly as stored (engines are cached by it)
    status: str  # running, complete or failed
    records: int
    spans: int
    content_hash: str  # '' while running; fixed when a reviewer marks it reviewed
    reviewed: bool
    reviewed_by: str | None
    reviewed_at: str | None
    created: str
    created_by: str


@dataclass(frozen=True)
class VersionRecord:
    """A de-identified record with the patient it belongs to (the patient id is not de-identified)."""

    record_id: int
    patient_id: str
    text: str
    metadata: dict[str, Any] | None  # None for versions made before other fields were de-identified


@dataclass(frozen=True)
class QueueEntry:
    """A record in the review queue: how risky its de-identification looks, no text."""

    record_id: int
    risk: float
    spans: list[dict[str, Any]]
    corrected: bool


@dataclass(frozen=True)
class ReviewRecord:
    """A record as a reviewer sees it: the original (PHI), its spans and the de-identified text."""

    record_id: int
    original: str
    patient_id: str
    deidentified: str
    spans: list[dict[str, Any]]
    risk: float
    corrected: bool


def _from_row(row: tuple[Any, ...]) -> DeidVersion:
    return DeidVersion(row[0], row[1], row[2], row[3], int(row[4] or 0), int(row[5] or 0), row[6], bool(row[7]),
                       row[8], row[9], row[10], row[11])


def latest_complete(source: Source, dataset: str) -> DeidVersion | None:
    """The newest complete version of ``dataset``, if it has one."""
    return first(source, _SELECT + " WHERE dataset = ? AND status = 'complete'" + _NEWEST + " LIMIT 1", (dataset,),
                 _from_row)


def version_records(source: Source, version_id: str) -> list[VersionRecord]:
    """Every record of the version, in record order."""
    rows = reader(source).execute(
        "SELECT d.record_id, r.patient_id, d.text, d.metadata FROM deid_records d JOIN records r USING (record_id)"
        " WHERE d.version_id = ? ORDER BY d.record_id", (version_id,)).fetchall()
    return [VersionRecord(int(r[0]), r[1], r[2], None if r[3] is None else json.loads(r[3])) for r in rows]


def find(source: Source, version_id: str) -> DeidVersion | None:
    return first(source, _SELECT + " WHERE version_id = ?", (version_id,), _from_row)


def list_versions(source: Source, dataset: str) -> list[DeidVersion]:
    """Every version of ``dataset``, newest first."""
    return [_from_row(r) for r in reader(source).execute(_SELECT + " WHERE dataset = ?" + _NEWEST, (dataset,))]


def stored_records(source: Source, version_id: str) -> Iterator[tuple[int, str, str, str | None]]:
    """``(record id, text, spans JSON, metadata JSON or None)`` of every record, in record order, exactly
    as stored (the version's content hash is computed over these strings)."""
    yield from reader(source).execute("SELECT record_id, text, spans, metadata FROM deid_records WHERE version_id = ?"
                                      " ORDER BY record_id", (version_id,))


def review_queue(source: Source, version_id: str, limit: int) -> list[QueueEntry]:
    """Up to ``limit`` records, uncorrected first, then by risk (highest first), then by id."""
    rows = reader(source).execute("SELECT record_id, risk, spans, corrected FROM deid_records WHERE version_id = ?"
                                  " ORDER BY corrected, risk DESC, record_id LIMIT ?", (version_id, limit))
    return [QueueEntry(int(r[0]), float(r[1]), json.loads(r[2]), bool(r[3])) for r in rows]


def review_record(source: Source, version_id: str, record_id: int) -> ReviewRecord:
    """The record with its original; ``InvalidInput`` when the version does not hold it."""
    row = reader(source).execute(
        "SELECT r.text, r.patient_id, d.text, d.spans, d.risk, d.corrected FROM deid_records d"
        " JOIN records r USING (record_id) WHERE d.version_id = ? AND d.record_id = ?",
        (version_id, record_id)).fetchone()
    if row is None:
        raise InvalidInput(f"record {record_id} is not in version '{version_id}'")
    return ReviewRecord(record_id, row[0], row[1], row[2], json.loads(row[3]), row[4], bool(row[5]))


def scored_records(source: Source, version_id: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """``(note id, original text, detected spans)`` of every record, for scoring against planted PHI."""
    rows = reader(source).execute("SELECT r.note_id, r.text, d.spans FROM deid_records d JOIN records r"
                                  " USING (record_id) WHERE d.version_id = ? ORDER BY d.record_id", (version_id,))
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


def opened(source: Source, version_id: str, record_id: int, user: str) -> bool:
    return reader(source).execute("SELECT 1 FROM deid_record_opens WHERE version_id = ? AND record_id = ? AND user = ?",
                                  (version_id, record_id, user)).fetchone() is not None


def coverage(source: Source, version_id: str) -> tuple[int, int]:
    """``(records, records opened by anyone)`` of the version."""
    records, seen = reader(source).execute(
        "SELECT count(*), count(o.record_id) FROM deid_records d LEFT JOIN"
        " (SELECT DISTINCT record_id FROM deid_record_opens WHERE version_id = ?) o USING (record_id)"
        " WHERE d.version_id = ?", (version_id, version_id)).fetchone()
    return int(records), int(seen)


# -- writing -----------------------------------------------------------------------------------


def start(tx: Connection, dataset: str, config: str, created: str, created_by: str) -> DeidVersion:
    """Close versions of ``dataset`` a killed job left running (``failed``), allocate the next version
    id and insert it ``running``, in the caller's write transaction."""
    writer(tx, "de-identified versions")
    tx.execute("UPDATE deid_versions SET status = 'failed' WHERE dataset = ? AND status = 'running'", (dataset,))
    number = tx.execute("SELECT count(*) FROM deid_versions WHERE dataset = ?", (dataset,)).fetchone()[0] + 1
    version = DeidVersion(f"{dataset}@deid{number}", dataset, config, "running", 0, 0, "", False, None, None,
                          created, created_by)
    tx.execute("INSERT INTO deid_versions (version_id, dataset, config, status, records, spans, content_hash,"
               " created, created_by) VALUES (?,?,?,?,?,?,?,?,?)",
               (version.version_id, dataset, config, version.status, 0, 0, "", created, created_by))
    return version


def write_batch(conn: Connection, version_id: str, rows: Sequence[tuple[int, str, str, float, str]]) -> None:
    """Store ``(record id, text, spans JSON, risk, metadata JSON)`` rows of a running version in one short
    transaction of their own (not audited one by one: ``start`` and ``complete`` are)."""
    if conn.in_transaction:
        raise RuntimeError("a batch of de-identified records commits on its own, outside another transaction")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT INTO deid_records (version_id, record_id, text, spans, risk, metadata)"
                         " VALUES (?,?,?,?,?,?)", [(version_id, *row) for row in rows])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def complete(tx: Connection, version_id: str, records: int, spans: int, content_hash: str) -> None:
    writer(tx, "de-identified versions").execute(
        "UPDATE deid_versions SET status = 'complete', records = ?, spans = ?, content_hash = ? WHERE version_id = ?",
        (records, spans, content_hash, version_id))


def correct(tx: Connection, version_id: str, record_id: int, text: str, spans: str, risk: float) -> None:
    """Store a reviewer's correction of one record (``spans`` as JSON); the record is marked corrected."""
    writer(tx, "de-identified records").execute(
        "UPDATE deid_records SET text = ?, spans = ?, risk = ?, corrected = 1 WHERE version_id = ? AND record_id = ?",
        (text, spans, risk, version_id, record_id))


def note_opened(tx: Connection, version_id: str, record_id: int, user: str, when: str) -> None:
    """Store that ``user`` opened the record (a first opening only; later ones change nothing)."""
    writer(tx, "record openings").execute(
        "INSERT OR IGNORE INTO deid_record_opens (version_id, record_id, user, opened) VALUES (?,?,?,?)",
        (version_id, record_id, user, when))


def mark_reviewed(tx: Connection, version_id: str, reviewed_by: str, reviewed_at: str, content_hash: str) -> None:
    writer(tx, "de-identified versions").execute(
        "UPDATE deid_versions SET reviewed = 1, reviewed_by = ?, reviewed_at = ?, content_hash = ?"
        " WHERE version_id = ?",
        (reviewed_by, reviewed_at, content_hash, version_id))
