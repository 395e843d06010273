"""Scratch of a killed process does not outlive it, even while another process (a 24/7 server) keeps the
workspace open so the exclusive housekeeping never runs; scratch still in use is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

REPO = Path(__file__).resolve().parents[2]
CANARY = "PLAINTEXT-CANARY-7f3a"

_CHILD = """
import sys, time
from pathlib import Path
from appliance.workspace import Workspace
ws = Workspace.open(Path(sys.argv[1]), "ivy", sys.argv[2])
with ws.scratch() as scratch:
    (scratch / "note.txt").write_text(sys.argv[3])
    print(scratch, flush=True)
    time.sleep(600)
"""


def _killed_child_scratch(ws_path: Path) -> Path:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(ws_path), PASSWORDS["ivy"], CANARY],
                             env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        path = Path(child.stdout.readline().strip())
        assert (path / "note.txt").read_text() == CANARY
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout:
            child.stdout.close()
    return path


def test_scratch_of_a_killed_process_is_swept_while_the_workspace_stays_open(ws_path: Path) -> None:
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as server:  # holds the shared lock throughout
        with server.scratch() as in_use:
            (in_use / "live.txt").write_text("still needed")
            dead = _killed_child_scratch(ws_path)
            assert dead.exists()  # SIGKILL: no finally ran
            with Workspace.open(ws_path, "rex", PASSWORDS["rex"]):  # any later open sweeps
                pass
            assert not dead.exists() and not dead.with_name(dead.name + ".lock").exists()
            assert (in_use / "live.txt").read_text() == "still needed"  # its owner is alive
        assert not in_use.exists()
        assert sorted(p.name for p in (ws_path / "scratch").iterdir()) == []


@pytest.mark.parametrize("ending", ["exception", "keyboard-interrupt", "return"])
def test_scratch_is_removed_on_every_exit_path(ws: Workspace, ending: str) -> None:
    def use() -> Path:
        with ws.scratch() as scratch:
            (scratch / "x").write_text(CANARY)
            if ending == "exception":
                raise ValueError("boom")
            if ending == "keyboard-interrupt":
                raise KeyboardInterrupt
            return scratch

    try:
        path = use()
    except (ValueError, KeyboardInterrupt):
        path = None
    assert path is None or not path.exists()
    assert list((ws.root / "scratch").iterdir()) == []
