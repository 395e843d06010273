"""Jobs: the record of every long piece of work run as a child process, how it ended and its result.

This module alone holds the SQL of the ``jobs`` table. Starting, following and cancelling the process
is ``appliance.jobs``'s; this is the record. A job's id is made by its launcher (random), not counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appliance.catalog.base import Source, first, loads, now, reader, writer
from appliance.store.db import Connection

_SELECT = "SELECT job_id, kind, params, user, pid, status, started, ended, result FROM jobs"


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    params: dict[str, Any]
    user: str
    pid: int | None
    status: str  # running, done, failed or cancelled
    started: str
    ended: str | None
    result: Any  # the job's result when done, {"message": ...} when it failed or was cancelled; None while running


def _from_row(row: tuple[Any, ...]) -> Job:
    return Job(row[0], row[1], loads(row[2]) or {}, row[3], row[4], row[5], row[6], row[7], loads(row[8]))


def list_jobs(source: Source) -> list[Job]:
    """Every job, newest first."""
    return [_from_row(r) for r in reader(source).execute(_SELECT + " ORDER BY started DESC, job_id")]


def find(source: Source, job_id: str) -> Job | None:
    return first(source, _SELECT + " WHERE job_id = ?", (job_id,), _from_row)


def start(tx: Connection, job_id: str, kind: str, params: dict[str, Any], user: str, pid: int) -> None:
    """Record a job that starts now (``running``), in the caller's transaction."""
    writer(tx, "jobs").execute(
        "INSERT INTO jobs (job_id, kind, params, user, pid, status, started) VALUES (?,?,?,?,?,?,?)",
        (job_id, kind, json.dumps(params), user, pid, "running", now()))


def finish(tx: Connection, job_id: str, status: str, result: Any) -> None:
    """Record how a job ended (``done``, ``failed`` or ``cancelled``) and its result, ended now."""
    writer(tx, "jobs").execute("UPDATE jobs SET status = ?, ended = ?, result = ? WHERE job_id = ?",
                               (status, now(), json.dumps(result, default=str), job_id))
