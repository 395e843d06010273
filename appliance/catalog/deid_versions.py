"""De-identified versions of a dataset and their records.

This module alone holds the SQL of the ``deid_versions``, ``deid_records`` and ``deid_record_opens``
tables. How records are de-identified and reviewed is ``appliance.deid.service``'s; this is the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appliance.catalog.base import Source, reader

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


def _from_row(row: tuple[Any, ...]) -> DeidVersion:
    return DeidVersion(row[0], row[1], row[2], row[3], int(row[4] or 0), int(row[5] or 0), row[6], bool(row[7]),
                       row[8], row[9], row[10], row[11])


def latest_complete(source: Source, dataset: str) -> DeidVersion | None:
    """The newest complete version of ``dataset``, if it has one."""
    row = reader(source).execute(_SELECT + " WHERE dataset = ? AND status = 'complete'" + _NEWEST + " LIMIT 1",
                                 (dataset,)).fetchone()
    return None if row is None else _from_row(row)


def version_records(source: Source, version_id: str) -> list[VersionRecord]:
    """Every record of the version, in record order."""
    rows = reader(source).execute(
        "SELECT d.record_id, r.patient_id, d.text, d.metadata FROM deid_records d JOIN records r USING (record_id)"
        " WHERE d.version_id = ? ORDER BY d.record_id", (version_id,)).fetchall()
    return [VersionRecord(int(r[0]), r[1], r[2], None if r[3] is None else json.loads(r[3])) for r in rows]
