"""SIGKILL at random moments while writing never leaves a change without its audit entry,
a half-written blob, a lost keyslot, or a chain that fails to verify."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.store.keyslots import TEST_KDF, KeyslotFile
from appliance.workspace import Workspace

KILLS = 50
REPO = Path(__file__).resolve().parents[2]


def _check(root: Path) -> None:
    with Workspace.open(root, "admin", "admin-crash-passphrase") as ws:  # alone: housekeeping runs
        report = ws.verify()
        assert report.ok, report.to_json()
        conn = ws.read()
        blob_ids = {r[0] for r in conn.execute("SELECT blob_id FROM blobs")}
        audited_blobs = {e.object_ids[0] for e in ws.audit_entries(action="blob.put")}
        assert blob_ids == audited_blobs
        users = {u.name for u in ws.users()}
        added = {e.object_ids[0] for e in ws.audit_entries(action="users.add")}
        removed = {e.object_ids[0] for e in ws.audit_entries(action="users.remove")}
        assert users == (added - removed) | {"admin"}
        files = {p.name for p in (root / "blobs").iterdir()}
        assert files == blob_ids, "orphan or missing blob files after housekeeping"
        slots = KeyslotFile.load(root / "keyslots.json")
        assert set(slots.slots) == users and slots.pending_generation is None
        rotations = len(list(ws.audit_entries(action="workspace.rotate-key")))
        assert ws.key_generation == 1 + rotations
    for user in users - {"admin"}:
        Workspace.open(root, user, "user-crash-passphrase").close()


@pytest.mark.slow  # 50 writer processes started and killed one after another
def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    Workspace.create(root, "admin", "admin-crash-passphrase", kdf=TEST_KDF).close()
    rng = random.Random(20261122)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for attempt in range(KILLS):
        child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("crash_writer.py")), str(root),
                                  str(attempt)], env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.3, 1.2))
        if child.poll() is not None:
            raise AssertionError(f"writer died on its own: {child.stderr.read().decode()[-1500:]}")  # type: ignore[union-attr]
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()  # type: ignore[union-attr]
        child.stdout.close()
        _check(root)
    with Workspace.open(root, "admin", "admin-crash-passphrase") as ws:
        actions = {e.action for e in ws.audit_entries()}
    # The random schedule exercised every kind of change at least once.
    assert {"blob.put", "users.add", "users.remove", "workspace.rotate-key"} <= actions
