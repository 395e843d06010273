"""The task endpoint serves a classification run exactly as it was evaluated and approved, and only what
this workspace may serve is served: its own unaltered exports, of runs still approved."""

from __future__ import annotations

import json
import math
import shutil
import threading
from pathlib import Path

import pytest

from appliance import registry
from appliance.catalog import runs
from appliance.cli import main
from appliance.data.snapshots import load_split
from appliance.data.tasks import TaskConfig
from appliance.errors import EXIT_AUTH, EXIT_INTEGRITY, EXIT_INVALID_INPUT, IntegrityError, InvalidInput
from appliance.serve import BatchingSink, MemorySink, ServeConfig, StaticKeyStore, serve
from appliance.serve.backends.loading import load_model_dir
from appliance.serve.served import WorkspaceGate, check_export
from appliance.serve.tasks import Classifier, TaskSpec
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

from .client import get, post
from .workspace_exports import served_ws  # noqa: F401  (fixture)

KEY = "sk-test-task"
pytestmark = pytest.mark.slow  # the served workspace takes a tuned, evaluated, approved and exported run


def _serve(ws: Workspace, export_path: Path):
    export = check_export(ws, export_path)
    assert export.task is not None
    backend = load_model_dir(export.path, model_id=export.model_id)
    lock = threading.Lock()
    sink = MemorySink()
    handle = serve({export.model_id: backend}, StaticKeyStore.from_plain({"ehr": (KEY, None)}),
                   BatchingSink(sink, max_delay=0.01), ServeConfig(port=0),
                   tasks={export.model_id: Classifier(backend, export.task)},
                   gate=WorkspaceGate(ws, lock, {export.model_id: export.run_id}))
    return handle, export, sink


def test_served_labels_equal_the_stored_evaluation(served_ws) -> None:  # noqa: F811
    with Workspace.open(served_ws.root, "ivy", PASSWORDS["ivy"]) as ws:
        run = runs.get(ws, served_ws.run_id)
        evaluation = run.evaluation or {}
        config = TaskConfig.from_mapping(run.config["task"])
        records = load_split(ws, run.snapshot_id, "test")[: evaluation["records"]]
        handle, export, sink = _serve(ws, served_ws.merged)
        try:
            texts = [r[config.text_field] for r in records]
            reply = post(handle.url, "/v1/classify", {"model": export.model_id, "input": texts}, key=KEY)
            assert reply.status == 200, reply.raw
            answer = reply.json()
            # Same labels, record for record, as the evaluation the reviewer approved.
            assert [d["label"] for d in answer["data"]] == evaluation["predictions"]
            assert answer["model_version"] == served_ws.approval and answer["run_id"] == served_ws.run_id
            assert answer["labels"] == list(config.label_set) and answer["calibrated"] is False
            for item in answer["data"]:
                probabilities = item["probabilities"]
                assert list(probabilities) == list(config.label_set)
                assert math.isclose(sum(probabilities.values()), 1.0, rel_tol=1e-9)
                assert max(probabilities, key=probabilities.__getitem__) == item["label"]

            # The OpenAI completions shape: the prompt is the note, the text its label, logprobs the labels'.
            completion = post(handle.url, "/v1/completions", {"model": export.model_id, "prompt": texts[0],
                                                              "logprobs": 2, "max_tokens": 1}, key=KEY)
            assert completion.status == 200, completion.raw
            choice = completion.json()["choices"][0]
            assert choice["text"] == evaluation["predictions"][0]
            top = choice["logprobs"]["top_logprobs"][0]
            assert len(top) == 2 and next(iter(top)) == choice["text"]
            assert math.isclose(math.exp(choice["logprobs"]["token_logprobs"][0]),
                                answer["data"][0]["probabilities"][choice["text"]], rel_tol=1e-6)

            card = get(handle.url, f"/v1/models/{export.model_id}", key=KEY).json()
            assert card["task"] == "classify" and card["model_version"] == served_ws.approval
            refused = post(handle.url, "/v1/classify", {"model": export.model_id, "input": texts[0], "k": 3}, key=KEY)
            assert refused.status == 400 and refused.json()["error"]["param"] == "k"
            streamed = post(handle.url, "/v1/completions", {"model": export.model_id, "prompt": texts[0],
                                                            "stream": True}, key=KEY)
            assert streamed.status == 400 and streamed.json()["error"]["param"] == "stream"
        finally:
            handle.stop()
    audited = [r for r in sink.records if r.route == "/v1/classify" and r.status == 200]
    assert len(audited) == 1 and audited[0].completion_tokens == len(texts) and len(audited[0].prompt_sha256) == 64


def test_onnx_scores_the_labels_as_torch_does(exports) -> None:
    """The ONNX backend is scored by the same label-scoring code (through its session) as PyTorch."""
    from appliance.serve.backends.loading import load_model_dir

    spec = TaskSpec("tiny", "run-x", "classify", TaskConfig(label_set=("cardiology", "neurology", "routine")))
    torch_model = Classifier(load_model_dir(exports.merged), spec)
    onnx_model = Classifier(load_model_dir(exports.onnx), spec)
    notes = ["Chest pain radiating to the left arm.", "New onset seizure, referral to neurology.", "Routine labs."]
    for ours, theirs in zip(torch_model.classify(notes), onnx_model.classify(notes), strict=True):
        assert ours.label == theirs.label
        for label in spec.labels:
            assert math.isclose(ours.probabilities[label], theirs.probabilities[label], abs_tol=1e-4)


