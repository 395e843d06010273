"""A workspace holding what a run refers to (dataset, de-identified version, snapshot), made directly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from appliance.store.db import Connection
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

SNAPSHOT = "ward@v1"
T = TypeVar("T")


@pytest.fixture
def snap_ws(ws_path: Path) -> Path:
    """The standard workspace plus the dataset, de-identified version and snapshot a run refers to."""
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws, ws.transaction("test.fixture") as tx:
        tx.execute("INSERT INTO datasets (name, created, created_by) VALUES ('ward', 't', 'ivy')")
        tx.execute("INSERT INTO deid_versions (version_id, dataset, config, status, records, spans, content_hash,"
                   " created, created_by) VALUES ('ward-d1', 'ward', '{}', 'complete', 0, 0, 'h', 't', 'ivy')")
        tx.execute("INSERT INTO snapshots (snapshot_id, dataset, deid_version, config, report, counts, content_hash,"
                   " created, created_by) VALUES (?, 'ward', 'ward-d1', '{}', '{}', '{}', 'h', 't', 'ivy')",
                   (SNAPSHOT,))
    return ws_path


def interleaved(ws_path: Path, user: str, action: str, allocate: Callable[[Connection], T]) -> dict[str, T]:
    """Two connections allocate in turn while the first one's write is not yet committed.

    A opens ``Workspace.transaction(action)``, calls ``allocate(tx)`` and holds the transaction; B then
    starts the same. B must wait for A's write lock (it is still waiting half a second later) and,
    once A commits, allocate after A. Returns ``{"a": A's result, "b": B's result}``. Counting outside
    the transaction would give both the same id here.
    """
    a_inserted, a_may_commit = threading.Event(), threading.Event()
    got: dict[str, T] = {}
    errors: list[BaseException] = []

    def creator(name: str, hold: bool) -> None:
        try:
            with Workspace.open(ws_path, user, PASSWORDS[user]) as ws, ws.transaction(action) as tx:
                got[name] = allocate(tx)
                if hold:
                    a_inserted.set()
                    assert a_may_commit.wait(30)
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread below)
            errors.append(exc)
            a_inserted.set()

    a = threading.Thread(target=creator, args=("a", True))
    a.start()
    assert a_inserted.wait(30)
    b = threading.Thread(target=creator, args=("b", False))
    b.start()
    time.sleep(0.5)
    waited = b.is_alive() and "b" not in got  # B is waiting for A's write lock, not reading a stale count
    a_may_commit.set()
    a.join(60)
    b.join(60)
    assert not errors, errors
    assert waited, "the second writer did not wait for the first one's transaction"
    return got
