"""`appliance tune --method lora-head`: LoRA with a classification head trained as a run of its own (a job with
progress, the budget and max-steps read), sealed, then scored by `appliance evaluate`; refused in one line with a
documented exit code without --label-field, on another task, or with under two classes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance import jobs
from appliance.errors import EXIT_INVALID_INPUT, EXIT_USAGE, InvalidInput, UsageError
from appliance.tune.service import TuneRequest, run_tune, start_run
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS
from tests.services.conftest import notes_ws, tiny_ws  # noqa: F401  (fixtures used below)


def _as_ivy(monkeypatch: pytest.MonkeyPatch, ws: Path) -> None:
    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(ws))
    monkeypatch.setenv("APPLIANCE_USER", "ivy")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["ivy"])


def test_cli_tune_lora_head_then_evaluate(tiny_ws: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from appliance.catalog import runs
    from appliance.cli import main

    _as_ivy(monkeypatch, tiny_ws)
    assert main(["tune", "--dataset", "ward", "--method", "lora-head", "--base", "tiny-chat", "--label-field",
                 "triage", "--max-steps", "3", "--max-seq-len", "64", "--budget-minutes", "10", "--seed", "5"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "done" and summary["steps"] == 3 and summary["trainable_params"] > 0
    assert isinstance(summary["final_loss"], float) and summary["artifact_bytes"] > 0
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        run = runs.get(ws, summary["run_id"])
        actions = [e.action for e in ws.audit_entries(action="tune.*")]
    assert run.method == "lora-head" and run.status == "done" and run.state == "trained"
    assert run.artifact_blob == run.result["artifact_blob"]
    assert run.config["lora_head"]["max_steps"] == 3 and run.config["lora_head"]["max_tokens"] == 64
    assert run.config["lora_head"]["budget_seconds"] == 600 and run.config["lora_head"]["seed"] == 5
    assert run.config["classes"] == ["routine", "urgent"] and run.config["task"]["label_field"] == "triage"
    assert actions[0] == "tune.start" and actions[-1] == "tune.complete" and "tune.artifact" in actions

    assert main(["evaluate", summary["run_id"]]) == 0
    scored = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scored["run_id"] == summary["run_id"] and scored["metric_name"] == "macro_f1"
    assert scored["records"] > 0 and 0.0 <= scored["primary_metric"] <= 1.0
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        assert runs.get(ws, summary["run_id"]).state == "evaluated"

    # Refusals: one line each, with its documented exit code.
    assert main(["tune", "--dataset", "ward", "--method", "lora-head", "--base", "tiny-chat"]) == EXIT_USAGE
    assert "needs the column holding the label: give --label-field NAME" in capsys.readouterr().err
    assert main(["tune", "--dataset", "ward", "--method", "lora-head", "--base", "tiny-chat", "--task", "summarize",
                 "--label-field", "triage"]) == EXIT_INVALID_INPUT
    assert "classify task only" in capsys.readouterr().err
    assert main(["tune", "--dataset", "ward", "--method", "lora-head", "--base", "tiny-chat", "--label-field",
                 "ward_name", "--max-steps", "1"]) == EXIT_INVALID_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert "at least two labels in column 'ward_name'" in err[-1]


def test_job_progress_and_under_two_classes_in_training(tiny_ws: Path) -> None:  # noqa: F811
    request = {"dataset": "ward", "task": "classify", "method": "lora-head", "base": "tiny-chat",
               "overrides": {"max_steps": 2, "max_seq_len": 64, "batch_size": 2},
               "task_config": {"label_field": "specialty"}, "split_seed": 1}
    events: list[dict] = []
    final = jobs.run(tiny_ws, "ivy", PASSWORDS["ivy"], "tune", {"request": request}, events.append)
    assert final["event"] == "done" and final["result"]["status"] == "done", final
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["step"] for e in progress] == [1, 2] and all(e["total"] == 2 for e in progress)
    assert all(isinstance(e["loss"], float) and e["eta_s"] is not None for e in progress)
    assert final["result"]["class_weights"] and len(final["result"]["losses"]) == 2
    assert not any((tiny_ws / "scratch").iterdir())  # nothing in clear left behind

    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        one_note = TuneRequest(**{**request, "max_train_examples": 1})
        run_id = start_run(ws, one_note)
        with pytest.raises(InvalidInput, match="training split has 1 class in column 'specialty'"):
            run_tune(ws, run_id)
        with pytest.raises(UsageError, match="give --label-field NAME"):
            TuneRequest(**{**request, "task_config": {}})
