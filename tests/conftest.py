"""Shared fixtures. Workspaces use cheap KDF parameters: the real cost is a deployment setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Converted public base models are cached per machine; keep the tests' cache inside the checkout.
os.environ.setdefault("APPLIANCE_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".cache"))
# Audit heads go to the workspace's own anchor file in tests, never to the host's system log.
os.environ.setdefault("APPLIANCE_AUDIT_SYSLOG", "0")

from appliance.store.keyslots import TEST_KDF  # noqa: E402
from appliance.workspace import Workspace  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_FILE = REPO / ".cache" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
PASSWORDS = {"admin": "admin-quiet-harbour", "ivy": "ivy-amber-lantern", "rex": "rex-silver-orchard"}


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    """A workspace with an admin, an informaticist (ivy) and a reviewer (rex); closed, ready to open."""
    root = tmp_path / "ws"
    with Workspace.create(root, "admin", PASSWORDS["admin"], kdf=TEST_KDF) as ws:
        ws.add_user("ivy", "informaticist", PASSWORDS["ivy"])
        ws.add_user("rex", "reviewer", PASSWORDS["rex"])
    return root


@pytest.fixture
def ws(ws_path: Path):
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as opened:
        yield opened


@pytest.fixture
def default_model_file() -> Path:
    if not DEFAULT_MODEL_FILE.exists():
        pytest.fail(f"{DEFAULT_MODEL_FILE} missing: run 'make model' (make test does it)")
    return DEFAULT_MODEL_FILE
