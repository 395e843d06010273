"""A workspace holding what a run refers to (dataset, de-identified version, snapshot), made directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

SNAPSHOT = "ward@v1"


@pytest.fixture
def snap_ws(ws_path: Path) -> Path:
    """The standard workspace plus the dataset, de-identified version and snapshot a run refers to."""
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws, ws.transaction("test.fixture") as tx:
        tx.execute("INSERT INTO datasets (name, created, created_by) VALUES ('ward', 't', 'ivy')")
        tx.execute("INSERT INTO deid_versions (version_id, dataset, config, status, records, spans, content_hash,"
                   " created, created_by) VALUES ('ward-d1', 'ward', '{}', 'complete', 0, 0, 'h', 't', 'ivy')")
        tx.execute("INSERT INTO snapshots (snapshot_id, dataset, deid_version, config, report, counts, content_hash,"
                   " created, created_by) VALUES (?, 'ward', 'ward-d1', '{}', '{}', '{}', 'h', 't', 'ivy')",
                   (SNAPSHOT,))
    return ws_path
