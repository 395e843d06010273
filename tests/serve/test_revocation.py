"""A revoked API key stops working on the very next request, although the revoke is made by another
connection (another process, in production: ``appliance keys revoke``) while the server runs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from appliance.serve import ServeConfig, TorchBackend, serve
from appliance.serve.workspace_keys import WorkspaceAuditSink, WorkspaceKeys, create_key, revoke_key
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS, REPO

from .client import get, post
from .tiny import build_model, build_tokenizer

CHAT = {"model": "tiny", "messages": [{"role": "user", "content": "Chest pain since this morning."}],
        "max_tokens": 4, "temperature": 0}


@pytest.fixture
def served(ws_path: Path):
    """A server on the workspace's key store and audit (the CLI's wiring), and keys 'ehr' and 'lab'."""
    tokenizer = build_tokenizer()
    backend = TorchBackend(build_model(tokenizer), tokenizer, model_id="tiny")
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        keys = {name: create_key(ws, name) for name in ("ehr", "lab")}
        lock = threading.Lock()
        handle = serve({"tiny": backend}, WorkspaceKeys(ws, lock), WorkspaceAuditSink(ws, lock), ServeConfig(port=0))
        try:
            yield handle, keys
        finally:
            handle.stop()


def second_connection(ws_path: Path) -> Workspace:
    return Workspace.open(ws_path, "admin", PASSWORDS["admin"])


def test_revoke_from_another_connection_refuses_the_next_request(served, ws_path: Path) -> None:
    handle, keys = served
    assert get(handle.url, "/v1/models", key=keys["ehr"]).status == 200
    assert post(handle.url, "/v1/chat/completions", CHAT, key=keys["ehr"]).status == 200
    with second_connection(ws_path) as other:
        revoke_key(other, "ehr")
    refused = get(handle.url, "/v1/models", key=keys["ehr"])
    assert refused.status == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    assert post(handle.url, "/v1/chat/completions", CHAT, key=keys["ehr"]).status == 401
    assert get(handle.url, "/v1/models", key=keys["lab"]).status == 200  # other keys are untouched
    # A key created elsewhere works at once too, under a revoked key's name included.
    with second_connection(ws_path) as other:
        renewed = create_key(other, "ehr")
    assert get(handle.url, "/v1/models", key=renewed).status == 200
    assert get(handle.url, "/v1/models", key=keys["ehr"]).status == 401


def test_revoke_with_the_cli_in_another_process(served, ws_path: Path) -> None:
    handle, keys = served
    assert get(handle.url, "/v1/models", key=keys["lab"]).status == 200
    env = {**os.environ, "APPLIANCE_WORKSPACE": str(ws_path), "APPLIANCE_USER": "admin",
           "APPLIANCE_PASSWORD": PASSWORDS["admin"]}
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "keys", "revoke", "lab"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert get(handle.url, "/v1/models", key=keys["lab"]).status == 401
    assert get(handle.url, "/v1/models", key=keys["ehr"]).status == 200


def test_checks_racing_a_revoke_never_accept_the_key_after_it(ws_path: Path) -> None:
    """Many request threads check the key while the audit writes on the shared connection; every check
    that starts after the revoke committed refuses it."""
    from appliance.serve import RequestRecord

    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        key = create_key(ws, "ehr")
        lock = threading.Lock()
        store, sink = WorkspaceKeys(ws, lock), WorkspaceAuditSink(ws, lock)
        revoked, stop = threading.Event(), threading.Event()
        late_accepts: list[str] = []
        errors: list[BaseException] = []

        def client() -> None:
            try:
                while not stop.is_set():
                    after = revoked.is_set()
                    if store.check(key) is not None and after:
                        late_accepts.append(threading.current_thread().name)
            except BaseException as exc:  # surfaced below; a thread's exception would otherwise vanish
                errors.append(exc)

        def auditor() -> None:
            try:
                while not stop.is_set():
                    sink.record(RequestRecord("ehr", "tiny", "/v1/models", 0, 0, 1.0, "", "", 200))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(8)]
        threads.append(threading.Thread(target=auditor, name="auditor"))
        for thread in threads:
            thread.start()
        try:
            assert store.check(key) is not None
            with second_connection(ws_path) as other:
                revoke_key(other, "ehr")
            revoked.set()
            assert store.check(key) is None
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        assert not errors, errors
        assert not late_accepts
        assert len(list(ws.audit_entries(action="serve.request"))) > 0
