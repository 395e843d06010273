"""Revocation that revokes: after a password change (or a removal) and ``rotate-key``, a copy of the
old keyslots.json with the old password opens nothing, tried with the project's own libraries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from appliance.errors import ApplianceError, AuthError, IntegrityError
from appliance.store import db
from appliance.store.keyslots import TEST_KDF, KeyslotFile, open_slot, unwrap_master
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


def _old_master(old: KeyslotFile, user: str, password: str) -> bytes:
    keys = open_slot(old.slots[user], password, old.workspace_id)
    return unwrap_master(old.slots[user].master, keys.private_key, old.workspace_id, user)


def _opens_nothing(root: Path, old_copy: Path, user: str, password: str) -> None:
    old = KeyslotFile.load(old_copy)
    keys = open_slot(old.slots[user], password, old.workspace_id)  # the old slot still opens its own keys ...
    current = KeyslotFile.load(root / "keyslots.json")
    if user in current.slots:  # ... but not what is wrapped for the user now (fresh key pair)
        with pytest.raises(AuthError):
            unwrap_master(current.slots[user].master, keys.private_key, current.workspace_id, user)
    with pytest.raises(IntegrityError):  # and the master key it held no longer decrypts the database
        db.connect(root / "workspace.db", _old_master(old, user, password)).close()
    shutil.copy(root / "keyslots.json", root.parent / "current.json")
    shutil.copy(old_copy, root / "keyslots.json")  # the whole old file put back in place
    try:
        with pytest.raises(ApplianceError):
            Workspace.open(root, user, password).close()
    finally:
        shutil.copy(root.parent / "current.json", root / "keyslots.json")


def test_old_keyslot_after_password_change_and_rotate_key(ws_path: Path, tmp_path: Path) -> None:
    old_copy = tmp_path / "keyslots-copy.json"
    shutil.copy(ws_path / "keyslots.json", old_copy)
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        ws.change_password("ivy-fresh-passphrase", kdf=TEST_KDF)
    # Before the rotation the old master key still decrypts the database: that is what rotate-key is for.
    db.connect(ws_path / "workspace.db", _old_master(KeyslotFile.load(old_copy), "ivy", PASSWORDS["ivy"])).close()
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        ws.rotate_key()
    _opens_nothing(ws_path, old_copy, "ivy", PASSWORDS["ivy"])
    with Workspace.open(ws_path, "ivy", "ivy-fresh-passphrase") as ws:
        assert ws.verify().ok


def test_removed_user_keeps_nothing_after_rotate_key(ws_path: Path, tmp_path: Path) -> None:
    old_copy = tmp_path / "keyslots-copy.json"
    shutil.copy(ws_path / "keyslots.json", old_copy)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        ws.remove_user("rex")
        ws.rotate_key()
    _opens_nothing(ws_path, old_copy, "rex", PASSWORDS["rex"])
