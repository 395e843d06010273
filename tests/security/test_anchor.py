"""The anchored head: truncating the chain or rewriting its end (both invisible to the chain and its
signatures when the insider only removes or re-signs their own part) is caught by recorded heads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.store import anchor
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

REPO = Path(__file__).resolve().parents[2]


def _cli(root: Path, *argv: str, user: str = "admin") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "APPLIANCE_PASSWORD": PASSWORDS[user]}
    return subprocess.run([sys.executable, "-m", "appliance.cli", "--workspace", str(root), "--user", user, *argv],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def outside_anchor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "var-lib-appliance" / "audit.anchor"
    path.parent.mkdir()
    monkeypatch.setenv(anchor.ANCHOR_ENV, str(path))
    return path


def _write(ws: Workspace, n: int, action: str = "settings.note") -> None:
    for i in range(n):
        with ws.transaction(action, [f"{ws.user.name}-{i}"]):
            pass


def _drop_triggers(ws: Workspace) -> None:
    ws.read().execute("DROP TRIGGER audit_append_only_update")
    ws.read().execute("DROP TRIGGER audit_append_only_delete")


def test_every_commit_appends_the_head_and_audit_head_prints_it(ws_path: Path, outside_anchor: Path) -> None:
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        _write(ws, 2)
        head = ws.head()
    lines = [json.loads(line) for line in outside_anchor.read_text().splitlines()]
    assert [line["entries"] for line in lines] == [4, 5]
    assert lines[-1]["head"] == head.hash and lines[-1]["workspace_id"] == head.workspace_id
    printed = _cli(ws_path, "audit", "head")
    assert printed.returncode == 0
    assert json.loads(printed.stdout)["head"] == head.hash
    verified = _cli(ws_path, "audit", "verify", "--anchor", str(outside_anchor))
    assert verified.returncode == 0, verified.stderr
    assert "head matches 1 anchor(s)" in verified.stderr  # the configured one, given twice


def test_truncation_is_reported(ws_path: Path, outside_anchor: Path, tmp_path: Path) -> None:
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        _write(ws, 3)
    recorded = tmp_path / "auditor-head.jsonl"
    recorded.write_text(_cli(ws_path, "audit", "head").stdout)
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:  # the insider cuts the last two entries
        _drop_triggers(ws)
        ws.read().execute("DELETE FROM audit WHERE seq > (SELECT max(seq) - 2 FROM audit)")
        (ws_path / anchor.DEFAULT_NAME).unlink(missing_ok=True)  # and the anchor inside the workspace with them
        report = ws.verify()
        assert report.chain.ok and report.ledger.ok  # what is left is a valid, signed chain
        assert ws.verify(anchors=[outside_anchor]).anchor_problems == [
            f"audit chain truncated: {outside_anchor} records entry 6, the chain ends at 4"]
    for source in (outside_anchor, recorded):
        done = _cli(ws_path, "audit", "verify", "--anchor", str(source))
        assert done.returncode == 4
        assert "audit chain truncated" in done.stderr and "entry 6" in done.stderr


def test_rewritten_end_is_reported(ws_path: Path, outside_anchor: Path) -> None:
    """The reviewer replaces the admin's last entry with one of their own, at the same number,
    correctly linked and signed by themselves: only the recorded head shows it."""
    from appliance.store import audit

    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        _write(ws, 1, "keys.note")
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:
        _drop_triggers(ws)
        conn = ws.read()
        conn.execute("DELETE FROM audit WHERE seq = 4")
        conn.execute("BEGIN IMMEDIATE")
        audit.append(conn, ws.workspace_id, "rex", "settings.note", ["innocent"], {}, signer=ws._signing_key)
        conn.execute("COMMIT")
        report = ws.verify(anchors=[outside_anchor])
    assert report.chain.ok and report.ledger.ok
    assert report.anchor_problems and report.anchor_problems[0].startswith("audit chain rewritten: entry 4 has hash")
    done = _cli(ws_path, "audit", "verify", "--anchor", str(outside_anchor))
    assert done.returncode == 4 and "rewritten: entry 4" in done.stderr


def test_bad_anchor_file_is_a_clear_error(ws_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.anchor"
    bad.write_text("not json\n")
    done = _cli(ws_path, "audit", "verify", "--anchor", str(bad))
    assert done.returncode == 5 and "line 1 is not an audit head record" in done.stderr
