"""Tune page: LoRA with a classification head (``lora-head``) is offered beside the engine's methods, with
its own settings and a label field it must be told; a real job trains it to a sealed run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from appliance.tune.service import TuneRequest
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS
from tests.gui.test_tune_page import open_page


def choose(combo, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def error_box() -> QMessageBox:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())


def test_lora_head_starts_with_its_label_field_and_refuses_without_one(qtbot, tiny_ws: Path, open_session,
                                                                      monkeypatch) -> None:
    page = open_page(qtbot, open_session(tiny_ws, "ivy"))
    started: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(page.job_panel, "start", lambda kind, params: started.append((kind, params)) or "job")

    choose(page.method_combo, "lora-head")
    assert page.method_combo.currentText().startswith("LoRA + head — ")
    # Its own settings: the head's defaults, only the ones it reads open; no engine forecast.
    assert page.advanced.values()["learning_rate"] == 5e-4 and page.advanced.values()["max_seq_len"] == 256
    assert page.advanced.editors["lora_r"].isEnabled() and page.advanced.editors["epochs"].isEnabled()
    assert not page.advanced.editors["scheduler"].isEnabled() and not page.advanced.editors["grad_accum"].isEnabled()
    assert "no memory or time forecast" in page.forecast.text()
    # The task's default is not offered as an implicit choice: the field is named.
    assert page.label_field.itemText(0) == "choose a field" and page.label_field.currentData() == "specialty"

    page.label_field.setCurrentIndex(0)
    assert not page.start_button.isEnabled() and "Label field" in page.start_button.toolTip()
    assert page.command.toPlainText().startswith("(no command yet:")
    page.start()
    box = error_box()
    assert box.windowTitle() == "The run was not started"
    assert "needs the column holding the label" in box.text() and "Label field" in box.text()
    box.close()
    assert started == [] and not page.job_panel.runner.running

    choose(page.label_field, "triage")
    page.advanced_toggle.setChecked(True)
    page.advanced.set_values({"max_steps": 3, "lora_r": 4})
    page.advanced.changed.emit()
    assert page.start_button.isEnabled()
    command = page.command.toPlainText()
    assert "--method lora-head" in command and "--label-field triage" in command and "--max-steps 3" in command
    page.start()
    assert [kind for kind, _ in started] == ["tune"]
    request = started[0][1]["request"]
    assert request["method"] == "lora-head" and request["task_config"] == {"label_field": "triage"}
    assert request["overrides"] == {"max_steps": 3, "lora_r": 4}
    TuneRequest(**request)  # what the job will accept

    # Another task: lora-head answers classify only, so it is disabled and the page goes back to LoRA.
    choose(page.task_combo, "summarize")
    assert page.method == "lora"
    item = page.method_combo.model().item(page.method_combo.findData("lora-head"))
    assert not item.isEnabled() and "classify task only" in item.toolTip()


def test_an_invalid_head_setting_is_named_in_the_forecast(qtbot, tiny_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(tiny_ws, "ivy"))
    choose(page.method_combo, "lora-head")
    page.advanced.set_values({"lora_dropout": 1.5})
    page.advanced.changed.emit()
    assert "not valid" in page.forecast.text() and "lora_dropout" in page.forecast.text()
    assert not page.start_button.isEnabled()
    choose(page.method_combo, "lora")  # back to the engine's preset: every LoRA setting open again
    assert page.advanced.editors["scheduler"].isEnabled() and page.overrides() == {}
    assert "layer sizes" in page.forecast.text()


@pytest.mark.slow  # a real lora-head job in a child process, trained to its end
def test_lora_head_job_trains_a_run(qtbot, tiny_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(tiny_ws, "ivy"))
    choose(page.method_combo, "lora-head")
    choose(page.label_field, "specialty")
    page.advanced.set_values({"max_steps": 2, "batch_size": 2, "max_seq_len": 64})
    page.advanced.changed.emit()
    with qtbot.waitSignal(page.job_panel.finished, timeout=300_000) as finished:
        page.start()
    final = finished.args[0]
    assert final["event"] == "done" and final["result"]["status"] == "done", final
    run_id = final["result"]["run_id"]
    assert page.banner.state == "ok" and run_id in page.banner.text()
    qtbot.waitUntil(lambda: any(r["run_id"] == run_id for r in page.runs), timeout=20_000)
    assert next(r for r in page.runs if r["run_id"] == run_id)["method"] == "lora-head"
    page.run_table.selectRow([r["run_id"] for r in page.runs].index(run_id))
    assert not page.resume_button.isEnabled()  # no checkpoints: a head run starts again instead
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        from appliance.tune.service import show_run

        run = show_run(ws, run_id)
    assert run["method"] == "lora-head" and run["config"]["task"]["label_field"] == "specialty"
    assert run["config"]["lora_head"]["max_steps"] == 2 and run["result"]["artifact_blob"]
