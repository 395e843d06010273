"""Appliance jobs seen from the GUI: ``JobRunner`` starts one and streams its events; ``JobWatcher``
follows one started earlier (by a previous run of the app, or by the CLI) by polling the jobs table.

Both expose the same signals, so a progress panel can show either:

- ``started(job_id: str)``
- ``progress(event: dict)``  the child's ``progress`` events (``step``, ``total`` and extras); a watcher
  has no step counts and emits ``{"event": "progress", "step": 0, "total": 0, "status": ...}``
- ``finished(event: dict)``  exactly once: the final ``done`` / ``failed`` / ``cancelled`` event; if the
  child dies without one, a ``failed`` event saying so
- ``reported(event: dict)``  every other event the child reports (``started``, and kind-specific ones such as a
  tune job's ``run``, ``stage``, ``estimate`` and ``checkpoint``); a watcher has none to give

Nothing here blocks the GUI thread: the runner reacts to ``QProcess`` signals and the watcher to a
``QTimer`` whose polls are Ops.

Hazard: ``QProcess`` kills its child when the ``QProcess`` object is destroyed while the child runs.
A job must outlive the window that started it (it runs in its own session for that reason), so
``detach()`` hands the process to a keeper that drains its output for as long as the app lives, and
at interpreter exit marks each kept process "not running" so that Qt's destructor leaves the child
alone. After the app has exited the job's stdout pipe has no reader: the job carries on only as long
as writing its events to a closed pipe does not stop it, and its outcome is read back from the jobs
table (``JobWatcher``).
"""

from __future__ import annotations

import atexit
import json
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from appliance import jobs as core_jobs
from appliance.errors import EXIT_ERROR
from appliance.workspace import Workspace
from gui.ops import Op
from gui.queries import job_result
from gui.session import Session

FINAL_EVENTS = ("done", "failed", "cancelled")


class _JobProcess(QProcess):
    """A QProcess that can be told to forget its child, so that destroying it does not kill the job."""

    def release(self) -> None:
        # setProcessState is protected: only a subclass may call it. With the state NotRunning the
        # destructor neither kills nor waits; the child is reparented to init when the app exits.
        if self.state() != QProcess.ProcessState.NotRunning:
            self.setProcessState(QProcess.ProcessState.NotRunning)


_detached: list[_JobProcess] = []


def _release_detached() -> None:
    """Run at interpreter exit, before module globals (and so the processes) are torn down."""
    for process in _detached:
        process.release()
    _detached.clear()


atexit.register(_release_detached)


