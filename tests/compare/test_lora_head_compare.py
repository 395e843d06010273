"""LoRA with a classification head in a comparison: an evaluated registry run beside TF-IDF with per-record
items (so intervals and paired tests include it), progress events naming method and phase, its adapter and
head sealed as a blob that `evaluate_run` reloads to the same predictions, and export refusing it in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.errors import InvalidInput
from tests.conftest import PASSWORDS
from tests.services.conftest import notes_ws, tiny_ws  # noqa: F401  (fixtures used below)


def test_lora_head_in_a_comparison_its_blob_and_export_refusal(tiny_ws: Path, tmp_path: Path) -> None:  # noqa: F811
    from appliance import registry
    from appliance.catalog import runs
    from appliance.compare import CompareRequest, run_comparison, summaries, write_report
    from appliance.export.service import export_run
    from appliance.workspace import Workspace

    request = CompareRequest(dataset="ward", methods=["lora-head", "tfidf"], base="tiny-chat", budget_seconds=600,
                             overrides={"max_steps": 3, "max_seq_len": 64}, task_config={"label_field": "triage"},
                             split_seed=1)
    events: list[tuple[str, dict]] = []
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        outcome = run_comparison(ws, request, event=lambda name, **f: events.append((name, f)))
        rows = summaries(ws, outcome["runs"])
        head = next(r for r in rows if r["method"] == "lora-head")
        run = runs.get(ws, head["run_id"])
        with ws.scratch() as scratch:
            unpacked = ws.get_dir(run.result["artifact_blob"], scratch / "artifact")
            files = {p.name for p in unpacked.iterdir()}
            classes = json.loads((unpacked / "classes.json").read_text())
        html, _ = write_report(ws, outcome["runs"], tmp_path / "report")
    assert [r["method"] for r in rows] == ["tfidf", "lora-head"]  # cost order
    assert head["state"] == "evaluated" and head["steps"] == 3 and 0.0 <= head["primary_metric"] <= 1.0
    assert head["trainable_params"] > 0 and len(head["loss_curve"]) == 3 and head["artifact_bytes"] > 0
    assert head["tokens_per_query"] > 0 and head["infer_seconds_per_record"] > 0
    # Per-record items on the same test records as TF-IDF: what the intervals and paired tests read.
    tfidf = next(r for r in rows if r["method"] == "tfidf")
    assert head["metrics"]["n"] == tfidf["metrics"]["n"] > 0 and head["items"] and tfidf["items"]
    assert run.config["lora_head"]["max_tokens"] == 64 and run.config["lora_head"]["budget_seconds"] == 600
    assert head["budget_seconds"] == 600 and "budget_seconds" not in tfidf  # the report shows whose budget it was
    assert set(run.result["class_weights"]) == set(classes["classes"]) == set(run.config["classes"])
    assert {"adapter_config.json", "adapter_model.safetensors", "classes.json"} <= files
    assert "LoRA with a classification head" in html.read_text()
    phases = [(f["method"], f["phase"]) for name, f in events if name == "progress" and f.get("method") == "lora-head"]
    assert ("lora-head", "training") in phases and ("lora-head", "evaluating on the test records") in phases
    losses = [f["loss"] for name, f in events if name == "progress" and f.get("phase") == "training"]
    assert len(losses) == 3 and all(isinstance(v, float) for v in losses)

    # 'appliance evaluate' on the run: the sealed adapter and head, reloaded, give the same test predictions.
    from appliance.evaluate.service import evaluate_run

    seen: list[tuple[int, int]] = []
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        again = evaluate_run(ws, head["run_id"], progress=lambda done, total, **_: seen.append((done, total)))
        rows_again = summaries(ws, [head["run_id"]])
    assert again["records"] == head["metrics"]["n"] and seen and seen[-1][0] == seen[-1][1] == again["records"]
    assert again["metrics"]["items"] == rows_again[0]["items"] == head["items"]
    assert again["primary_metric"] == head["primary_metric"] and again["tokens_per_query"] == head["tokens_per_query"]

    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        registry.approve(ws, head["run_id"], "head is enough", name="ward-triage-head", override_baseline=True)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        for fmt in ("merged", "onnx"):
            with pytest.raises(InvalidInput, match=f"no generative weights to export as {fmt}"):
                export_run(ws, head["run_id"], fmt, tmp_path / fmt)
            assert not (tmp_path / fmt).exists()
