"""Workspace settings: key -> text value (the workspace's id and KDF parameters, per-workspace
secrets, release gates, ...).

This module alone holds the SQL of the ``settings`` table. ``Workspace.setting`` and
``Workspace.secret`` read through it; services write with ``put`` in their own transaction.
"""

from __future__ import annotations

from appliance.catalog.base import Source, reader, writer
from appliance.store.db import Connection


def get(source: Source, key: str) -> str | None:
    row = reader(source).execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put(tx: Connection, key: str, value: str) -> None:
    """Set ``key`` to ``value`` (replacing it), in the caller's transaction."""
    writer(tx, "settings").execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))


def put_new(tx: Connection, key: str, value: str) -> None:
    """Set ``key`` to ``value`` unless it is already set (a concurrent first use keeps the first value)."""
    writer(tx, "settings").execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, value))
