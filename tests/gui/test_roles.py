"""Roles in the desktop app are the core's (``registry.actions``) and the README's: a reviewer approves but
may not export or start the server; the approval dialog shows the baselines and needs an explicit, audited
override for a run below the best of them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from appliance import registry
from appliance.catalog import runs
from appliance.workspace import Workspace
from gui.pages.models import ModelsPage
from gui.pages.serve import ServePage
from tests.conftest import PASSWORDS
from tests.gui.conftest import wait_ops


def open_page(qtbot, page):
    qtbot.addWidget(page)
    page.resize(1040, 700)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    return page


def test_models_and_serve_pages_mirror_the_core_for_each_role(qtbot, exported_ws: Path, open_session) -> None:
    allowed: dict[str, dict[str, bool]] = {}
    for user in ("admin", "ivy", "rex"):
        session = open_session(exported_ws, user)
        models = open_page(qtbot, ModelsPage(session))
        models.run_table.selectRow(0)
        models.format_combo.setCurrentIndex(models.format_combo.findData("merged"))
        run = runs.get(session.ws, models.runs[0]["run_id"])
        core = registry.actions(run, session.ws.user, "ward-specialty v1")
        buttons = {"evaluate": models.evaluate_button, "approve": models.approve_button,
                   "reject": models.reject_button, "export": models.export_button}
        for action, button in buttons.items():
            assert button.isEnabled() == (core[action] == ""), (user, action, core[action])
            if core[action]:
                assert button.toolTip() == core[action]
        serve = open_page(qtbot, ServePage(session))
        serve.export_table.selectRow(0)
        allowed[user] = {action: button.isEnabled() for action, button in buttons.items()}
        allowed[user]["serve"] = serve.start_button.isEnabled()
        if user == "rex":
            assert serve.start_button.toolTip() == "Only informaticists and admins start the model server"
            assert models.export_button.toolTip() == "Only informaticists and admins export models"
    # The README's table, for an approved and exported run trained by ivy.
    assert allowed == {
        "admin": {"evaluate": True, "approve": False, "reject": True, "export": True, "serve": True},
        "ivy": {"evaluate": True, "approve": False, "reject": False, "export": True, "serve": True},
        "rex": {"evaluate": True, "approve": False, "reject": True, "export": False, "serve": False},
    }


def test_approval_dialog_compares_with_the_baselines_and_audits_an_override(qtbot, evaluated_ws: Path,
                                                                            open_session) -> None:
    with Workspace.open(evaluated_ws, "ivy", PASSWORDS["ivy"]) as ws:
        tuned = runs.list_runs(ws)[0]
        with ws.transaction("baseline.run", [], {}) as tx:
            baseline = runs.create(tx, method="tfidf", task="classify", base_model="scikit-learn",
                                   snapshot_id=tuned.snapshot_id, created_by="ivy", result={},
                                   config={"request": {"task_config": {"label_field": "specialty"}}})
        registry.record_evaluation(ws, baseline.run_id, {"primary_metric": 0.9, "metric_name": "macro_f1",
                                                         "records": 40, "exposure": {"measured": False}})
        registry.record_evaluation(ws, tuned.run_id, {**(tuned.evaluation or {}), "primary_metric": 0.5,
                                                      "records": 3})
    page = open_page(qtbot, ModelsPage(open_session(evaluated_ws, "rex")))
    page.run_table.selectRow([r["run_id"] for r in page.runs].index(tuned.run_id))
    dialog = page.ask_approve()
    assert dialog is not None
    summary = dialog.summary.text()
    assert "This run (lora): macro_f1 0.500 (95% 0.13–0.87, 3 test records)" in summary
    assert "Baseline tfidf: macro_f1 0.900 (95% 0.77–0.96, 40 test records)" in summary
    assert dialog.override.isVisibleTo(dialog)
    dialog.note.setPlainText("Checked the three test notes by hand")
    assert not dialog.ok_button.isEnabled()  # below the baseline: only with the override ticked
    dialog.override.setChecked(True)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.state == "ok" and "approved" in page.banner.text(), timeout=20_000)
    wait_ops(qtbot)
    with Workspace.open(evaluated_ws, "admin", PASSWORDS["admin"]) as ws:
        (entry,) = ws.audit_entries(action="registry.approve")
    assert "below the best baseline (tfidf, 0.900)" in entry.details["baseline_override"]
