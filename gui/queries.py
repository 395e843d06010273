"""Read-only look-ups the pages need that ``appliance`` services do not return yet.

Every query here goes through ``Workspace.read()`` (the documented connection for queries), never
writes, and returns plain values without PHI. Each one belongs in the core service named in its
docstring; when the service grows it, the page should call that instead and this function goes.
Call them inside an Op (``gui.ops``): they touch the database.
"""

from __future__ import annotations

import json
from typing import Any

from appliance.catalog import deid_versions as deid_version_records
from appliance.catalog.deid_versions import DeidVersion
from appliance.workspace import Workspace

VersionInfo = DeidVersion  # the name the pages know it by


def deid_versions(ws: Workspace, dataset: str) -> list[DeidVersion]:
    """Versions of ``dataset``, newest first."""
    return deid_version_records.list_versions(ws, dataset)


def job_result(ws: Workspace, job_id: str) -> dict[str, Any]:
    """The stored result of a finished job (belongs in ``appliance.jobs.JobRow``)."""
    row = ws.read().execute("SELECT result FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None or not row[0]:
        return {}
    value = json.loads(row[0])
    return value if isinstance(value, dict) else {}
