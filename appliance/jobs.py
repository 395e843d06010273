"""Long work (de-identification, training, evaluation, export) as child processes.

A job runs as ``python -m appliance.jobs`` in its own session (closing the GUI or the terminal does
not kill it). The parent writes one JSON line on the child's stdin (workspace, user, password, kind,
params) and closes it: the password never appears in the process list or the environment. The child
writes JSON-lines events on stdout::

    {"event": "started", "job_id": ...}
    {"event": "progress", "step": 10, "total": 200, ...}      (throttled: a few per second)
    {"event": "done", "result": {...}} | {"event": "failed", "message": ..., "exit_code": N}
                                       | {"event": "cancelled", ...}

Cancellation is cooperative: SIGTERM sets a flag that the job's loop checks between steps
(``JobContext.should_stop``), so a job stops at a point where nothing is half-written.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NewType

from appliance.catalog import jobs as job_records
from appliance.errors import EXIT_ERROR, ApplianceError, InvalidInput
from appliance.workspace import Workspace

JobId = NewType("JobId", str)


class JobCancelled(Exception):
    """Raised by ``JobContext.check_stop`` when the job was asked to stop."""


@dataclass
class JobContext:
    """What a job function gets: the open workspace, its parameters, and ways to report."""

    ws: Workspace
    job_id: JobId
    params: dict[str, Any]
    _out: IO[str]
    min_interval: float = 0.25
    _last_progress: float = 0.0
    _stop: bool = False
    _detached: bool = False
    last_event: dict[str, Any] = field(default_factory=dict)

    def event(self, name: str, **fields: Any) -> None:
        """Write one event. If nobody reads any more (the launcher exited), the job carries on
        silently: its final state is in the jobs table either way."""
        record = {"event": name, "job_id": self.job_id, "time": time.time(), **fields}
        self.last_event = record
        if self._detached:
            return
        try:
            self._out.write(json.dumps(record, default=str) + "\n")
            self._out.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._detached = True

    def progress(self, step: int, total: int, **fields: Any) -> None:
        """Report progress; dropped if the previous one was under ``min_interval`` ago (except the last)."""
        now = time.monotonic()
        if step < total and now - self._last_progress < self.min_interval:
            return
        self._last_progress = now
        self.event("progress", step=step, total=total, **fields)

    def should_stop(self) -> bool:
        return self._stop or _TERM_REQUESTED

    def check_stop(self) -> None:
        if self.should_stop():
            raise JobCancelled()


JobFn = Callable[[JobContext], dict[str, Any]]
JOB_KINDS: dict[str, JobFn] = {}


def register_job(kind: str) -> Callable[[JobFn], JobFn]:
    def wrap(fn: JobFn) -> JobFn:
        JOB_KINDS[kind] = fn
        return fn
    return wrap


@register_job("verify")
def verify_job(ctx: JobContext) -> dict[str, Any]:
    """Whole-workspace verification (chain, pages, every blob chunk) as a job: it can take minutes."""

    def progress(done: int, total: int) -> None:
        ctx.progress(done, total, unit="blobs")
        ctx.check_stop()

    return ctx.ws.verify(progress=progress).to_json()


#: Where each job kind lives; imported only when a job of that kind starts (they pull in heavy libraries).
JOB_MODULES = {
    "deid": "appliance.deid.service",
    "tune": "appliance.tune.service",
    "evaluate": "appliance.evaluate.service",
    "export": "appliance.export.service",
    "compare": "appliance.compare",
}


def _load_job_kind(kind: str) -> None:
    import importlib

    if kind in JOB_MODULES:
        importlib.import_module(JOB_MODULES[kind])


# -- child side --------------------------------------------------------------------------------

_TERM_REQUESTED = False


def _on_term(signum: int, frame: Any) -> None:
    global _TERM_REQUESTED
    _TERM_REQUESTED = True


def child_main() -> int:
    # First thing: a cancel that arrives while the job is still starting must not kill it unrecorded.
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    # Keep the event stream clean: anything libraries print goes to stderr, events to the real stdout.
    events_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    spec = json.loads(sys.stdin.readline())
    job_id = JobId(spec["job_id"])

    def fail(message: str, code: int) -> int:
        record = {"event": "failed", "job_id": job_id, "message": message, "exit_code": code}
        try:
            events_out.write(json.dumps(record) + "\n")
        except OSError:
            pass
        return code

    try:
        ws = Workspace.open(Path(spec["workspace"]), spec["user"], spec["password"])
    except ApplianceError as exc:
        return fail(str(exc), exc.exit_code)
    del spec["password"]
    with ws:
        reap_dead_jobs(ws)
        _load_job_kind(spec["kind"])
        fn = JOB_KINDS.get(spec["kind"])
        if fn is None:
            return fail(f"unknown job kind '{spec['kind']}'", InvalidInput.exit_code)
        ctx = JobContext(ws=ws, job_id=job_id, params=spec.get("params", {}), _out=events_out)
        with ws.transaction("job.start", [job_id], {"kind": spec["kind"]}) as conn:
            job_records.start(conn, job_id, spec["kind"], ctx.params, ws.user.name, os.getpid())
        ctx.event("started", kind=spec["kind"], pid=os.getpid())
        status, code, result, message = "done", 0, {}, ""
        try:
            result = fn(ctx)
        except JobCancelled:
            status, code = "cancelled", 130
        except ApplianceError as exc:
            status, code, message = "failed", exc.exit_code, str(exc)
        except Exception as exc:  # noqa: BLE001  (an internal error must still close the job record)
            # The exception text may quote data; only the type and the code location are reported.
            frames = traceback.extract_tb(exc.__traceback__)
            where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
            status, code, message = "failed", EXIT_ERROR, f"internal error {type(exc).__name__} at {where}"
        with ws.transaction("job.end", [job_id], {"kind": spec["kind"], "status": status}) as conn:
            job_records.finish(conn, job_id, status, result if status == "done" else {"message": message})
        if status == "done":
            ctx.event("done", result=result)
        elif status == "cancelled":
            ctx.event("cancelled", exit_code=code)
        else:
            ctx.event("failed", message=message, exit_code=code)
        return code


# -- parent side -------------------------------------------------------------------------------


@dataclass
class JobHandle:
    job_id: JobId
    process: subprocess.Popen[str]

    def events(self) -> Iterator[dict[str, Any]]:
        """Yield the child's events until it exits. Lines that are not JSON are skipped."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue
        self.process.wait()

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)


