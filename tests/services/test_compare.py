"""Comparison service: every method becomes an evaluated registry run on one snapshot; the report is written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from appliance import registry
from appliance.compare import CompareRequest, evaluated_runs, run_comparison, summaries, write_report
from appliance.errors import InvalidInput
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

TINY = {"max_steps": 2, "max_seq_len": 128}


def test_request_validation() -> None:
    with pytest.raises(InvalidInput, match="unknown method"):
        CompareRequest(dataset="ward", methods=["icl", "magic"])
    with pytest.raises(InvalidInput, match="classify task only"):
        CompareRequest(dataset="ward", task="summarize", methods=["tfidf"])
    with pytest.raises(InvalidInput, match="at least one method"):
        CompareRequest(dataset="ward", methods=[" "])
    with pytest.raises(InvalidInput, match="positive"):
        CompareRequest(dataset="ward", budget_seconds=0)
    assert CompareRequest(dataset="ward", methods=["LoRA", "icl", "lora"]).methods == ["lora", "icl"]


@pytest.mark.slow  # four methods tuned, evaluated and audited for exposure
def test_comparison_registers_every_method_and_writes_a_report(tiny_ws: Path, tmp_path: Path) -> None:
    request = CompareRequest(dataset="ward", methods=["full", "icl", "tfidf", "lora"], base="tiny-chat",
                             budget_seconds=600, shots=[0, 2], canaries=2, canary_repeats=3, audit_candidates=128,
                             overrides=TINY, task_config={"label_field": "triage"}, split_seed=1)
    events: list[tuple[str, dict]] = []
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        outcome = run_comparison(ws, request, event=lambda name, **f: events.append((name, f)))
        runs = summaries(ws, outcome["runs"])
        listed = evaluated_runs(ws)
    methods = [(r["method"], r.get("k")) for r in runs]
    # Cost order: in-context passes (zero-shot raw and calibrated; nearest examples raw, since calibration
    # would divide out their labels' signal), then TF-IDF, then tuned runs.
    assert methods == [("icl", 0), ("icl-calibrated", 0), ("icl", 2), ("tfidf", None), ("lora", None),
                       ("full", None)]
    assert {r["run_id"] for r in listed} == set(outcome["runs"])
    assert all(r["state"] == "evaluated" and r["snapshot"] == outcome["snapshot"] for r in runs)
    for run in runs:
        assert 0.0 <= run["metrics"]["macro_f1"] <= 1.0 and run["metrics"]["n"] > 0
        # Slices by note type are stored with every evaluation, each with its size.
        assert sum(v["n"] for v in run["slices"]["note_type"].values()) == run["metrics"]["n"]
    tuned = {r["method"]: r for r in runs if r["method"] in ("lora", "full")}
    for run in tuned.values():
        assert run["steps"] == 2 and run["budget_seconds"] == 600 and run["trainable_params"] > 0
        assert run["forgetting"]["before"] > 0 and run["loss_curve"]
        # Canaries were planted in the tuned runs' training data, so their exposure was measured.
        assert run["exposure"]["measured"] and run["exposure"]["canaries"] == 2
        assert 0 <= run["exposure"]["max"] <= run["exposure"]["max_possible"]
    assert tuned["full"]["trainable_params"] > tuned["lora"]["trainable_params"]
    assert all("exposure" not in r for r in runs if r["method"] not in ("lora", "full"))
    assert runs[3]["trainable_params"] > 0 and runs[3]["train_seconds"] >= 0
    assert any(name == "run" for name, _ in events) and any(name == "progress" for name, _ in events)
    # Every progress event names its method and phase; training and scoring carry an ETA.
    progress = [f for name, f in events if name == "progress"]
    assert all(f.get("method") and f.get("phase") for f in progress)
    assert {f["phase"] for f in progress} >= {"scoring test records", "training", "evaluating on the test records"}
    assert any(f.get("eta_s") is not None for f in progress if f["method"] == "icl 2-shot")
    # True cost: inference time per record measured while scoring, and the prompt tokens per query.
    for run in runs:
        assert run["infer_seconds_per_record"] > 0 and run["items"]["kind"] == "labels"
        assert len(run["items"]["reference"]) == run["metrics"]["n"] and "items" not in run["metrics"]
    assert runs[2]["tokens_per_query"] > runs[0]["tokens_per_query"] > 0  # 2 examples make a longer prompt
    assert runs[1]["tokens_per_query"] > runs[0]["tokens_per_query"]  # calibration scores more prompts
    assert runs[3]["tokens_per_query"] == 0 and tuned["lora"]["tokens_per_query"] > 0

    html, data_path = None, None
    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        html, data_path = write_report(ws, outcome["runs"], tmp_path / "cmp.html", title="Ward triage")
        entries = list(ws.audit_entries(action="compare.report"))
        audited = [e for e in ws.audit_entries() if e.action in ("baseline.run", "run.evaluated")]
    assert entries and set(outcome["runs"]) <= set(entries[-1].object_ids)
    assert len(audited) >= len(outcome["runs"])
    text = html.read_text(encoding="utf-8")
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text) and "<script" not in text
    for run_id in outcome["runs"]:
        assert run_id in text
    data = json.loads(data_path.read_text(encoding="utf-8"))
    assert data["recommendation"]["run_id"] in outcome["runs"] and len(data["runs"]) == 6
    n = runs[0]["metrics"]["n"]
    assert data["test_size"] == n and len(data["pairs"]) == 6 * 5 // 2  # every pair: the same test records
    for run in data["runs"]:
        span = run["intervals"]["macro_f1"]
        assert span["low"] <= run["metrics"]["macro_f1"] <= span["high"] and run["test_size"] == n
    assert f"Warning: only {n} test records" in data["recommendation"]["reason"]


def test_cross_validation_folds_score_the_cheap_method_on_every_record(tiny_ws: Path) -> None:
    request = CompareRequest(dataset="ward", methods=["tfidf"], base="tiny-chat", cv_folds=3,
                             task_config={"label_field": "triage"}, split_seed=1)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        (run_id,) = run_comparison(ws, request)["runs"]
        (run,) = summaries(ws, [run_id])
    cv = run["cross_validation"]
    assert cv["folds"] == 3 and cv["grouped_by"] == "patient" and cv["n"] > run["metrics"]["n"]
    span = cv["intervals"]["macro_f1"]
    assert span["low"] <= cv["metrics"]["macro_f1"] <= span["high"]
    with pytest.raises(InvalidInput, match="TF-IDF"):
        CompareRequest(dataset="ward", methods=["icl"], cv_folds=3)
    with pytest.raises(InvalidInput, match="between 2 and 20"):
        CompareRequest(dataset="ward", methods=["tfidf"], cv_folds=1)


def test_baselines_are_registry_runs_that_gates_and_approval_apply_to(tiny_ws: Path, tmp_path: Path) -> None:
    request = CompareRequest(dataset="ward", methods=["tfidf"], base="tiny-chat",
                             task_config={"label_field": "triage"}, split_seed=1)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        (run_id,) = run_comparison(ws, request)["runs"]
    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        approved = registry.approve(ws, run_id, "classical baseline is enough", name="ward-triage-tfidf")
        assert approved["version"] == 1 and registry.is_approved(ws, run_id)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws, pytest.raises(InvalidInput, match="no such folder"):
        write_report(ws, [run_id], tmp_path / "missing" / "r.html")


def test_reports_refuse_unevaluated_runs_and_mixed_tasks(tiny_ws: Path, tmp_path: Path) -> None:
    from appliance.errors import ApplianceError
    from appliance.tune.service import TuneRequest, run_tune, start_run

    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        run_id = start_run(ws, TuneRequest(dataset="ward", method="lora", base="tiny-chat", split_seed=1,
                                           overrides={"max_steps": 1, "max_seq_len": 128},
                                           task_config={"label_field": "triage"}))
        run_tune(ws, run_id)
        with pytest.raises(ApplianceError, match="no evaluation"):
            write_report(ws, [run_id], tmp_path / "r.html")
        assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.json").exists()


@pytest.mark.slow  # import, de-identify, review, then a whole comparison through the CLI
def test_cli_compare_on_an_imported_labelled_csv(ws_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Any labelled CSV (text column + label column): import, de-identify, review, one compare command."""
    import csv

    from appliance import base_models
    from appliance.cli import main
    from tests.tiny import manifest_for, save_tiny_chat_model

    model_dir = save_tiny_chat_model(tmp_path / "tiny-chat")
    monkeypatch.setenv("APPLIANCE_MANIFEST", str(manifest_for("tiny-chat", model_dir, tmp_path / "manifest.toml")))
    findings = ["fracture", "pneumonia", "normal"]
    words = {"fracture": "cortical break of the distal radius", "pneumonia": "right lower lobe consolidation",
             "normal": "no acute cardiopulmonary process"}
    source = tmp_path / "radiology.csv"
    with open(source, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["report_body", "finding"])  # no patient column, no note id
        for i in range(36):
            finding = findings[i % 3]
            writer.writerow([f"Exam {i}. Impression: {words[finding]}.", finding])
    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(ws_path))
    for user in ("ivy", "rex"):
        monkeypatch.setenv("APPLIANCE_USER", user)
        monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS[user])
        if user == "ivy":
            with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
                base_models.add_model(ws, "tiny-chat", model_dir)
            capsys.readouterr()
            assert main(["import", str(source), "--dataset", "rad", "--text-col", "report_body"]) != 0
            assert "patient_per_note" in capsys.readouterr().err
            assert main(["import", str(source), "--dataset", "rad", "--text-col", "report_body",
                         "--patient-per-note"]) == 0
            assert main(["deid", "run", "--dataset", "rad"]) == 0
        else:
            assert main(["deid", "review", "--dataset", "rad", "--mark-reviewed"]) == 0
    monkeypatch.setenv("APPLIANCE_USER", "ivy")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["ivy"])
    capsys.readouterr()
    report = tmp_path / "report.html"
    assert main(["compare", "--dataset", "rad", "--task", "classify", "--methods", "icl,lora,tfidf",
                 "--label-field", "finding", "--base", "tiny-chat", "--budget-minutes", "10", "--shots", "0",
                 "--max-steps", "2", "--max-seq-len", "128", "--out", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "report written to" in printed and report.exists() and report.with_suffix(".json").exists()
    data = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert [r["method"] for r in data["runs"]] == ["icl", "icl-calibrated", "tfidf", "lora"]
    assert data["budget_seconds"] == 600 and data["primary_metric"] == "macro_f1"
    # The classical baseline separates these three findings by their words.
    assert data["runs"][2]["metrics"]["accuracy"] == 1.0
    # The same report again, from the stored runs.
    again = tmp_path / "again.html"
    assert main(["compare", *[r["run_id"] for r in data["runs"]], "--out", str(again)]) == 0
    assert again.exists()
    assert main(["compare", "--dataset", "rad", "--methods", "icl,nope", "--out", str(report)]) == 5
    assert main(["compare", "--out", str(report)]) == 2
    assert main(["compare", "run-0001-icl", "--dataset", "rad"]) == 2
    assert main(["compare", "--dataset", "rad", "--out", str(tmp_path / "no" / "r.html")]) == 5