def _copy(served_ws, tmp_path: Path) -> tuple[Path, Path]:  # noqa: F811
    """A private copy of the workspace and its export, for tests that change them."""
    root, export = tmp_path / "ws", tmp_path / "export"
    shutil.copytree(served_ws.root, root)
    shutil.copytree(served_ws.merged, export)
    return root, export


def test_a_rejected_run_stops_being_served_on_the_next_request(served_ws, tmp_path: Path) -> None:  # noqa: F811
    root, export_dir = _copy(served_ws, tmp_path)
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        handle, export, _ = _serve(ws, export_dir)
        try:
            body = {"model": export.model_id, "input": "Chest pain since this morning."}
            assert post(handle.url, "/v1/classify", body, key=KEY).status == 200
            with Workspace.open(root, "rex", PASSWORDS["rex"]) as other:  # another connection, as another process
                registry.reject(other, served_ws.run_id, "labels drift on the new ward")
            refused = post(handle.url, "/v1/classify", body, key=KEY)
            assert refused.status == 403 and refused.json()["error"]["code"] == "model_withdrawn"
            assert post(handle.url, "/v1/chat/completions", {"model": export.model_id, "max_tokens": 2, "messages": [
                {"role": "user", "content": "hello"}]}, key=KEY).status == 403
            assert get(handle.url, "/v1/models", key=KEY).json()["data"] == []
        finally:
            handle.stop()
        with pytest.raises(Exception, match="rejected"):
            check_export(ws, export_dir)


def test_a_rolled_back_approval_is_refused(served_ws, tmp_path: Path) -> None:  # noqa: F811
    from appliance.tune.service import TuneRequest, run_tune, start_run

    root, _ = _copy(served_ws, tmp_path)
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        newer = start_run(ws, TuneRequest(dataset="ward", method="lora", base="tiny-chat", split_seed=1,
                                          overrides={"max_steps": 1, "max_seq_len": 128},
                                          task_config={"label_field": "triage"}))
        run_tune(ws, newer)
        registry.record_evaluation(ws, newer, {"primary_metric": 0.5, "metric_name": "macro_f1", "metrics": {},
                                               "exposure": {"max": 1.0, "flagged": False}, "forgetting": {}})
    with Workspace.open(root, "rex", PASSWORDS["rex"]) as ws:
        registry.approve(ws, newer, "second version", name="ward-triage")
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        gate = WorkspaceGate(ws, threading.Lock(), {"v1": served_ws.run_id, "v2": newer})
        assert gate.refusal("v1") is None and gate.refusal("v2") is None
        with Workspace.open(root, "rex", PASSWORDS["rex"]) as other:
            registry.rollback(other, "ward-triage")
        assert gate.refusal("v1") is None  # current again
        assert "rolled back" in (gate.refusal("v2") or "")


def _cli(root: Path, user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(root))
    monkeypatch.setenv("APPLIANCE_USER", user)
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS[user])


def test_serve_refuses_a_foreign_or_altered_directory_and_a_reviewer(served_ws, exports, tmp_path: Path,  # noqa: F811
                                                                     monkeypatch, capsys) -> None:
    root, export_dir = _copy(served_ws, tmp_path)
    _cli(root, "ivy", monkeypatch)
    # A model directory made elsewhere (its own export.json, never recorded here).
    assert main(["serve", "--model", str(exports.merged), "--port", "0"]) == EXIT_INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an export of this workspace" in err
    # An export of this workspace whose export.json was edited.
    edited = tmp_path / "edited"
    shutil.copytree(export_dir, edited)
    doc = json.loads((edited / "export.json").read_text())
    doc["metadata"]["approver"] = "someone-else"
    (edited / "export.json").write_text(json.dumps(doc))
    assert main(["serve", "--model", str(edited), "--port", "0"]) == EXIT_INVALID_INPUT
    assert "not an export of this workspace" in capsys.readouterr().err
    # An export whose weights changed (export.json untouched).
    weights = next(p for p in export_dir.iterdir() if p.suffix == ".safetensors")
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert main(["serve", "--model", str(export_dir), "--port", "0"]) == EXIT_INTEGRITY
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not match its recorded SHA-256" in err
    # A reviewer may not serve at all.
    _cli(root, "rex", monkeypatch)
    assert main(["serve", "--model", str(served_ws.merged), "--port", "0"]) == EXIT_AUTH
    assert capsys.readouterr().err.count("\n") == 1
    with Workspace.open(root, "admin", PASSWORDS["admin"]) as ws:
        assert not list(ws.audit_entries(action="serve.start"))
        with pytest.raises(IntegrityError):
            check_export(ws, export_dir)
        with pytest.raises(InvalidInput):
            check_export(ws, exports.merged)
