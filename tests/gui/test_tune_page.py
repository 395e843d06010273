"""Tune page: a short tuning job with live charts and a responsive event loop, the job's forecast,
cancel and resume, leaving a job running and re-attaching to it, the generated settings form, roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from appliance import jobs as core_jobs
from appliance.workspace import Workspace
from gui.mainwindow import MainWindow
from gui.pages.tune import TunePage
from tests.conftest import PASSWORDS
from tests.gui.conftest import wait_ops
from tests.gui.test_deid_page import GapMeter

FAST = {"max_steps": 12, "checkpoint_every": 4, "batch_size": 2, "max_seq_len": 256}


def open_page(qtbot, session) -> TunePage:
    page = TunePage(session)
    qtbot.addWidget(page)
    page.resize(1040, 700)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    return page


def set_fast(page: TunePage, **changes: Any) -> None:
    """Small settings through the generated form, as a user would type them."""
    page.advanced_toggle.setChecked(True)
    page.advanced.set_values({**FAST, **changes})
    page.advanced.changed.emit()
    index = page.label_field.findData("specialty")
    assert index > 0
    page.label_field.setCurrentIndex(index)


@pytest.mark.slow  # a real tuning job run to its end in a child process
def test_tune_job_charts_then_leave_and_reattach(qtbot, tiny_ws: Path, open_session) -> None:
    """One job: live progress in the charts with a responsive event loop, the job's forecast; then the
    window closes (the job keeps running) and a new page re-attaches and follows it to its end."""
    window = MainWindow(open_session(tiny_ws, "ivy"), lock_minutes=30)
    qtbot.addWidget(window)
    window.show()
    page = window.page(TunePage)
    assert isinstance(page, TunePage)
    window.show_page(window.pages.index(page))
    wait_ops(qtbot)
    assert page.dataset_combo.currentText() == "ward" and page.base_combo.count() == 1
    assert "reviewed by rex" in page.version_label.text()
    assert page.start_button.isEnabled()
    set_fast(page, max_steps=40)
    assert page.overrides() == {**FAST, "max_steps": 40}
    assert "layer sizes" in page.forecast.text()  # no forecast before the job measured it, and it says so
    progress: list[dict[str, Any]] = []
    reported: list[dict[str, Any]] = []
    page.job_panel.runner.progress.connect(progress.append)
    page.job_panel.runner.reported.connect(reported.append)
    meter = GapMeter()
    meter.start()
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.job_panel.isVisible() and not page.start_button.isEnabled()
    assert page.start_button.toolTip().startswith("A tuning job is running")
    qtbot.waitUntil(lambda: len(page.loss_chart.points) >= 3, timeout=180_000)
    meter.stop()
    assert meter.ticks > 50
    assert meter.max_gap < 0.2, f"event loop blocked for {meter.max_gap * 1000:.0f} ms"
    assert progress and all(e["total"] == 40 for e in progress)
    assert page.speed_chart.points and all(speed > 0 for _, speed in page.speed_chart.points)
    names = [e["event"] for e in reported]
    assert "run" in names and "estimate" in names
    assert page.forecast.text().startswith("From the job") and "GB" in page.forecast.text()
    assert page.run_id is not None and page.run_id in page.banner.text()
    # The Steps column follows the job while it trains (the stored figure comes only at the end).
    qtbot.waitUntil(lambda: page.run_table.rowCount() == 1, timeout=20_000)
    qtbot.waitUntil(lambda: page.run_table.item(0, 5).text().endswith(" / 40"), timeout=60_000)
    run_id, job_id = page.run_id, page.job_panel.runner.job_id

    window.close()
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert "still running (tune)" in box.text()
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Leave it running"), Qt.MouseButton.LeftButton)
    assert not window.isVisible() and not page.job_panel.runner.running

    # "Restart": a new session and page find the job still running and follow it to its end.
    session = open_session(tiny_ws, "ivy")
    assert any(j.job_id == job_id and j.alive for j in core_jobs.list_jobs(session.ws))
    again = TunePage(session)
    again.job_panel.watcher._timer.setInterval(200)
    qtbot.addWidget(again)
    again.show()
    with qtbot.waitSignal(again.job_panel.watcher.finished, timeout=180_000) as finished:
        again.refresh()
        qtbot.waitUntil(lambda: again.job_panel.watcher.running, timeout=10_000)
        assert again.banner.state == "info" and job_id in again.banner.text() and run_id in again.banner.text()
        assert not again.start_button.isEnabled()
    final = finished.args[0]
    assert final["event"] == "done" and final["result"]["status"] == "done", final
    assert final["result"]["run_id"] == run_id and final["result"]["steps"] == 40
    assert again.banner.state == "ok" and run_id in again.banner.text()
    qtbot.waitUntil(lambda: len(again.loss_chart.points) == 40, timeout=10_000)  # the stored full curve
    assert [r["status"] for r in again.runs] == ["done"] and again.start_button.isEnabled()
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        from appliance.tune.service import show_run

        run = show_run(ws, run_id)
    assert run["config"]["tune"]["max_steps"] == 40 and run["config"]["task"]["label_field"] == "specialty"
    assert run["config"]["request"]["overrides"]["max_seq_len"] == 256


@pytest.mark.slow  # a real tuning job cancelled at a checkpoint, then resumed to its end
def test_cancel_then_resume(qtbot, tiny_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(tiny_ws, "ivy"))
    set_fast(page, max_steps=16, checkpoint_every=2)
    checkpoints: list[int] = []
    page.job_panel.reported.connect(lambda e: checkpoints.append(e["step"]) if e["event"] == "checkpoint" else None)
    with qtbot.waitSignal(page.job_panel.runner.finished, timeout=180_000) as finished:
        page.start()
        qtbot.waitUntil(lambda: bool(checkpoints) and checkpoints[-1] >= 2, timeout=120_000)
        qtbot.mouseClick(page.job_panel.cancel_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]["result"]
    assert result["status"] == "cancelled" and result["steps"] < 16
    assert page.banner.state == "info" and "Resume" in page.banner.text()
    wait_ops(qtbot)
    assert page.runs[0]["status"] == "cancelled"
    page.run_table.selectRow(0)
    assert page.resume_button.isEnabled()
    with qtbot.waitSignal(page.job_panel.runner.finished, timeout=180_000) as resumed:
        qtbot.mouseClick(page.resume_button, Qt.MouseButton.LeftButton)
        assert not page.resume_button.isEnabled()
    result = resumed.args[0]["result"]
    assert result["status"] == "done" and result["steps"] == 16 and result["resumed_from"] >= 2
    wait_ops(qtbot)
    assert page.runs[0]["status"] == "done" and not page.resume_button.isEnabled()
    # The charts of the run just watched stay after it ends, throughput included.
    assert page.speed_chart.points and page.loss_chart.points
    assert page.chart_caption.text().startswith("Loss and throughput of")


def test_label_field_choices_and_the_equivalent_command(qtbot, tiny_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(tiny_ws, "ivy"))
    offered = [page.label_field.itemData(i) for i in range(page.label_field.count())]
    assert offered[0] == "" and "specialty" in offered and "text" not in offered  # free text is no label
    specialty = page.label_field.itemText(offered.index("specialty"))
    assert specialty.startswith("specialty — ") and " values: " in specialty
    assert page.label_field.currentData() == "specialty"  # the task's default field, shown with its counts
    set_fast(page, learning_rate=0.001, lora_r=4)
    command = page.command.toPlainText()
    assert command.startswith("appliance tune --dataset ward --task classify --method lora --base tiny-chat "
                              "--label-field specialty")
    assert "--max-steps 12" in command and "--lr 0.001" in command and "--config tune.toml" in command
    assert "[tune]" in command and "lora_r = 4" in command


def test_settings_form_and_roles(qtbot, tiny_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(tiny_ws, "ivy"))
    assert page.advanced.editors["lora_r"].isEnabled() and not page.advanced.editors["freeze_layers"].isEnabled()
    assert page.advanced.editors["learning_rate"].toolTip().startswith("Peak learning rate")
    page.method_combo.setCurrentIndex(page.method_combo.findData("full"))
    assert page.advanced.values()["learning_rate"] == 2e-5  # the full preset, not LoRA's
    assert page.advanced.editors["freeze_layers"].isEnabled() and not page.advanced.editors["lora_r"].isEnabled()
    page.advanced.editors["learning_rate"].setText("fast")
    page.advanced.changed.emit()
    assert "not valid" in page.forecast.text()
    page.start()
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert box.windowTitle() == "The run was not started" and "Learning rate" in box.text()
    box.close()
    assert not page.job_panel.runner.running
    page.reset_to_preset()
    assert page.overrides() == {}

    reviewer = open_page(qtbot, open_session(tiny_ws, "rex"))
    assert not reviewer.start_button.isEnabled()
    assert reviewer.start_button.toolTip() == "Informaticists and admins start tuning runs"
