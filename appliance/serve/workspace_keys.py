"""The workspace side of serving: API keys kept in the workspace, and the request audit written to it.

Keys are made and revoked by an admin (`create_key`, `revoke_key`); only their SHA-256 is stored, in
the ``api_keys`` catalog, and every change is a signed audit entry. A running server checks presented
keys through `WorkspaceKeys` and records each request through `WorkspaceAuditSink` (hashes and counts,
never text).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from typing import Any

from appliance.catalog import api_keys
from appliance.catalog.base import now
from appliance.errors import InvalidInput
from appliance.serve.protocols import KeyInfo
from appliance.workspace import Workspace


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _key_scope(value: Any) -> tuple[frozenset[str] | None, bool]:
    """(models or None for all, admin) from the decoded ``models`` column: a list, or an object
    ``{"models": [...] | null, "admin": true}`` for an admin-scoped key (may read the server's /metrics)."""
    if isinstance(value, dict):
        models = value.get("models")
        return (frozenset(models) if models else None), bool(value.get("admin"))
    return (frozenset(value) if value else None), False


def create_key(ws: Workspace, name: str, models: Sequence[str] | None = None, admin: bool = False) -> str:
    """Make an API key; returns it once. Only its SHA-256 is stored. ``admin``: the key may also read the
    server's /metrics (every model's traffic)."""
    ws.require("admin")
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput(f"'{name}' is not a valid key name (letters, digits, '-', '_')")
    if api_keys.is_active(ws, name):
        raise InvalidInput(f"a key named '{name}' already exists; revoke it first")
    key = "ak-" + secrets.token_urlsafe(32)
    # The hash goes into the signed entry so that 'audit verify' can tell a swapped key_hash row.
    # The signed entry holds the scope exactly as stored, so 'audit verify' also tells a widened scope.
    scope: Any = list(models) if models else None
    if admin:
        scope = {"models": scope, "admin": True}
    details = {"models": scope, "key_hash": _hash_key(key)}
    with ws.transaction("keys.create", [name], details) as tx:
        api_keys.create(tx, name, _hash_key(key), scope, now(), ws.user.name)
    return key


def revoke_key(ws: Workspace, name: str) -> None:
    ws.require("admin")
    if not api_keys.is_active(ws, name):
        raise InvalidInput(f"no active key named '{name}'")
    with ws.transaction("keys.revoke", [name], {}) as tx:
        api_keys.revoke(tx, name)


def list_keys(ws: Workspace) -> list[dict[str, Any]]:
    out = []
    for k in api_keys.list_keys(ws):
        models, admin = _key_scope(k.scope)
        out.append({"name": k.name, "models": sorted(models) if models else None, "admin": admin,
                    "created": k.created, "created_by": k.created_by, "revoked": k.revoked})
    return out


class WorkspaceKeys:
    """KeyStore over the workspace's ``api_keys`` table, where a revoke takes effect on the next request.

    ``appliance keys revoke`` runs in another process, on its own connection. Before every check this
    store asks SQLite for ``PRAGMA data_version``, a counter that changes when any *other* connection
    commits (a look at the WAL index, no table read), and re-reads the table only when it changed. A
    revoke committed before a request arrives is therefore seen by that request; the server's own
    commits (the request audit, on this same connection) do not cause re-reads.

    Shares the workspace connection with the audit sink: every use of it is under ``lock``. A check
    can wait for an audit batch that is committing (one transaction, a few milliseconds at most).
    """

    def __init__(self, ws: Workspace, lock: threading.Lock) -> None:
        self._ws, self._lock = ws, lock
        self._keys: tuple[tuple[str, str, frozenset[str] | None, bool], ...] = ()
        self._version: int | None = None
        self._current()

    def _current(self) -> tuple[tuple[str, str, frozenset[str] | None, bool], ...]:
        with self._lock:
            conn = self._ws.read()
            version = api_keys.data_version(conn)
            if version != self._version:
                self._keys = tuple((k.name, k.key_hash, *_key_scope(k.scope))
                                   for k in api_keys.list_keys(conn) if not k.revoked)
                self._version = version
            return self._keys

    def check(self, presented_key: str) -> KeyInfo | None:
        digest = _hash_key(presented_key)
        found = None
        for name, key_hash, models, admin in self._current():
            # Every stored hash is compared (no early exit), so timing does not tell which one matched.
            if hmac.compare_digest(digest, key_hash) and found is None:
                found = KeyInfo(name=name, models=models, admin=admin)
        return found


class WorkspaceAuditSink:
    """RequestSink writing one audit entry per request (hashes and counts, never text), a batch per
    transaction. Called from the server's background audit thread."""

    def __init__(self, ws: Workspace, lock: threading.Lock) -> None:
        self._ws, self._lock = ws, lock

    def record(self, event: Any) -> None:
        self.record_batch([event])

    def record_batch(self, events: Sequence[Any]) -> None:
        from dataclasses import asdict

        entries = []
        for event in events:
            details = asdict(event)
            entries.append(("serve.request", [details.get("key_name") or "-", str(details.get("model"))], details))
        with self._lock:
            self._ws.audit_batch(entries)
