"""Read-only look-ups the pages need that ``appliance`` services do not return yet.

Every query here goes through ``Workspace.read()`` (the documented connection for queries), never
writes, and returns plain values without PHI. Each one belongs in the core service named in its
docstring; when the service grows it, the page should call that instead and this function goes.
Call them inside an Op (``gui.ops``): they touch the database.
"""

from __future__ import annotations

from typing import Any

from appliance.catalog import deid_versions as deid_version_records
from appliance.catalog import jobs as job_records
from appliance.catalog.deid_versions import DeidVersion
from appliance.workspace import Workspace

VersionInfo = DeidVersion  # the name the pages know it by


def deid_versions(ws: Workspace, dataset: str) -> list[DeidVersion]:
    """Versions of ``dataset``, newest first."""
    return deid_version_records.list_versions(ws, dataset)


def job_result(ws: Workspace, job_id: str) -> dict[str, Any]:
    """The stored result of a finished job (belongs in ``appliance.jobs.JobRow``)."""
    job = job_records.find(ws, job_id)
    return job.result if job is not None and isinstance(job.result, dict) else {}
