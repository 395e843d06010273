"""Tuning on the workspace: runs, sealed checkpoints and artifacts, cancel and resume, no plaintext left."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import jobs
from appliance.tune.service import TuneRequest, list_runs, run_tune, show_run, start_run
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

FAST = {"max_steps": 6, "checkpoint_every": 2, "batch_size": 2, "max_seq_len": 256, "lora_dropout": 0.0}


def _request(method: str = "lora", **overrides: object) -> TuneRequest:
    return TuneRequest(dataset="ward", task="classify", method=method, base="tiny-chat",
                       overrides={**FAST, **overrides}, task_config={"label_field": "specialty"},
                       split_seed=1)


def _scratch_is_empty(root: Path) -> bool:
    return not any((root / "scratch").iterdir())


@pytest.mark.parametrize("method", ["lora", "full"])
def test_run_seals_artifact_and_checkpoints(tiny_ws: Path, method: str) -> None:
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        run_id = start_run(ws, _request(method))
        result = run_tune(ws, run_id)
        assert result["status"] == "done" and result["steps"] == 6
        run = show_run(ws, run_id)
        assert run["status"] == "done" and run["state"] == "trained" and run["artifact_blob"]
        assert [c["step"] for c in run["checkpoints"]] == [4, 6]  # keep_checkpoints=2: older ones pruned
        assert run["config"]["tune"]["max_steps"] == 6 and run["config"]["task"]["label_field"] == "specialty"
        kinds = {r[0] for r in ws.read().execute("SELECT kind FROM blobs")}
        assert {"checkpoint", "adapter" if method != "full" else "model"} <= kinds
        actions = [e.action for e in ws.audit_entries(action="tune.*")]
        assert actions[0] == "tune.start" and actions[-1] == "tune.complete"
        assert actions.count("tune.checkpoint.pruned") == 1
        assert list_runs(ws)[0]["run_id"] == run_id
        assert ws.verify().ok
        assert _scratch_is_empty(tiny_ws)


@pytest.mark.slow  # three tuning jobs in child processes: cancelled, resumed, uninterrupted
def test_cancel_then_resume_equals_uninterrupted(tiny_ws: Path) -> None:
    request = {"dataset": "ward", "task": "classify", "method": "lora", "base": "tiny-chat",
               "overrides": {**FAST, "max_steps": 8, "checkpoint_every": 1},
               "task_config": {"label_field": "specialty"}, "split_seed": 1}
    handle = jobs.start(tiny_ws, "ivy", PASSWORDS["ivy"], "tune", {"request": request})
    run_id, final = None, None
    for event in handle.events():
        if event["event"] == "run":
            run_id = event["run_id"]
        if event["event"] == "checkpoint" and event["step"] >= 3:
            handle.cancel()
        if event["event"] in ("done", "failed", "cancelled"):
            final = event
    assert final is not None and final["event"] == "done", final
    assert final["result"]["status"] == "cancelled"
    assert _scratch_is_empty(tiny_ws)  # nothing in clear left behind
    resumed = jobs.run(tiny_ws, "ivy", PASSWORDS["ivy"], "tune", {"resume": run_id})
    assert resumed["event"] == "done" and resumed["result"]["status"] == "done", resumed
    assert resumed["result"]["resumed_from"] >= 3
    straight = jobs.run(tiny_ws, "ivy", PASSWORDS["ivy"], "tune", {"request": request})
    assert straight["result"]["steps"] == resumed["result"]["steps"] == 8
    assert abs(straight["result"]["final_loss"] - resumed["result"]["final_loss"]) < 1e-4


def test_unreviewed_refused_without_override(notes_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from appliance import base_models
    from appliance.deid.service import run_deid
    from appliance.errors import InvalidInput
    from tests.tiny import manifest_for, save_tiny_chat_model

    model_dir = save_tiny_chat_model(tmp_path / "tiny-chat")
    monkeypatch.setenv("APPLIANCE_MANIFEST", str(manifest_for("tiny-chat", model_dir, tmp_path / "m.toml")))
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        base_models.add_model(ws, "tiny-chat", model_dir)
        run_deid(ws, "ward")
        with pytest.raises(InvalidInput, match="not reviewed"):
            start_run(ws, _request())
        request = _request()
        request.allow_unreviewed = True
        run_id = start_run(ws, request)
        assert list(ws.audit_entries(action="data.snapshot.unreviewed-override"))
        assert show_run(ws, run_id)["status"] == "running"


def test_cli_tune_and_runs(tiny_ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from appliance.cli import main

    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(tiny_ws))
    monkeypatch.setenv("APPLIANCE_USER", "ivy")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["ivy"])
    assert main(["tune", "--dataset", "ward", "--method", "dora", "--base", "tiny-chat", "--max-steps", "2",
                 "--max-seq-len", "256", "--label-field", "specialty"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "done" and summary["steps"] == 2
    assert main(["runs", "list", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in runs] == [summary["run_id"]]
    assert main(["runs", "show", summary["run_id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["method"] == "dora"
    assert main(["tune", "--dataset", "ward"]) == 2  # no method
    assert main(["tune", "--dataset", "ward", "--method", "lora", "--base", "nope"]) == 5


def test_cli_stratify_field_makes_a_stratified_snapshot(tiny_ws: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from appliance.cli import main
    from appliance.data.snapshots import snapshot_info

    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(tiny_ws))
    monkeypatch.setenv("APPLIANCE_USER", "ivy")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["ivy"])
    assert main(["tune", "--dataset", "ward", "--method", "lora", "--base", "tiny-chat", "--max-steps", "1",
                 "--max-seq-len", "128", "--label-field", "specialty", "--stratify-field", "triage"]) == 0
    run_id = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"]
    assert main(["runs", "show", run_id, "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["config"]["request"]["stratify_field"] == "triage"
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        assert snapshot_info(ws, run["snapshot"])["config"]["stratify_field"] == "triage"
    # A column no record fills is refused before anything trains.
    assert main(["tune", "--dataset", "ward", "--method", "lora", "--base", "tiny-chat", "--max-steps", "1",
                 "--stratify-field", "nope"]) == 5
    assert "no record of 'ward' has a value in column 'nope'" in capsys.readouterr().err
    out = tiny_ws.parent / "cmp"
    out.mkdir()
    assert main(["compare", "--dataset", "ward", "--methods", "tfidf", "--base", "tiny-chat",
                 "--stratify-field", "triage", "--out", str(out / "report.html"), "--json"]) == 0
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        from appliance.tune.service import list_runs

        tfidf = [r for r in list_runs(ws) if r["method"] == "tfidf"]
        assert tfidf and snapshot_info(ws, tfidf[-1]["snapshot"])["config"]["stratify_field"] == "triage"
