"""Workspace settings written by services (release gates, ...): key -> text value.

This module holds the SQL by which services write the ``settings`` table; reads go through
``Workspace.setting``. The workspace's own keys (its id, KDF parameters, secrets) are the workspace's.
"""

from __future__ import annotations

from appliance.catalog.base import writer
from appliance.store.db import Connection


def put(tx: Connection, key: str, value: str) -> None:
    """Set ``key`` to ``value`` (replacing it), in the caller's transaction."""
    writer(tx, "settings").execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))
