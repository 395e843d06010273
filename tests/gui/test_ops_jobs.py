"""The two doorways: Op (worker thread, GUI-thread callbacks, one at a time, error dialogs) and
JobRunner (events from a child process; detaching keeps the job alive)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from appliance import jobs as core_jobs
from appliance.errors import InvalidInput
from appliance.workspace import Workspace
from gui.errors import describe
from gui.jobs import JobRunner
from gui.ops import Op
from tests.conftest import PASSWORDS
from tests.gui.conftest import wait_ops


def test_op_runs_off_the_gui_thread_and_calls_back_on_it(qtbot) -> None:
    gui_thread = threading.get_ident()
    seen: dict[str, int] = {}
    reports: list[tuple[int, int]] = []

    def work(report) -> str:
        seen["work"] = threading.get_ident()
        report(1, 2)
        report(2, 2)
        return "result"

    def done(value: str) -> None:
        seen["callback"] = threading.get_ident()
        seen["value"] = len(value)

    Op(None, work).progress(lambda d, t: reports.append((d, t))).success(done).run()
    wait_ops(qtbot)
    assert seen["work"] != gui_thread and seen["callback"] == gui_thread and seen["value"] == 6
    assert reports == [(1, 2), (2, 2)]


def test_ops_run_one_at_a_time_in_order(qtbot) -> None:
    active, peak, order = [0], [0], []
    lock = threading.Lock()

    def work(n: int) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)
        order.append(n)
        with lock:
            active[0] -= 1

    for n in range(5):
        Op(None, lambda n=n: work(n)).run()
    wait_ops(qtbot)
    assert peak[0] == 1 and order == [0, 1, 2, 3, 4]


def test_op_failure_shows_the_message_and_what_to_do(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)

    def fail() -> None:
        raise InvalidInput("dataset 'x' has no records")

    Op(parent, fail).titled("Import failed").run()
    qtbot.waitUntil(lambda: any(isinstance(w, QMessageBox) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=5_000)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert box.windowTitle() == "Import failed"
    assert box.text() == "Dataset 'x' has no records"
    assert box.informativeText() == "Change what the message names and try again; nothing was changed."
    box.close()
    message, step = describe(KeyError("secret patient name"))
    assert "secret" not in message and "defect" in step


def test_job_runner_streams_a_verify_job(qtbot, ws_path: Path, open_session) -> None:
    session = open_session(ws_path, "admin")
    runner = JobRunner()
    started: list[str] = []
    runner.started.connect(started.append)
    with qtbot.waitSignal(runner.finished, timeout=60_000) as finished:
        job_id = runner.start(session, "verify", {})
        assert runner.running
    assert started == [job_id]
    assert finished.args[0]["event"] == "done" and finished.args[0]["result"]["verified"] is True
    assert not runner.running


def test_detached_job_outlives_its_runner(qtbot, ws_path: Path, open_session) -> None:
    session = open_session(ws_path, "admin")
    parent = QWidget()
    runner = JobRunner(parent)
    job_id = runner.start(session, "verify", {})
    qtbot.waitUntil(lambda: runner._process is not None and runner._process.processId() > 0, timeout=10_000)
    runner.detach()
    parent.deleteLater()  # destroying the runner's parent must not kill the job
    qtbot.wait(50)
    deadline = time.monotonic() + 60
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        while True:
            rows = {j.job_id: j for j in core_jobs.list_jobs(ws)}
            if job_id in rows and rows[job_id].status != "running":
                break
            assert time.monotonic() < deadline
            qtbot.wait(100)
    assert rows[job_id].status == "done"


def test_job_panel_reattaches_only_to_its_kinds_and_relays_the_outcome(qtbot, ws_path: Path, open_session) -> None:
    from dataclasses import dataclass

    from gui.job_panel import JobPanel, reason

    @dataclass(frozen=True)
    class Row:
        job_id: str
        kind: str
        user: str

    panel = JobPanel("Verification", open_session(ws_path, "admin"))
    qtbot.addWidget(panel)
    assert panel.reattach([Row("j-1", "deid", "ivy")], ("verify",)) is None
    assert not panel.running and not panel.isVisible()
    finished: list[dict] = []
    panel.finished.connect(finished.append)
    gone = Row("j-gone", "verify", "ivy")  # never recorded: the watcher's first poll ends it
    assert panel.reattach([Row("j-1", "deid", "ivy"), gone], ("verify",)) == gone
    assert panel.watcher.job_id == "j-gone" and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    assert finished[0]["event"] == "failed" and reason(finished[0]) == "the job is no longer recorded"
    assert not panel.running and not panel.cancel_button.isEnabled()
    assert panel.status.text() == "Verification: failed — the job is no longer recorded"
    assert reason({"event": "failed"}) == "no reason given"
