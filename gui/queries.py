"""Read-only look-ups the pages need that ``appliance`` services do not return yet.

Every query here goes through ``Workspace.read()`` (the documented connection for queries), never
writes, and returns plain values without PHI. Each one belongs in the core service named in its
docstring; when the service grows it, the page should call that instead and this function goes.
Call them inside an Op (``gui.ops``): they touch the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appliance.workspace import Workspace


@dataclass(frozen=True)
class VersionInfo:
    """A de-identified version of a dataset (belongs in ``appliance.deid.service``)."""

    version_id: str
    dataset: str
    status: str
    records: int
    spans: int
    created: str
    created_by: str
    reviewed: bool
    reviewed_by: str | None


def deid_versions(ws: Workspace, dataset: str) -> list[VersionInfo]:
    """Versions of ``dataset``, newest first."""
    rows = ws.read().execute(
        "SELECT version_id, dataset, status, records, spans, created, created_by, reviewed, reviewed_by"
        " FROM deid_versions WHERE dataset = ? ORDER BY created DESC, rowid DESC", (dataset,)).fetchall()
    return [VersionInfo(r[0], r[1], r[2], int(r[3] or 0), int(r[4] or 0), r[5], r[6], bool(r[7]), r[8])
            for r in rows]


def job_result(ws: Workspace, job_id: str) -> dict[str, Any]:
    """The stored result of a finished job (belongs in ``appliance.jobs.JobRow``)."""
    row = ws.read().execute("SELECT result FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None or not row[0]:
        return {}
    value = json.loads(row[0])
    return value if isinstance(value, dict) else {}
