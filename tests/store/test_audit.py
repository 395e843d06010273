"""Audit chain: tampering of any kind names the first broken entry."""

from __future__ import annotations

import pytest

from appliance.workspace import Workspace


def _unlock_triggers(ws: Workspace) -> None:
    conn = ws.read()
    conn.execute("DROP TRIGGER audit_append_only_update")
    conn.execute("DROP TRIGGER audit_append_only_delete")


def test_chain_verifies_and_is_append_only(ws: Workspace) -> None:
    report = ws.verify()
    assert report.ok and report.chain.entries == 3
    with pytest.raises(Exception, match="append-only"):
        ws.read().execute("UPDATE audit SET user = 'x' WHERE seq = 1")
    with pytest.raises(Exception, match="append-only"):
        ws.read().execute("DELETE FROM audit WHERE seq = 3")


@pytest.mark.parametrize(
    ("tamper", "broken", "reason"),
    [
        ("UPDATE audit SET details = '{\"role\":\"admin\",\"user\":\"ivy\"}' WHERE seq = 2", 2, "altered"),
        ("UPDATE audit SET user = 'someone-else' WHERE seq = 3", 3, "altered"),
        ("DELETE FROM audit WHERE seq = 2", 2, "missing"),
        ("UPDATE audit SET prev_hash = hash WHERE seq = 3", 3, "does not link"),
    ],
)
def test_tampered_entry_is_named(ws: Workspace, tamper: str, broken: int, reason: str) -> None:
    _unlock_triggers(ws)
    ws.read().execute(tamper)
    report = ws.verify()
    assert not report.ok
    assert report.chain.first_broken == broken
    assert reason in (report.chain.reason or "")


def test_rehashed_entry_breaks_the_link_after_it(ws: Workspace) -> None:
    """Recomputing one entry's hash after editing it still breaks the next entry's link."""
    from appliance.store.audit import entry_hash

    _unlock_triggers(ws)
    conn = ws.read()
    seq, time, user, action, ids, _details, prev = conn.execute(
        "SELECT seq, time, user, action, object_ids, details, prev_hash FROM audit WHERE seq = 2").fetchone()
    details = '{"role":"admin","user":"ivy"}'
    conn.execute("UPDATE audit SET details = ?, hash = ? WHERE seq = 2",
                 (details, entry_hash(seq, time, user, action, ids, details, prev)))
    report = ws.verify()
    assert report.chain.first_broken == 3
