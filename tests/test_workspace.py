"""Workspace: encryption at rest, keyslots per user, roles, key rotation, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from appliance.errors import ApplianceError, AuthError, InvalidInput, PermissionDenied
from appliance.store import schema
from appliance.store.keyslots import TEST_KDF
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

CANARY = "CANARY-7f3a9c-Johanna-Zwicky-MRN-4417"


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _contains(path: Path, needle: str) -> bool:
    data = path.read_bytes()
    return any(form in data for form in (needle.encode(), needle.encode("utf-16-le"), needle.lower().encode()))


def test_database_is_not_plain_sqlite(ws_path: Path) -> None:
    raw = (ws_path / "workspace.db").read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    conn = sqlite3.connect(ws_path / "workspace.db")
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT * FROM sqlite_master").fetchall()
    conn.close()


def test_canary_never_reaches_any_file(ws_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "note.txt"
    source.write_text((CANARY + "\n") * 5000)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        with ws.transaction("test.canary", ["x"], {"n": 1}) as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('canary', ?)", (CANARY,))
        info = ws.put_blob(source, "note")
        with ws.scratch() as scratch:
            ws.get_blob(info.blob_id, scratch / "plain.txt")
            assert CANARY in (scratch / "plain.txt").read_text()
        source.unlink()  # the plaintext source is the caller's; only the workspace is under test
        # While open: db, -wal and -shm exist and must hold no plaintext either.
        files = _all_files(ws_path)
        assert any(p.name.endswith("-wal") for p in files)
        assert not [p for p in files if _contains(p, CANARY)]
    files = _all_files(ws_path)
    assert not [p for p in files if _contains(p, CANARY)]
    assert not any((ws_path / "scratch").iterdir())


def test_each_user_opens_with_own_password_only(ws_path: Path) -> None:
    for user, pw in PASSWORDS.items():
        with Workspace.open(ws_path, user, pw) as ws:
            assert ws.user.name == user
        for other, other_pw in PASSWORDS.items():
            if other != user:
                with pytest.raises(AuthError):
                    Workspace.open(ws_path, user, other_pw)
    with pytest.raises(AuthError):
        Workspace.open(ws_path, "mallory", "admin-quiet-harbour")


def test_roles(ws_path: Path) -> None:
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        assert ws.user.role == "informaticist"
        with pytest.raises(PermissionDenied):
            ws.add_user("eve", "admin", "eve-hollow-pinecone")
        with pytest.raises(PermissionDenied):
            ws.rotate_key()


def test_remove_user_and_last_admin(ws: Workspace, ws_path: Path) -> None:
    ws.remove_user("rex")
    with pytest.raises(AuthError):
        Workspace.open(ws_path, "rex", PASSWORDS["rex"])
    with pytest.raises(InvalidInput, match="last admin"):
        ws.remove_user("admin")
    assert [u.name for u in ws.users()] == ["admin", "ivy"]
    actions = [e.action for e in ws.audit_entries()]
    assert actions == ["workspace.create", "users.add", "users.add", "users.remove"]


def test_change_password(ws_path: Path) -> None:
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        ws.change_password("ivy-new-marble-river")
    with pytest.raises(AuthError):
        Workspace.open(ws_path, "ivy", PASSWORDS["ivy"])
    with Workspace.open(ws_path, "ivy", "ivy-new-marble-river") as ws:
        assert ws.user.name == "ivy"


def test_rotate_key_keeps_all_data(ws_path: Path, tmp_path: Path) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(bytes(range(256)) * 9000)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        info = ws.put_blob(payload, "test")
        old_db = (ws_path / "workspace.db").read_bytes()
        assert ws.rotate_key() == 2
        assert ws.key_generation == 2
    assert (ws_path / "workspace.db").read_bytes() != old_db
    for user, pw in PASSWORDS.items():
        with Workspace.open(ws_path, user, pw) as ws:
            out = tmp_path / f"out-{user}.bin"
            ws.get_blob(info.blob_id, out)
            assert out.read_bytes() == payload.read_bytes()
            assert len(ws.users()) == 3
            report = ws.verify()
            assert report.ok, report.to_json()
            assert [e.action for e in ws.audit_entries()][-1] == "workspace.rotate-key"


def test_rotation_refused_while_open_elsewhere(ws_path: Path) -> None:
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]):
        with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as admin:
            with pytest.raises(ApplianceError, match="open in another"):
                admin.rotate_key()


def test_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "random").mkdir()
    (tmp_path / "random" / "file.txt").write_text("hello")
    with pytest.raises(ApplianceError, match="not a workspace"):
        Workspace.open(tmp_path / "random", "admin", "x")
    with pytest.raises(ApplianceError, match="not empty"):
        Workspace.create(tmp_path / "random", "admin", "pass-phrase-long", kdf=TEST_KDF)


def test_newer_schema_refused(ws: Workspace, ws_path: Path) -> None:
    ws.read().execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    ws.close()
    with pytest.raises(ApplianceError, match="newer than this appliance"):
        Workspace.open(ws_path, "admin", PASSWORDS["admin"])


def test_transaction_rolls_back_change_and_audit(ws: Workspace) -> None:
    before = len(list(ws.audit_entries()))
    with pytest.raises(RuntimeError):
        with ws.transaction("test.fail") as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('half', 'x')")
            raise RuntimeError("boom")
    assert ws.setting("half") is None
    assert len(list(ws.audit_entries())) == before


def test_secret_is_stable(ws: Workspace) -> None:
    first = ws.secret("deid")
    assert len(first) == 32 and ws.secret("deid") == first
