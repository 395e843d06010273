"""A workspace from before signed entries keeps opening: its unsigned entries are accepted only before
the first signed one, each user registers a signing key at their first sign-in, and the same attacks
are caught from then on. The old format is made here from a new workspace (unsigned, keys removed)."""

from __future__ import annotations

import json
from pathlib import Path

from appliance.store import audit
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


def _make_legacy(root: Path) -> None:
    """Strip signatures and signing keys, as a workspace written before schema 7 has none."""
    with Workspace.open(root, "admin", PASSWORDS["admin"]) as ws:
        conn = ws.read()
        conn.execute("DROP TRIGGER audit_append_only_update")
        conn.execute("DROP TRIGGER audit_append_only_delete")
        prev = audit.genesis_hash(ws.workspace_id)
        rows = conn.execute("SELECT seq, time, user, action, object_ids, details FROM audit ORDER BY seq").fetchall()
        for seq, time, user, action, ids, details in rows:
            data = json.loads(details)
            data.pop("signing_key", None)
            data.pop("public_key", None)
            if action == "workspace.create":
                data["schema"] = 6
            details = json.dumps(data, sort_keys=True, separators=(",", ":"))
            digest = audit.entry_hash(seq, time, user, action, ids, details, prev)
            conn.execute("UPDATE audit SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                         (details, prev, digest, seq))
            prev = digest
        conn.execute("ALTER TABLE audit DROP COLUMN signature")  # schema 6 had neither column
        conn.execute("ALTER TABLE users DROP COLUMN signing_key")
        conn.execute("PRAGMA user_version = 6")
        for verb in ("UPDATE", "DELETE"):  # back as a legacy workspace has them
            conn.execute(f"CREATE TRIGGER audit_append_only_{verb.lower()} BEFORE {verb} ON audit "
                         "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    slots = json.loads((root / "keyslots.json").read_text())
    for slot in slots["slots"].values():
        slot.pop("signing_public", None)
        slot.pop("signing_key", None)
    (root / "keyslots.json").write_text(json.dumps(slots))
    (root / "audit.anchor").unlink(missing_ok=True)  # written by the new code; a legacy workspace has none


def test_legacy_workspace_opens_registers_keys_and_verifies(ws_path: Path) -> None:
    _make_legacy(ws_path)
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        assert ws.read().execute("SELECT signing_key FROM users WHERE name = 'ivy'").fetchone()[0]
        with ws.transaction("settings.note", ["after-upgrade"]):
            pass
        report = ws.verify()
    assert report.ok, report.problems()
    assert report.ledger.unsigned_legacy == 4  # three old entries and the upgrade's marker
    assert any("'ivy' registered their own signing key" in n for n in report.ledger.notes)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        assert ws.verify().ok
        entries = list(ws.audit_entries())
    assert [e.action for e in entries[3:]] == ["audit.signing-start", "users.signing-key", "settings.note",
                                               "users.signing-key"]


def test_after_the_upgrade_the_attacks_are_still_caught(ws_path: Path) -> None:
    _make_legacy(ws_path)
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:
        ws.read().execute("UPDATE users SET role = 'admin' WHERE name = 'rex'")
        problems = ws.verify().ledger.table_problems
    assert any("users row 'rex' has role 'admin'" in p for p in problems), problems
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws:  # stripping signatures after signing began
        ws.read().execute("DROP TRIGGER audit_append_only_update")
        ws.read().execute("UPDATE audit SET signature = '' WHERE seq = 5")  # rex's key registration
        report = ws.verify()
        assert any("entry 5" in p and "is not signed" in p for p in report.ledger.signature_problems), report.problems()
        ws.read().execute("DROP TRIGGER audit_append_only_delete")
        ws.read().execute("DELETE FROM audit WHERE seq >= 4")  # the marker too: the chain "never" signed
        ws.read().execute("UPDATE users SET signing_key = ''")
        assert ws.verify(anchors=[ws_path / "audit.anchor"]).anchor_problems  # the anchored head shows it
        assert "the audit table's append-only triggers were removed" in report.database_problems
