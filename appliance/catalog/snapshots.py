"""Snapshots: frozen, hashed sets of de-identified records with their patient-level splits.

This module alone holds the SQL of the ``snapshots`` and ``snapshot_records`` tables. How a snapshot
is cut (filters, splits, its content hash) is ``appliance.data.snapshots``'s; this is the record.

Snapshot ids are ``<dataset>@vN`` with N the number of snapshots of that dataset so far plus one,
counted inside the write transaction (see ``appliance.catalog.runs`` for why that matters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NewType

from appliance.catalog.base import Source, first, found, loads, now, reader, writer
from appliance.store.db import Connection

SnapshotId = NewType("SnapshotId", str)

_SELECT = ("SELECT snapshot_id, dataset, deid_version, config, report, counts, content_hash, unreviewed_override,"
           " created, created_by FROM snapshots")


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: SnapshotId
    dataset: str
    deid_version: str
    config: dict[str, Any]  # how it was cut: dataset, version, seed, fractions, filters, allow_unreviewed
    report: dict[str, int]  # records dropped by each quality filter
    counts: dict[str, int]  # records per split
    content_hash: str
    unreviewed_override: bool  # cut from a version nobody had marked reviewed (audited)
    created: str
    created_by: str


@dataclass(frozen=True)
class SplitRecord:
    """A de-identified record of a snapshot's split (text and metadata de-identified; the patient id is not)."""

    record_id: int
    patient_id: str
    text: str
    metadata: dict[str, Any]
    note_type: str | None


def _from_row(row: tuple[Any, ...]) -> Snapshot:
    return Snapshot(SnapshotId(row[0]), row[1], row[2], loads(row[3]) or {}, loads(row[4]) or {}, loads(row[5]) or {},
                    row[6], bool(row[7]), row[8], row[9])


def find(source: Source, snapshot_id: str) -> Snapshot | None:
    return first(source, _SELECT + " WHERE snapshot_id = ?", (snapshot_id,), _from_row)


def get(source: Source, snapshot_id: str) -> Snapshot:
    """The snapshot ``snapshot_id``; ``InvalidInput`` (exit 5) when there is none."""
    return found(find(source, snapshot_id), f"no snapshot '{snapshot_id}'")


def with_hash(source: Source, content_hash: str) -> Snapshot | None:
    """The snapshot with this content hash (hashes are unique), if one was made."""
    return first(source, _SELECT + " WHERE content_hash = ?", (content_hash,), _from_row)


def split_records(source: Source, snapshot: Snapshot, split: str) -> list[SplitRecord]:
    """The records of one split, de-identified as in the snapshot's version, in record order.

    A record's metadata is its de-identified one, or the imported one for a version made before
    other fields were de-identified (the fields that snapshot was made with).
    """
    rows = reader(source).execute(
        "SELECT s.record_id, r.patient_id, d.text, COALESCE(d.metadata, r.metadata), r.note_type"
        " FROM snapshot_records s"
        " JOIN records r USING (record_id) JOIN deid_records d ON d.record_id = s.record_id AND d.version_id = ?"
        " WHERE s.snapshot_id = ? AND s.split = ? ORDER BY s.record_id",
        (snapshot.deid_version, snapshot.snapshot_id, split)).fetchall()
    return [SplitRecord(int(r[0]), r[1], r[2], json.loads(r[3]), r[4]) for r in rows]


def create(tx: Connection, *, dataset: str, deid_version: str, config: dict[str, Any], report: dict[str, int],
           counts: dict[str, int], content_hash: str, unreviewed_override: bool, created_by: str,
           splits: Sequence[tuple[int, str]]) -> Snapshot:
    """Allocate the next snapshot id of ``dataset`` and store the snapshot and its ``(record id, split)``
    rows, in the caller's write transaction."""
    writer(tx, "snapshots")
    number = tx.execute("SELECT count(*) FROM snapshots WHERE dataset = ?", (dataset,)).fetchone()[0] + 1
    snapshot = Snapshot(SnapshotId(f"{dataset}@v{number}"), dataset, deid_version, config, report, counts,
                        content_hash, unreviewed_override, now(), created_by)
    tx.execute("INSERT INTO snapshots (snapshot_id, dataset, deid_version, config, report, counts, content_hash,"
               " unreviewed_override, created, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
               (snapshot.snapshot_id, dataset, deid_version, json.dumps(config, sort_keys=True), json.dumps(report),
                json.dumps(counts), content_hash, int(unreviewed_override), snapshot.created, created_by))
    tx.executemany("INSERT INTO snapshot_records (snapshot_id, record_id, split) VALUES (?,?,?)",
                   [(snapshot.snapshot_id, record_id, split) for record_id, split in splits])
    return snapshot
