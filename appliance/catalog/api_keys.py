"""API keys of the model server: only the SHA-256 of each key is stored, never the key.

This module alone holds the SQL of the ``api_keys`` table. Making, revoking and checking keys are
``appliance.serve.workspace_keys``'s; this is the record. A name is reused only after its key is revoked
(the new key replaces the row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appliance.catalog.base import Source, loads, reader, writer
from appliance.store import db
from appliance.store.db import Connection


@dataclass(frozen=True)
class ApiKey:
    name: str
    key_hash: str  # SHA-256 hex of the key
    scope: Any  # the models column decoded: a list of model names, an object {"models": ..., "admin": ...}, or None
    created: str
    created_by: str
    revoked: bool


def list_keys(source: Source) -> list[ApiKey]:
    """Every key, revoked ones included, by name."""
    rows = reader(source).execute("SELECT name, key_hash, models, created, created_by, revoked FROM api_keys"
                                  " ORDER BY name")
    return [ApiKey(r[0], r[1], loads(r[2]), r[3], r[4], bool(r[5])) for r in rows]


def is_active(source: Source, name: str) -> bool:
    return reader(source).execute("SELECT 1 FROM api_keys WHERE name = ? AND revoked = 0",
                                  (name,)).fetchone() is not None


def data_version(conn: Connection) -> int:
    """SQLite's ``PRAGMA data_version``: changes when another connection commits (not this one)."""
    return db.data_version(conn)


def create(tx: Connection, name: str, key_hash: str, scope: Any, created: str, created_by: str) -> None:
    """Store a new key (replacing a revoked one of the same name), in the caller's transaction; ``scope``
    is stored as JSON in the models column (nothing when empty: every model)."""
    writer(tx, "API keys").execute(
        "INSERT OR REPLACE INTO api_keys (name, key_hash, models, created, created_by, revoked) VALUES (?,?,?,?,?,0)",
        (name, key_hash, json.dumps(scope) if scope else None, created, created_by))


def revoke(tx: Connection, name: str) -> None:
    writer(tx, "API keys").execute("UPDATE api_keys SET revoked = 1 WHERE name = ?", (name,))
