from __future__ import annotations

from pathlib import Path

import pytest

from appliance.data import synthetic
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
