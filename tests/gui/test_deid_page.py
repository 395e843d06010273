"""De-identification page: the job (progress, finish, a responsive event loop), re-attaching to a job
started elsewhere, review corrections through the editor, marking reviewed, and role gating."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from appliance import jobs as core_jobs
from appliance.workspace import Workspace
from gui.pages.deid import DeidPage
from gui.pages.review_editor import ORIGINAL_WITHHELD
from gui.pages.users import UsersPage
from tests.conftest import PASSWORDS
from tests.gui.conftest import wait_ops


class GapMeter:
    """A 20 ms timer on the GUI thread; the longest interval between ticks is how long the loop blocked."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.max_gap = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.last = time.monotonic()
        self.timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.ticks += 1

    def stop(self) -> None:
        self.timer.stop()


def open_page(qtbot, session) -> DeidPage:
    page = DeidPage(session)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    return page


def test_deid_job_streams_progress_and_finishes(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "ivy"))
    assert page.dataset == "ward" and page.run_button.isEnabled()
    assert [v.version_id for v in page.versions] == ["ward@deid1"]
    progress: list[dict[str, Any]] = []
    started: list[str] = []
    page.job_panel.runner.progress.connect(progress.append)
    page.job_panel.runner.started.connect(started.append)
    with qtbot.waitSignal(page.job_panel.runner.finished, timeout=90_000) as finished:
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        assert page.job_panel.isVisible() and page.job_panel.cancel_button.isEnabled()
        assert not page.run_button.isEnabled()
        assert page.run_button.toolTip() == "A de-identification job is running"

    final = finished.args[0]
    assert final["event"] == "done", final
    assert final["result"]["version"] == "ward@deid2" and final["result"]["records"] == 16
    assert started and started[0].startswith("deid-")
    assert progress and progress[-1]["step"] == progress[-1]["total"] == 16
    assert page.job_panel.bar.value() == page.job_panel.bar.maximum()
    assert page.banner.state == "ok" and "ward@deid2" in page.banner.text()
    wait_ops(qtbot)
    assert [v.version_id for v in page.versions] == ["ward@deid2", "ward@deid1"]
    assert page.version is not None and page.version.version_id == "ward@deid2"  # the new one is shown
    assert page.run_button.isEnabled()


def test_event_loop_never_blocked_while_a_job_runs(qtbot, deid_ws: Path, open_session) -> None:
    """A 20 ms timer keeps ticking (max gap < 200 ms) while a de-identification job runs and the
    reviewer keeps browsing records (each one an Op)."""
    page = open_page(qtbot, open_session(deid_ws, "admin"))
    qtbot.waitUntil(lambda: page.editor.record is not None, timeout=10_000)
    meter = GapMeter()
    meter.start()
    with qtbot.waitSignal(page.job_panel.runner.finished, timeout=90_000) as finished:
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        for _ in range(8):
            page.next_record()
            qtbot.wait(150)
    meter.stop()
    assert finished.args[0]["event"] == "done"
    assert meter.ticks > 50
    assert meter.max_gap < 0.2, f"event loop blocked for {meter.max_gap * 1000:.0f} ms"


def test_reattaches_to_a_job_started_before_the_page(qtbot, deid_ws: Path, open_session) -> None:
    handle = core_jobs.start(deid_ws, "ivy", PASSWORDS["ivy"], "deid", {"dataset": "ward"})
    session = open_session(deid_ws, "ivy")
    deadline = time.monotonic() + 30
    while not any(j.status == "running" and j.alive for j in core_jobs.list_jobs(session.ws)):
        assert time.monotonic() < deadline, "the job never showed up as running"
        time.sleep(0.1)
    page = DeidPage(session)
    page.job_panel.watcher._timer.setInterval(200)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.job_panel.watcher.finished, timeout=90_000) as finished:
        page.refresh()
        qtbot.waitUntil(lambda: page.job_panel.watcher.running, timeout=10_000)
        assert page.banner.state == "info" and "still running" in page.banner.text()
        assert not page.run_button.isEnabled()
    assert finished.args[0]["event"] == "done"
    assert finished.args[0]["result"]["version"] == "ward@deid2"
    assert page.banner.state == "ok"
    handle.process.stdout.close()
    handle.process.wait(timeout=10)


