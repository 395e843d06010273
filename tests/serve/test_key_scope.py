"""An admin-scoped API key (``appliance keys create --admin``) may read /metrics; its scope is in the
signed audit entry, so a scope widened in the table alone is reported by ``audit verify``."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from appliance.serve.workspace_keys import WorkspaceKeys, create_key, list_keys
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


def test_admin_scope_is_stored_signed_and_seen_by_the_server(ws_path: Path) -> None:
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        ops = create_key(ws, "ops", admin=True)
        ehr = create_key(ws, "ehr", ["ward-triage"])
        store = WorkspaceKeys(ws, threading.Lock())
        assert store.check(ops).admin is True and store.check(ops).models is None
        assert store.check(ehr).admin is False and store.check(ehr).models == frozenset({"ward-triage"})
        assert {k["name"]: k["admin"] for k in list_keys(ws)} == {"ehr": False, "ops": True}
        assert ws.verify().ok
        # Widening a key's scope in the table, without a signed entry, is found by the verification.
        with ws.transaction("test.tamper", [], {}) as tx:
            tx.execute("UPDATE api_keys SET models = ? WHERE name = 'ehr'",
                       (json.dumps({"models": ["ward-triage"], "admin": True}),))
        report = ws.verify()
        assert not report.ok and report.problems() == ["api_keys row 'ehr' serves models no signed entry granted"]
