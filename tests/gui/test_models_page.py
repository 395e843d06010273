"""Models page: evaluate a run (a job), approve it as a reviewer who did not train it, see its model
card, export it (a job) with the parity result shown; roles and the trainer rule; reject and rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from appliance import registry
from appliance.tune.service import TuneRequest, list_runs, start_run
from appliance.workspace import Workspace
from gui.pages.models import ModelsPage
from tests.conftest import PASSWORDS
from tests.gui.conftest import TINY_MODEL, wait_ops


def open_page(qtbot, session) -> ModelsPage:
    page = ModelsPage(session)
    qtbot.addWidget(page)
    page.resize(1040, 700)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    return page


def visible_box() -> QMessageBox:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())


@pytest.mark.slow  # a real evaluation job, approval, then an export job with its parity check
def test_evaluate_approve_and_export(qtbot, trained_ws: Path, tmp_path: Path, open_session) -> None:
    ivy = open_page(qtbot, open_session(trained_ws, "ivy"))
    assert [r["state"] for r in ivy.runs] == ["trained"]
    ivy.run_table.selectRow(0)
    run_id = ivy.runs[0]["run_id"]
    assert not ivy.approve_button.isEnabled()
    assert ivy.approve_button.toolTip() == "Only reviewers and admins approve models"
    assert not ivy.export_button.isEnabled() and "approve it first" in ivy.export_button.toolTip()
    assert ivy.evaluate_button.isEnabled()
    with qtbot.waitSignal(ivy.job_panel.runner.finished, timeout=180_000) as finished:
        qtbot.mouseClick(ivy.evaluate_button, Qt.MouseButton.LeftButton)
        assert not ivy.evaluate_button.isEnabled()
    assert finished.args[0]["event"] == "done", finished.args[0]
    assert ivy.banner.state == "ok" and "macro_f1" in ivy.banner.text()
    wait_ops(qtbot)
    assert ivy.runs[0]["state"] == "evaluated" and ivy.run_table.item(0, 4).text().startswith("macro_f1")

    # The core refuses the trainer too (the button is only a courtesy).
    ivy.approve(run_id, "my own run")
    wait_ops(qtbot)
    box = visible_box()
    assert box.windowTitle() == "The run was not approved" and "reviewer" in box.text()
    box.close()

    rex = open_page(qtbot, open_session(trained_ws, "rex"))
    rex.run_table.selectRow(0)
    assert rex.approve_button.isEnabled()
    dialog = rex.ask_approve()
    assert dialog is not None and not dialog.ok_button.isEnabled()
    dialog.note.setPlainText("Macro-F1 checked on the held-out split")
    dialog.name.setText("ward-specialty")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rex.banner.state == "ok" and "approved" in rex.banner.text(), timeout=20_000)
    wait_ops(qtbot)
    assert "ward-specialty v1" in rex.card.toPlainText() and "Approval note" in rex.card.toPlainText()
    assert rex.runs[0]["state"] == "approved" and rex.run_table.item(0, 5).text() == "ward-specialty v1"
    assert rex.approval_table.rowCount() == 1 and not rex.approve_button.isEnabled()
    assert not rex.rollback_button.isEnabled()

    # The README's roles: a reviewer approves but does not export; the informaticist who trained it does.
    assert not rex.export_button.isEnabled()
    assert rex.export_button.toolTip() == "Only informaticists and admins export models"
    ivy.refresh()
    wait_ops(qtbot)
    ivy.run_table.selectRow(0)
    ivy.folder.setText(str(tmp_path / "exports"))
    ivy.format_combo.setCurrentIndex(ivy.format_combo.findData("merged"))
    assert ivy.export_button.isEnabled()
    with qtbot.waitSignal(ivy.job_panel.runner.finished, timeout=180_000) as exported:
        qtbot.mouseClick(ivy.export_button, Qt.MouseButton.LeftButton)
    result = exported.args[0]
    assert result["event"] == "done", result
    out = Path(result["result"]["out"])
    assert out == tmp_path / "exports" / "ward-specialty-merged" and (out / "export.json").is_file()
    assert result["result"]["parity"]["passed"] is True
    assert ivy.banner.state == "ok" and "parity passed" in ivy.banner.text()
    assert "parity passed" in ivy.export_result.text() and str(out) in ivy.export_result.text()
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["parity"]["passed"] is True
    wait_ops(qtbot)
    assert ivy.runs[0]["state"] == "exported"

    # A page opened later shows the parity of earlier exports from their export.json.
    later = open_page(qtbot, open_session(trained_ws, "ivy"))
    later.run_table.selectRow(0)
    assert "Earlier exports" in later.export_result.text() and "parity passed" in later.export_result.text()
    with Workspace.open(trained_ws, "admin", PASSWORDS["admin"]) as ws:
        actions = [e.action for e in ws.audit_entries()]
    assert {"run.evaluated", "registry.approve", "export.done"} <= set(actions)


def test_reject_and_rollback(qtbot, evaluated_ws: Path, open_session) -> None:
    from appliance.compare import CompareRequest, run_tfidf_baseline

    with Workspace.open(evaluated_ws, "ivy", PASSWORDS["ivy"]) as ws:
        first = list_runs(ws)[0]["run_id"]
        snapshot = list_runs(ws)[0]["snapshot"]
        # Cheap stand-ins for more tuned runs: an evaluated baseline (seconds) and a run that was only started.
        second = run_tfidf_baseline(ws, CompareRequest(dataset="ward", methods=["tfidf"], base=TINY_MODEL,
                                                       task_config={"label_field": "specialty"}), snapshot)
        third = start_run(ws, TuneRequest(dataset="ward", method="lora", base=TINY_MODEL,
                                          task_config={"label_field": "specialty"}))
    with Workspace.open(evaluated_ws, "rex", PASSWORDS["rex"]) as ws:
        # The tiny random model may score below the TF-IDF baseline; the gate's own test is in tests/services.
        registry.approve(ws, first, "first", name="ward-specialty", override_baseline=True)
        registry.approve(ws, second, "second", name="ward-specialty")

    page = open_page(qtbot, open_session(evaluated_ws, "rex"))
    assert [r["run_id"] for r in page.runs] == [third, second, first]
    page.run_table.selectRow(0)  # started, not evaluated
    assert not page.approve_button.isEnabled() and page.approve_button.toolTip() == "Evaluate the run first"
    dialog = page.ask_reject()
    assert dialog is not None
    dialog.note.setPlainText("one step is not a model")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.runs[0]["state"] == "rejected", timeout=20_000)
    wait_ops(qtbot)
    assert not page.reject_button.isEnabled()

    page.approval_table.selectRow(1)  # ward-specialty v2, current
    wait_ops(qtbot)
    assert "ward-specialty v2" in page.card.toPlainText()
    assert page.rollback_button.isEnabled()
    qtbot.mouseClick(page.rollback_button, Qt.MouseButton.LeftButton)
    box = visible_box()
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Roll back"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "current again" in page.banner.text(), timeout=20_000)
    wait_ops(qtbot)
    assert [a["current"] for a in page.state["approvals"]] == [True, False]

    ivy = open_page(qtbot, open_session(evaluated_ws, "ivy"))
    ivy.approval_table.selectRow(0)
    assert not ivy.rollback_button.isEnabled()
    assert ivy.rollback_button.toolTip() == "Only reviewers and admins roll back a model"
    assert not ivy.reject_button.isEnabled()
