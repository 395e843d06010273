from __future__ import annotations

from pathlib import Path

import pytest

from appliance import synthetic
from appliance.ingest.service import import_path
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


@pytest.fixture
def notes_ws(ws_path: Path, tmp_path: Path) -> Path:
    """The standard workspace with 24 synthetic notes imported as dataset 'ward'."""
    notes = synthetic.generate(24, seed=3)
    source = tmp_path / "notes.jsonl"
    synthetic.write_jsonl(notes, source)
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        import_path(ws, source, "ward")
    return ws_path


@pytest.fixture
def tiny_ws(notes_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """notes_ws plus a tiny chat model registered from a test manifest, and a reviewed de-identified version."""
    from appliance import base_models
    from appliance.deid.service import mark_reviewed, run_deid
    from tests.tiny import manifest_for, save_tiny_chat_model

    model_dir = save_tiny_chat_model(tmp_path / "tiny-chat")
    monkeypatch.setenv("APPLIANCE_MANIFEST", str(manifest_for("tiny-chat", model_dir, tmp_path / "manifest.toml")))
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        base_models.add_model(ws, "tiny-chat", model_dir)
        version = run_deid(ws, "ward")["version"]
    with Workspace.open(notes_ws, "rex", PASSWORDS["rex"]) as ws:
        mark_reviewed(ws, version)
    return notes_ws
