"""The local model server as a child process: ``appliance serve`` started and stopped from the GUI.

Why a child process and not a thread: serving loads the models and generates text with torch, which
would compete with the GUI for the interpreter, and the server needs its own workspace connection for
its key store and request audit. The child is exactly the CLI's ``appliance serve`` (the GUI adds no
serving logic of its own); it gets the password on stdin (``--password-file /dev/stdin``), never in its
arguments or environment, like a job gets its spec.

Readiness is seen by polling ``/health`` (the one route without a key) with ``QNetworkAccessManager``,
so nothing here blocks the event loop. ``stop()`` sends SIGTERM: the CLI stops accepting, flushes the
request audit and exits. ``shutdown()`` does the same but waits (briefly) for the exit; the main window
calls it when the app closes, since a server must not outlive the window that started it unnoticed.

Signals: ``ready(url)`` once it answers, ``stopped(message)`` when the process ends (an empty message
after a requested stop, else the CLI's one-line error).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, QUrl, Signal
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkProxy, QNetworkReply, QNetworkRequest

from appliance import jobs as core_jobs
from gui.session import Session

READY_TIMEOUT_MS = 180_000  # loading models on a busy CPU takes a while
POLL_MS = 300


def serve_command(session: Session, exports: Sequence[Path], host: str, port: int) -> list[str]:
    """The argv of ``appliance serve`` for these exports (the password comes on stdin)."""
    python, *_ = core_jobs.child_command()
    argv = [python, "-m", "appliance.cli", "--workspace", str(session.root), "--user", session.user.name,
            "--password-file", "/dev/stdin", "serve", "--host", host, "--port", str(port)]
    for path in exports:
        argv += ["--model", str(path)]
    return argv


class LocalServer(QObject):
    ready = Signal(str)
    stopped = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None
        self._errors: list[str] = []
        self._stopping = False
        self.url = ""
        self.is_ready = False
        self._network = QNetworkAccessManager(self)
        self._network.setProxy(QNetworkProxy(QNetworkProxy.ProxyType.NoProxy))  # loopback only, never a proxy
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_health)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._too_slow)
        self._pending: QNetworkReply | None = None

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, session: Session, exports: Sequence[Path], host: str, port: int) -> None:
        if self._process is not None:
            raise RuntimeError("the server is already running; stop it first")
        command = serve_command(session, exports, host, port)
        process = QProcess(self)
        process.setProgram(command[0])
        process.setArguments(command[1:])
        env = QProcessEnvironment()
        for key, value in core_jobs.child_environment().items():
            env.insert(key, value)
        process.setProcessEnvironment(env)
        process.setStandardOutputFile(QProcess.nullDevice())
        process.readyReadStandardError.connect(self._read_errors)
        process.finished.connect(self._exited)
        process.errorOccurred.connect(self._failed_to_start)
        self._process, self._errors, self._stopping, self.is_ready = process, [], False, False
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        process.start()
        process.write((session.password + "\n").encode("utf-8"))
        process.closeWriteChannel()
        self._poll.start()
        self._deadline.start(READY_TIMEOUT_MS)

    def stop(self) -> None:
        """Ask the server to stop (it finishes the audit of answered requests first)."""
        if self._process is not None:
            self._stopping = True
            self._poll.stop()
            self._process.terminate()

    def shutdown(self, wait_ms: int = 5000) -> None:
        """Stop and wait for the exit (at app close); kill if it does not stop in time."""
        process = self._process
        if process is None:
            return
        self.stop()
        if not process.waitForFinished(wait_ms):
            process.kill()
            process.waitForFinished(1000)

    # -- callbacks --------------------------------------------------------------------------------

    def _check_health(self) -> None:
        if self._pending is not None or self._process is None:
            return
        request = QNetworkRequest(QUrl(self.url + "/health"))
        request.setTransferTimeout(2000)
        reply = self._network.get(request)
        self._pending = reply
        reply.finished.connect(lambda: self._health_answered(reply))

    def _health_answered(self, reply: QNetworkReply) -> None:
        self._pending = None
        status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
        reply.deleteLater()
        if status == 200 and self._process is not None and not self.is_ready:
            self.is_ready = True
            self._poll.stop()
            self._deadline.stop()
            self.ready.emit(self.url)

    def _too_slow(self) -> None:
        if self._process is not None and not self.is_ready:
            self._errors.append("appliance: the server did not answer within 3 minutes; it was stopped")
            self._stopping = False
            self._poll.stop()
            self._process.kill()

    def _read_errors(self) -> None:
        if self._process is None:
            return
        text = bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
        # Only the CLI's own one-line messages are kept: library chatter may say anything.
        self._errors += [line.strip() for line in text.splitlines() if line.startswith("appliance:")]

    def _exited(self, exit_code: int, _status: QProcess.ExitStatus) -> None:
        self._read_errors()
        process, self._process = self._process, None
        self._poll.stop()
        self._deadline.stop()
        self.is_ready = False
        if process is not None:
            process.deleteLater()
        if self._stopping:
            message = ""
        elif self._errors:
            message = self._errors[-1].removeprefix("appliance:").strip()
        else:
            message = f"the server ended with exit code {exit_code}"
        self.stopped.emit(message)

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._process is not None:
            self._errors.append("appliance: the server could not start (the appliance's Python was not found)")
            self._exited(1, QProcess.ExitStatus.CrashExit)