def new_job_id(kind: str) -> JobId:
    return JobId(f"{kind}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}")


def child_command() -> list[str]:
    """The argv of a job process (for launchers other than ``start``, e.g. the GUI's QProcess)."""
    return [sys.executable, "-m", "appliance.jobs"]


def child_environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("APPLIANCE_PASSWORD", None)
    env.pop("APPLIANCE_NEW_PASSWORD", None)
    return env


def spec_line(job_id: JobId, workspace: Path, user: str, password: str, kind: str, params: dict[str, Any]) -> str:
    """The one line a launcher writes on the job's stdin (then closes stdin). Holds the password."""
    return json.dumps({"job_id": job_id, "workspace": str(workspace), "user": user, "password": password,
                       "kind": kind, "params": params}) + "\n"


def start(workspace: Path, user: str, password: str, kind: str, params: dict[str, Any],
          stderr: int | IO[Any] | None = None) -> JobHandle:
    """Start a job in a child process of its own session and hand it its credentials on stdin."""
    job_id = new_job_id(kind)
    process = subprocess.Popen(
        child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
        text=True, start_new_session=True, env=child_environment(),
    )
    assert process.stdin is not None
    process.stdin.write(spec_line(job_id, workspace, user, password, kind, params))
    process.stdin.close()
    return JobHandle(job_id, process)


def run(workspace: Path, user: str, password: str, kind: str, params: dict[str, Any],
        on_event: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Start a job and follow it to the end; returns its final event (done, failed or cancelled)."""
    handle = start(workspace, user, password, kind, params)
    final: dict[str, Any] = {"event": "failed", "message": "job ended without a result", "exit_code": EXIT_ERROR}
    try:
        for event in handle.events():
            if on_event:
                on_event(event)
            if event.get("event") in ("done", "failed", "cancelled"):
                final = event
    except KeyboardInterrupt:
        handle.cancel()
        for event in handle.events():
            if event.get("event") in ("done", "failed", "cancelled"):
                final = event
    if handle.process.returncode and final.get("event") == "done":
        final = {"event": "failed", "message": f"job exited with {handle.process.returncode}",
                 "exit_code": EXIT_ERROR}
    if handle.process.returncode and handle.process.returncode < 0:
        final = {"event": "failed", "message": f"job killed by signal {-handle.process.returncode}",
                 "exit_code": EXIT_ERROR}
    return final


@dataclass(frozen=True)
class JobRow:
    job_id: str
    kind: str
    user: str
    pid: int | None
    status: str
    started: str
    ended: str | None
    alive: bool


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"appliance.jobs" in cmdline


def reap_dead_jobs(ws: Workspace) -> list[str]:
    """Close the records of jobs left 'running' by a process that is gone (killed, or the machine went
    down): each becomes 'failed' with an audit entry. Their scratch is removed by ``Workspace.open``.
    Returns the job ids closed."""
    closed = []
    for job in job_records.list_jobs(ws):
        if job.status != "running" or _alive(job.pid):
            continue
        with ws.transaction("job.end", [job.job_id], {"kind": job.kind, "status": "failed", "reason": "killed"}) as tx:
            if (current := job_records.find(tx, job.job_id)) is not None and current.status == "running":
                job_records.finish(tx, job.job_id, "failed", {"message": "the job's process ended without "
                                                                         "recording an end (killed)"})
        closed.append(job.job_id)
    return closed


def list_jobs(ws: Workspace) -> list[JobRow]:
    """Jobs, newest first. A 'running' job whose process is gone is shown as not alive (killed)."""
    return [JobRow(job_id=j.job_id, kind=j.kind, user=j.user, pid=j.pid, status=j.status, started=j.started,
                   ended=j.ended, alive=j.status == "running" and _alive(j.pid)) for j in job_records.list_jobs(ws)]


def job_result(ws: Workspace, job_id: str) -> dict[str, Any]:
    """The stored result of a finished job ({} while it runs), e.g. for a GUI re-attached after restart."""
    job = job_records.find(ws, job_id)
    if job is None:
        raise InvalidInput(f"no job '{job_id}' in this workspace")
    return dict(job.result) if job.result else {}


def cancel(ws: Workspace, job_id: str) -> bool:
    """Ask a running job to stop (SIGTERM, checked between steps). False if it is not running."""
    for job in list_jobs(ws):
        if job.job_id == job_id:
            if not job.alive or job.pid is None:
                return False
            if job.user != ws.user.name:
                ws.require("admin")
            with ws.transaction("job.cancel", [job_id], {"kind": job.kind}):
                os.kill(job.pid, signal.SIGTERM)
            return True
    raise InvalidInput(f"no job '{job_id}' in this workspace")


if __name__ == "__main__":
    # Run from the imported module, not this ``__main__`` copy: job kinds register themselves in
    # ``appliance.jobs.JOB_KINDS``, which would otherwise be a different dict.
    from appliance import jobs as _jobs

    sys.exit(_jobs.child_main())
