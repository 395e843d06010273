"""The command line: every command's happy path and its documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch, ws_path: Path):
    def login(user: str, password: str | None = None) -> None:
        monkeypatch.setenv("APPLIANCE_WORKSPACE", str(ws_path))
        monkeypatch.setenv("APPLIANCE_USER", user)
        monkeypatch.setenv("APPLIANCE_PASSWORD", password or PASSWORDS[user])
    return login


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("appliance ")


def test_init_with_password_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APPLIANCE_PASSWORD", raising=False)
    pw = tmp_path / "pw.txt"
    pw.write_text("s3cret-pass-phrase\n")
    root = tmp_path / "new-ws"
    assert main(["--workspace", str(root), "init", "--admin", "alice", "--password-file", str(pw)]) == 0
    with Workspace.open(root, "alice", "s3cret-pass-phrase") as ws:
        assert ws.user.role == "admin"
    # A second init on the same directory is refused.
    assert main(["--workspace", str(root), "init", "--admin", "bob", "--password-file", str(pw)]) == 1


def test_users_commands(as_user, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    as_user("admin")
    monkeypatch.setenv("APPLIANCE_NEW_PASSWORD", "nora-first-passphrase")
    assert main(["users", "add", "nora", "--role", "reviewer"]) == 0
    assert main(["users", "list", "--json"]) == 0
    users = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {u["name"]: u["role"] for u in users}["nora"] == "reviewer"
    assert main(["users", "remove", "admin"]) == 5  # last admin
    assert main(["users", "add", "bad name!", "--role", "reviewer"]) == 5
    as_user("nora", "nora-first-passphrase")
    monkeypatch.setenv("APPLIANCE_NEW_PASSWORD", "nora-second-passphrase")
    assert main(["users", "passwd"]) == 0
    assert main(["users", "list"]) == 3  # the old password no longer works
    as_user("nora", "nora-second-passphrase")
    assert main(["users", "add", "x", "--role", "admin"]) == 3  # a reviewer cannot add users
    as_user("admin")
    assert main(["rotate-key"]) == 0
    assert main(["users", "remove", "nora"]) == 0


@pytest.mark.parametrize(
    ("argv_user", "password", "code"),
    [("admin", "wrong", 3), ("nobody", "admin-quiet-harbour", 3)],
)
def test_authentication_failures_change_nothing(as_user, ws_path: Path, argv_user: str, password: str,
                                                 code: int, capsys: pytest.CaptureFixture[str]) -> None:
    before = (ws_path / "workspace.db").read_bytes(), (ws_path / "keyslots.json").read_bytes()
    as_user(argv_user, password)
    assert main(["rotate-key"]) == code
    assert "authentication failed" in capsys.readouterr().err
    assert before == ((ws_path / "workspace.db").read_bytes(), (ws_path / "keyslots.json").read_bytes())


def test_usage_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("APPLIANCE_WORKSPACE", raising=False)
    assert main(["users", "list"]) == 2  # no workspace
    with pytest.raises(SystemExit) as exc:
        main(["users", "frobnicate"])
    assert exc.value.code == 2
    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("APPLIANCE_USER", "admin")
    monkeypatch.setenv("APPLIANCE_PASSWORD", "x")
    assert main(["users", "list"]) == 1  # not a workspace


def test_audit_commands(as_user, ws_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    as_user("rex")
    assert main(["audit", "verify", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] is True and report["entries"] == 3
    assert main(["audit", "list", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [e["action"] for e in lines] == ["workspace.create", "users.add", "users.add"]
    out = tmp_path / "audit.jsonl"
    assert main(["audit", "export", "--out", str(out)]) == 0
    exported = [json.loads(x) for x in out.read_text().splitlines()]
    assert [e["seq"] for e in exported] == [1, 2, 3] and all(len(e["hash"]) == 64 for e in exported)
    # Tamper with entry 2 and verify again: exit 4, naming the entry.
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        ws.read().execute("DROP TRIGGER audit_append_only_update")
        ws.read().execute("UPDATE audit SET action = 'users.remove' WHERE seq = 2")
    capsys.readouterr()
    assert main(["audit", "verify"]) == 4
    assert "audit chain broken at entry 2" in capsys.readouterr().err


def test_tampered_blob_exit_4(as_user, ws_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 5000)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        info = ws.put_blob(src, "test")
    blob = ws_path / "blobs" / info.blob_id
    data = bytearray(blob.read_bytes())
    data[-3] ^= 0xFF
    blob.write_bytes(bytes(data))
    as_user("admin")
    assert main(["audit", "verify"]) == 4
    assert f"blob {info.blob_id}: chunk 0" in capsys.readouterr().err


def test_compare_icl_settings_are_parsed_and_checked(tmp_path, capsys):
    from appliance.cli.tuning import _icl_settings

    assert _icl_settings(["calibrate=true", "shot_note_tokens=64", "similarity=balanced", "dtype=float32"]) == {
        "calibrate": True, "shot_note_tokens": 64, "similarity": "balanced", "dtype": "float32"}
    assert _icl_settings([]) == {}
    # A malformed or unknown setting is a usage error, before any workspace is opened.
    for bad in ("calibrate", "=3", "similarity=vibes", "colour=blue"):
        code = main(["--workspace", str(tmp_path / "none"), "compare", "--dataset", "d", "--icl", bad,
                     "--out", str(tmp_path / "r.html")])
        assert code == 2, bad
    assert not (tmp_path / "none").exists()