def test_review_remove_and_add_a_span_then_mark_reviewed(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "rex"))
    qtbot.waitUntil(lambda: page.editor.record is not None, timeout=10_000)
    record = page.editor.record
    assert record is not None and record["record_id"] == page.queue[0]["record_id"]  # highest risk first
    spans = record["spans"]

    # Remove: click inside a highlighted identifier, then "Remove identifier" (this one only).
    page.editor.apply_all.setChecked(False)
    target = spans[0]
    page.editor.click_at(target["start"] + 1)
    assert page.editor.selected_span is not None and page.editor.selected_span["start"] == target["start"]
    assert page.editor.remove_button.isEnabled() and not page.editor.add_button.isEnabled()
    qtbot.mouseClick(page.editor.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.editor.record is not None and page.editor.record["corrected"]
                    and len(page.editor.record["spans"]) == len(spans) - 1, timeout=30_000)
    after = page.editor.record
    assert after is not None and after["record_id"] == record["record_id"]
    original_text = record["original"][target["start"]:target["end"]]
    assert original_text in after["deidentified"]

    # Add: select a word no span covers (as a mouse drag would, with a trailing space), label it, add.
    covered = {i for s in after["spans"] for i in range(s["start"], s["end"])}
    text = after["original"]
    start = next(i for i in range(len(text) - 6) if text[i:i + 5].isalpha() and (i == 0 or not text[i - 1].isalpha())
                 and not covered & set(range(i, i + 6)))
    end = start
    while end < len(text) and text[end].isalpha():
        end += 1
    page.editor.select_range(start, end + 1)
    assert page.editor.add_button.isEnabled()
    page.editor.label_combo.setCurrentText("LOCATION")
    qtbot.mouseClick(page.editor.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.editor.record is not None and any(
        (s["start"], s["end"], s["label"], s["source"]) == (start, end, "LOCATION", "reviewer")
        for s in page.editor.record["spans"]), timeout=30_000)
    wait_ops(qtbot)
    assert page.queue[-1]["record_id"] == record["record_id"] and page.queue[-1]["corrected"]
    assert page.current_record_id() == record["record_id"]

    # Next by risk (keyboard) moves down the queue.
    page.queue_table.selectRow(0)
    wait_ops(qtbot)
    first = page.current_record_id()
    qtbot.keyClick(page.queue_table, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    wait_ops(qtbot)
    assert page.current_record_id() == page.queue[1]["record_id"] != first
    assert page.editor.record is not None and page.editor.record["record_id"] == page.queue[1]["record_id"]

    # Mark reviewed: confirm, then corrections and marking are closed.
    assert page.mark_button.isEnabled()
    qtbot.mouseClick(page.mark_button, Qt.MouseButton.LeftButton)
    box = wait_box(qtbot)  # asked once the page has counted the records opened
    yes = next(b for b in box.buttons() if b.text() == "Mark reviewed")
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.version is not None and page.version.reviewed, timeout=20_000)
    wait_ops(qtbot)
    assert page.banner.state == "ok"
    assert not page.mark_button.isEnabled()
    assert page.mark_button.toolTip() == "This version is already marked reviewed"
    assert not page.editor.add_button.isEnabled() and not page.editor.remove_button.isEnabled()
    assert "marked reviewed" in page.editor.add_button.toolTip()
    with Workspace.open(deid_ws, "admin", PASSWORDS["admin"]) as ws:
        actions = [e.action for e in ws.audit_entries(action="deid.*")]
    # Each record's first opening by rex has its own entry; the three records opened are counted.
    assert [a for a in actions if a != "deid.opened"][-3:] == ["deid.correct", "deid.correct", "deid.reviewed"]
    assert actions.count("deid.opened") == 3


def wait_box(qtbot) -> QMessageBox:
    """The message box shown next (confirmations open after an Op, not at once)."""
    def shown() -> list[QMessageBox]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]

    qtbot.waitUntil(lambda: bool(shown()), timeout=10_000)
    return shown()[0]


def test_marking_warns_about_records_never_opened(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "rex"))
    qtbot.waitUntil(lambda: page.editor.record is not None, timeout=10_000)
    wait_ops(qtbot)
    total = len(page.queue)
    assert total == 16

    # One record opened (the first in the queue): the confirmation warns about the other 15; Cancel.
    qtbot.mouseClick(page.mark_button, Qt.MouseButton.LeftButton)
    box = wait_box(qtbot)
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text().startswith("15 of the 16 records in ward@deid1 were never opened for review (only 1 opened)")
    assert "unless you are checking a sample on purpose" in box.text() and "appliance" not in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_ops(qtbot)
    assert page.version is not None and not page.version.reviewed and page.mark_button.isEnabled()

    # Every record opened: no warning; marking records the count in the audit log.
    for row in range(total):
        page.queue_table.selectRow(row)
        wait_ops(qtbot)
        assert page.editor.record is not None and page.editor.record["record_id"] == page.queue[row]["record_id"]
    qtbot.mouseClick(page.mark_button, Qt.MouseButton.LeftButton)
    box = wait_box(qtbot)
    assert box.icon() == QMessageBox.Icon.Question and "All 16 records were opened" in box.text()
    next(b for b in box.buttons() if b.text() == "Mark reviewed").click()
    qtbot.waitUntil(lambda: page.version is not None and page.version.reviewed, timeout=20_000)
    wait_ops(qtbot)
    assert page.banner.state == "ok" and "16 of its 16 records had been opened" in page.banner.text()
    with Workspace.open(deid_ws, "admin", PASSWORDS["admin"]) as ws:
        marked = list(ws.audit_entries(action="deid.reviewed"))[-1]
        assert marked.user == "rex" and marked.details["records"] == 16 and marked.details["opened"] == 16
        assert len(list(ws.audit_entries(action="deid.opened"))) == 16


def test_informaticist_sees_review_actions_disabled_with_reasons(qtbot, deid_ws: Path, open_session) -> None:
    session = open_session(deid_ws, "ivy")
    page = open_page(qtbot, session)
    qtbot.waitUntil(lambda: page.editor.record is not None, timeout=10_000)
    assert not page.mark_button.isEnabled()
    assert page.mark_button.toolTip() == "Reviewers and admins mark versions reviewed"
    # the de-identified text and the span list, never the original (README: reviewers and admins only)
    assert page.editor.record["original"] is None and page.editor.record["spans"]
    assert page.editor.original.toPlainText() == ORIGINAL_WITHHELD
    assert page.editor.deidentified.toPlainText() == page.editor.record["deidentified"]
    page.editor.click_at(3)
    assert page.editor.selected_span is None
    assert not page.editor.remove_button.isEnabled()
    assert page.editor.remove_button.toolTip() == "Reviewers and admins correct identifiers"
    assert page.run_button.isEnabled()

    users = UsersPage(session)
    qtbot.addWidget(users)
    assert not users.add_button.isEnabled() and users.add_button.toolTip() == "Only admins add users"
    assert not users.rotate_button.isEnabled()
    assert users.change_button.isEnabled()  # everyone may change their own password


def test_reviewer_cannot_run_deid(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "rex"))
    assert not page.run_button.isEnabled()
    assert page.run_button.toolTip() == "Informaticists and admins run de-identification"
