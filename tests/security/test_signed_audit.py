"""An insider holds the master key (every keyslot unwraps it) and the project's own libraries. Each
attack below is done the way they would do it, directly on workspace.db with sqlcipher3; each must be
reported by ``audit verify`` (exit 4), naming the row and the missing entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.store import audit
from appliance.store.keyslots import TEST_KDF
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

REPO = Path(__file__).resolve().parents[2]


def _cli_verify(root: Path, user: str = "admin") -> tuple[int, str, dict]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "APPLIANCE_PASSWORD": PASSWORDS[user]}
    done = subprocess.run([sys.executable, "-m", "appliance.cli", "--workspace", str(root), "--user", user, "--json",
                           "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr, json.loads(done.stdout.strip().splitlines()[-1])


def _unlock_triggers(ws: Workspace) -> None:
    ws.read().execute("DROP TRIGGER audit_append_only_update")
    ws.read().execute("DROP TRIGGER audit_append_only_delete")


def test_every_entry_is_signed_and_a_fresh_workspace_verifies(ws_path: Path) -> None:
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        entries = list(ws.audit_entries())
        assert entries and all(e.signature for e in entries)
        report = ws.verify()
        assert report.ok, report.to_json()
        assert report.ledger.unsigned_legacy == 0


def test_direct_role_update_is_reported_and_grants_nothing_signed(ws_path: Path) -> None:
    """The reviewer makes themselves admin with sqlcipher, then uses the admin commands."""
    from appliance.serve.workspace_keys import create_key

    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:
        with ws.transaction("noop") as conn:  # any write path; the UPDATE itself leaves no entry
            conn.execute("UPDATE users SET role = 'admin' WHERE name = 'rex'")
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:  # now 'admin' as far as the table says
        create_key(ws, "backdoor")
        ws.add_user("mallory", "admin", "mallory-password-long", kdf=TEST_KDF)
        report = ws.verify()
    assert not report.ok
    problems = report.ledger.table_problems
    assert any("users row 'rex' has role 'admin'" in p and "'reviewer'" in p for p in problems), problems
    assert any("users row 'mallory'" in p and "no admin-signed users.add" in p for p in problems), problems
    assert any("api_keys row 'backdoor' has no admin-signed keys.create" in p for p in problems), problems
    code, err, data = _cli_verify(ws_path)
    assert code == 4 and "users row" in err and not data["verified"]


def test_direct_key_and_gate_edits_are_reported(ws: Workspace) -> None:
    from appliance import registry
    from appliance.serve.workspace_keys import create_key, revoke_key

    create_key(ws, "ehr")
    revoke_key(ws, "ehr")
    registry.set_gates(ws, registry.Gates(min_metric=0.8))
    assert ws.verify().ok
    conn = ws.read()
    conn.execute("UPDATE api_keys SET revoked = 0, key_hash = 'f00d' WHERE name = 'ehr'")
    conn.execute("UPDATE settings SET value = ? WHERE key = 'registry.gates'",
                 (json.dumps({"min_metric": None, "max_exposure": None, "max_forgetting": None}),))
    problems = ws.verify().ledger.table_problems
    assert any("'ehr' is active although a signed keys.revoke" in p for p in problems), problems
    assert any("'ehr' holds a key hash" in p for p in problems), problems
    assert any("registry.gates" in p for p in problems), problems


def test_rewritten_and_rehashed_chain_is_reported(ws_path: Path) -> None:
    """Drop the triggers, re-attribute entry 2 to the reviewer, delete entry 3, re-hash every entry."""
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        for n in range(2):
            with ws.transaction("settings.note", [f"n{n}"]):
                pass
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:
        _unlock_triggers(ws)
        conn = ws.read()
        conn.execute("UPDATE audit SET user = 'rex' WHERE seq = 2")
        conn.execute("DELETE FROM audit WHERE seq = 3")
        prev = audit.genesis_hash(ws.workspace_id)
        rows = conn.execute("SELECT seq, time, user, action, object_ids, details FROM audit ORDER BY seq").fetchall()
        for new_seq, (seq, time, user, action, ids, details) in enumerate(rows, 1):
            digest = audit.entry_hash(new_seq, time, user, action, ids, details, prev)
            conn.execute("UPDATE audit SET seq = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                         (new_seq, prev, digest, seq))
            prev = digest
        (ws_path / "audit.anchor").unlink()  # the insider removes the anchor beside the workspace too
        report = ws.verify()
    assert report.chain.ok  # the plain hash chain is fooled ...
    assert not report.ok  # ... the signatures are not
    # Entry 2 now names rex, who had no key at that point of the chain; the admin's entries after
    # the deleted one no longer hold their signatures either (their hashes changed).
    assert report.ledger.signature_problems[0].startswith("entry 2 (users.add) names 'rex'")
    assert any(p.startswith("entry 3 (settings.note) is not signed by 'admin'")
               for p in report.ledger.signature_problems), report.ledger.signature_problems
    code, err, _ = _cli_verify(ws_path)
    assert code == 4 and "entry 2" in err


def test_unsigned_entry_in_a_signed_workspace_is_reported(ws: Workspace) -> None:
    with ws.transaction("blob.note", ["x"]):
        pass
    _unlock_triggers(ws)
    ws.read().execute("UPDATE audit SET signature = '' WHERE seq = (SELECT max(seq) FROM audit)")
    assert any("is not signed" in p for p in ws.verify().ledger.signature_problems)


def test_role_grant_signed_by_a_non_admin_does_not_count(ws_path: Path) -> None:
    """A correctly signed users.add by a reviewer (forged row + entry) is still not a grant."""
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:
        with ws.transaction("users.add", ["eve"], {"user": "eve", "role": "admin"}) as conn:
            conn.execute("INSERT INTO users (name, role, public_key, signing_key, created) VALUES "
                         "('eve', 'admin', 'x', 'y', 'now')")
        report = ws.verify()
    assert any("users.add by rex) does not count: not signed by an admin" in n for n in report.ledger.notes)
    assert any("users row 'eve'" in p for p in report.ledger.table_problems)


@pytest.mark.parametrize("who", ["ivy"])
def test_password_change_registers_fresh_keys_signed_by_the_old_one(ws_path: Path, who: str) -> None:
    with Workspace.open(ws_path, who, PASSWORDS[who]) as ws:
        before = ws.read().execute("SELECT public_key, signing_key FROM users WHERE name = ?", (who,)).fetchone()
        ws.change_password("a-much-longer-new-password", kdf=TEST_KDF)
        after = ws.read().execute("SELECT public_key, signing_key FROM users WHERE name = ?", (who,)).fetchone()
        assert before[0] != after[0] and before[1] != after[1]
        with ws.transaction("blob.note", ["after-passwd"]):
            pass
        assert ws.verify().ok


@pytest.mark.parametrize(("password", "why"), [
    ("short-pw", "too short (8 characters; at least 12)"),
    ("aaaaaaaaaaaaaaaa", "repeats too few characters"),
    ("QwertY123456", "most common passwords"),
    ("Password1234!", "most common passwords"),  # a listed word with digits and a symbol stuck on
])
def test_weak_passwords_are_refused_with_one_line(ws: Workspace, password: str, why: str) -> None:
    from appliance.errors import InvalidInput

    with pytest.raises(InvalidInput, match=why.replace("(", r"\(").replace(")", r"\)")) as caught:
        ws.add_user("wendy", "reviewer", password)
    assert "\n" not in str(caught.value)
    assert "wendy" not in {u.name for u in ws.users()}


def test_the_shipped_list_is_there_and_recorded() -> None:
    from appliance.store.passwords import common_passwords

    listed = common_passwords()
    assert len(listed) > 19000 and "password" in listed and "qazwsxedcrfv" in listed
    readme = (REPO / "appliance" / "store" / "data" / "README.md").read_text()
    assert "BSD-3-Clause" in readme and (REPO / "appliance/store/data/common_passwords.LICENSE.txt").exists()
