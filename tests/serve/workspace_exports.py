"""A workspace that holds what ``appliance serve`` may serve: a tiny classification run, tuned, evaluated,
approved by a second person and exported (merged), built once per test module that asks for it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.store.keyslots import TEST_KDF
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


@dataclass(frozen=True)
class ServedWorkspace:
    root: Path
    run_id: str
    merged: Path  # the export directory
    approval: str  # "name@vN"


def build_served_workspace(root: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> ServedWorkspace:
    from appliance import base_models, registry, synthetic
    from appliance.deid.service import mark_reviewed, run_deid
    from appliance.evaluate.service import evaluate_run
    from appliance.export.service import export_run
    from appliance.ingest.service import import_path
    from appliance.tune.service import TuneRequest, run_tune, start_run
    from tests.tiny import manifest_for, save_tiny_chat_model

    with Workspace.create(root, "admin", PASSWORDS["admin"], kdf=TEST_KDF) as ws:
        ws.add_user("ivy", "informaticist", PASSWORDS["ivy"])
        ws.add_user("rex", "reviewer", PASSWORDS["rex"])
    source = scratch / "notes.jsonl"
    synthetic.write_jsonl(synthetic.generate(24, seed=3), source)
    model_dir = save_tiny_chat_model(scratch / "tiny-chat")
    monkeypatch.setenv("APPLIANCE_MANIFEST", str(manifest_for("tiny-chat", model_dir, scratch / "manifest.toml")))
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        import_path(ws, source, "ward")
        base_models.add_model(ws, "tiny-chat", model_dir)
        version = run_deid(ws, "ward")["version"]
    with Workspace.open(root, "rex", PASSWORDS["rex"]) as ws:
        mark_reviewed(ws, version)
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        run_id = start_run(ws, TuneRequest(dataset="ward", method="lora", base="tiny-chat", split_seed=1,
                                           overrides={"max_steps": 2, "max_seq_len": 128},
                                           task_config={"label_field": "triage"}))
        run_tune(ws, run_id)
        evaluate_run(ws, run_id, audit_candidates=16)
    with Workspace.open(root, "rex", PASSWORDS["rex"]) as ws:
        approved = registry.approve(ws, run_id, "held-out labels reviewed", name="ward-triage")
    merged = scratch / "export-merged"
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        export_run(ws, run_id, "merged", merged)
    return ServedWorkspace(root, run_id, merged, f"ward-triage@v{approved['version']}")


@pytest.fixture(scope="module")
def served_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedWorkspace]:
    scratch = tmp_path_factory.mktemp("served")
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = build_served_workspace(scratch / "ws", scratch, monkeypatch)
        yield built
    shutil.rmtree(scratch, ignore_errors=True)