class JobRunner(QObject):
    """Runs one appliance job at a time as a child process (``python -m appliance.jobs``)."""

    started = Signal(str)
    progress = Signal(dict)
    finished = Signal(dict)
    reported = Signal(dict)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: _JobProcess | None = None
        self._buffer = b""
        self._final: dict[str, Any] | None = None
        self.job_id: str | None = None
        self.kind: str | None = None

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, session: Session, kind: str, params: dict[str, Any]) -> str:
        """Start a job of ``kind`` as the session's user. Returns its id; raises if one is running."""
        if self._process is not None:
            raise RuntimeError("this runner already runs a job; wait for it or use another runner")
        job_id = core_jobs.new_job_id(kind)
        spec = core_jobs.spec_line(job_id, session.root, session.user.name, session.password, kind, params)
        process = _JobProcess(self)
        command = core_jobs.child_command()
        process.setProgram(command[0])
        process.setArguments(command[1:])
        env = QProcessEnvironment()
        for key, value in core_jobs.child_environment().items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        # Its own session: no SIGHUP/SIGINT from the terminal or process group of the GUI.
        unix = QProcess.UnixProcessParameters()
        unix.flags = QProcess.UnixProcessFlag.CreateNewSession
        process.setUnixProcessParameters(unix)
        # Library chatter and tracebacks go nowhere: they may quote data, and an unread pipe could fill.
        process.setStandardErrorFile(QProcess.nullDevice())
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._on_exit)
        process.errorOccurred.connect(self._on_error)
        self._process, self._buffer, self._final = process, b"", None
        self.job_id, self.kind = job_id, kind
        process.start()
        # Buffered by QProcess until the child runs; closing stdin tells the child the spec is complete.
        process.write(spec.encode("utf-8"))
        process.closeWriteChannel()
        self.started.emit(job_id)
        return job_id

    def cancel(self) -> None:
        """Ask the job to stop (SIGTERM; the job stops at its next safe point and reports ``cancelled``)."""
        if self._process is not None:
            self._process.terminate()

    def detach(self) -> None:
        """Stop listening and let the job run on without this object (see the module docstring)."""
        process = self._process
        if process is None:
            return
        self._process = None
        # The spec (credentials) sits in QProcess's write buffer until the event loop runs; hand it
        # over now, or a window closed right after starting a job would leave the child waiting on it.
        process.waitForBytesWritten(2000)
        for signal in (process.readyReadStandardOutput, process.finished, process.errorOccurred):
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass
        # Out of this runner (whose parent may be deleted) into the keeper list. Draining the output
        # keeps the child's pipe open and never full while the app lives; at exit it is released.
        process.setParent(None)
        process.readyReadStandardOutput.connect(process.readAllStandardOutput)
        _detached.append(process)

    # -- QProcess callbacks -----------------------------------------------------------------------

    def _read(self) -> None:
        process = self._process
        if process is None:
            return
        self._buffer += bytes(process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._handle_line(line)

    def _handle_line(self, line: bytes) -> None:
        text = line.strip()
        if not text.startswith(b"{"):
            return
        try:
            event = json.loads(text)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        name = event.get("event")
        if name == "progress":
            self.progress.emit(event)
        elif name in FINAL_EVENTS:
            self._final = event
        elif isinstance(name, str):
            self.reported.emit(event)

    def _on_exit(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._read()
        if self._buffer:
            self._handle_line(self._buffer)
            self._buffer = b""
        final = self._final
        if final is None:
            how = ("was killed" if exit_status == QProcess.ExitStatus.CrashExit
                   else f"ended with exit code {exit_code} without reporting a result")
            final = {"event": "failed", "job_id": self.job_id, "exit_code": exit_code or EXIT_ERROR,
                     "message": f"the job {how}; see Jobs for its status and run it again"}
        self._end(final)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._end({"event": "failed", "job_id": self.job_id, "exit_code": EXIT_ERROR,
                       "message": "the job could not start (the appliance's Python was not found)"})

    def _end(self, final: dict[str, Any]) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.deleteLater()
        self.finished.emit(final)


class JobWatcher(QObject):
    """Follows a job this app did not start, by polling ``list_jobs`` until it is no longer running.

    There is no event stream to read (the pipe belonged to the process that started the job), so
    progress is only "still running". Polls are skipped while the session is locked.
    """

    started = Signal(str)
    progress = Signal(dict)
    finished = Signal(dict)
    reported = Signal(dict)  # never emitted: there is no event stream to read (same signals as JobRunner)

    def __init__(self, session: Session, parent: QObject | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self._session = session
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._poll)
        self._polling = False
        self.job_id: str | None = None
        self.kind: str | None = None

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def watch(self, job_id: str, kind: str) -> None:
        self.job_id, self.kind = job_id, kind
        self._timer.start()
        self.started.emit(job_id)
        self._poll()

    def cancel(self) -> None:
        """Ask the job to stop through the workspace (its owner or an admin may)."""
        if self.job_id is None or self._session.locked:
            return
        ws, job_id = self._session.ws, self.job_id
        Op(self, lambda: core_jobs.cancel(ws, job_id)).titled("Could not cancel the job").run()

    def stop(self) -> None:
        self._timer.stop()

    def _poll(self) -> None:
        if self._polling or self._session.locked or self.job_id is None:
            return
        self._polling = True
        ws, job_id = self._session.ws, self.job_id
        Op(self, lambda: _job_state(ws, job_id)).success(self._on_state).failure(self._on_poll_failed).run()

    def _on_poll_failed(self, exc: BaseException) -> None:
        # A poll can fail if the workspace was locked mid-flight; the next tick tries again.
        self._polling = False

    def _on_state(self, state: dict[str, Any]) -> None:
        self._polling = False
        if not self._timer.isActive():
            return
        if state["status"] == "running" and state["alive"]:
            self.progress.emit({"event": "progress", "job_id": self.job_id, "step": 0, "total": 0,
                                "status": "running"})
            return
        self._timer.stop()
        self.finished.emit(_final_event(state))


def running_jobs(ws: Workspace) -> list[core_jobs.JobRow]:
    """Jobs still running in the workspace (call inside an Op)."""
    return [row for row in core_jobs.list_jobs(ws) if row.status == "running" and row.alive]


def _job_state(ws: Workspace, job_id: str) -> dict[str, Any]:
    for row in core_jobs.list_jobs(ws):
        if row.job_id == job_id:
            return {"status": row.status, "alive": row.alive, "result": job_result(ws, job_id)}
    return {"status": "failed", "alive": False, "result": {"message": "the job is no longer recorded"}}


def _final_event(state: dict[str, Any]) -> dict[str, Any]:
    status, result = state["status"], state.get("result") or {}
    if status == "done":
        return {"event": "done", "result": result}
    if status == "cancelled":
        return {"event": "cancelled"}
    if status == "running":  # recorded as running, but its process is gone
        return {"event": "failed", "exit_code": EXIT_ERROR,
                "message": "the job's process ended without finishing (killed or crashed); run it again"}
    return {"event": "failed", "exit_code": result.get("exit_code", EXIT_ERROR),
            "message": result.get("message", f"the job ended with status '{status}'")}
