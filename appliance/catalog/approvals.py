"""Approvals: runs published under a name as numbered versions, exactly one of them current.

This module alone holds the SQL of the ``approvals`` table. The rules of who may approve what (a
second person, evaluated runs, release gates) are ``appliance.registry``'s; this is the record.

Versions are allocated inside the write transaction (``publish``), like run ids: two reviewers
approving under one name at the same moment get versions n and n+1, never the same one twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.catalog.base import Source, first, reader, writer
from appliance.catalog.runs import RunId
from appliance.store.db import Connection

_SELECT = "SELECT name, version, run_id, approved_by, approved_at, note, model_card, current FROM approvals"


@dataclass(frozen=True)
class Approval:
    name: str
    version: int
    run_id: RunId
    approved_by: str
    approved_at: str
    note: str
    model_card: str  # Markdown, written at approval
    current: bool

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"


def _from_row(row: tuple[Any, ...]) -> Approval:
    return Approval(row[0], int(row[1]), RunId(row[2]), row[3], row[4], row[5], row[6], bool(row[7]))


def versions(source: Source, name: str) -> list[Approval]:
    """Every approved version of ``name``, oldest first."""
    rows = reader(source).execute(_SELECT + " WHERE name = ? ORDER BY version", (name,)).fetchall()
    return [_from_row(r) for r in rows]


def list_approvals(source: Source) -> list[Approval]:
    rows = reader(source).execute(_SELECT + " ORDER BY name, version").fetchall()
    return [_from_row(r) for r in rows]


def current(source: Source, name: str) -> Approval | None:
    return first(source, _SELECT + " WHERE name = ? AND current = 1", (name,), _from_row)


def find(source: Source, name: str, version: int) -> Approval | None:
    return first(source, _SELECT + " WHERE name = ? AND version = ?", (name, version), _from_row)


def latest_for_run(source: Source, run_id: str) -> Approval | None:
    """The newest approval naming ``run_id`` (a run can be published under several versions)."""
    return first(source, _SELECT + " WHERE run_id = ? ORDER BY version DESC LIMIT 1", (run_id,), _from_row)


def publish(tx: Connection, name: str, run_id: str, approved_by: str, approved_at: str, note: str,
            model_card: Callable[[int], str]) -> Approval:
    """Allocate the next version of ``name`` and make it the current one, in the caller's transaction.

    ``model_card(version)`` writes the card once the version is known.
    """
    writer(tx, "approvals")
    version = (tx.execute("SELECT max(version) FROM approvals WHERE name = ?", (name,)).fetchone()[0] or 0) + 1
    approval = Approval(name, version, RunId(run_id), approved_by, approved_at, note, model_card(version), True)
    tx.execute("UPDATE approvals SET current = 0 WHERE name = ?", (name,))
    tx.execute("INSERT INTO approvals (name, version, run_id, approved_by, approved_at, note, model_card, current)"
               " VALUES (?,?,?,?,?,?,?,1)",
               (name, version, run_id, approved_by, approved_at, note, approval.model_card))
    return approval


def make_current(tx: Connection, name: str, version: int) -> None:
    """Make ``version`` the current one of ``name`` (and every other version not current)."""
    writer(tx, "approvals").execute("UPDATE approvals SET current = (version = ?) WHERE name = ?", (version, name))
