"""What every catalog module shares: where reads go and the check that writes are transactional."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from appliance.errors import InvalidInput
from appliance.store.db import Connection

if TYPE_CHECKING:  # the workspace reads its own users and settings through the catalog
    from appliance.workspace import Workspace

Source: TypeAlias = "Workspace | Connection"  # reads take either; a Workspace reads on its ``read()`` connection
T = TypeVar("T")


def reader(source: Source) -> Connection:
    from appliance.workspace import Workspace  # here, not above: the workspace imports the catalog

    return source.read() if isinstance(source, Workspace) else source


def first(source: Source, sql: str, args: Sequence[Any], from_row: Callable[[tuple[Any, ...]], T]) -> T | None:
    """``from_row`` of the first row ``sql`` returns, or None when it returns none."""
    row = reader(source).execute(sql, args).fetchone()
    return None if row is None else from_row(row)


def found(value: T | None, missing: str) -> T:
    """``value``, or ``InvalidInput`` (exit 5) with the message ``missing`` when it is None."""
    if value is None:
        raise InvalidInput(missing)
    return value


def writer(tx: Connection, what: str) -> Connection:
    """``tx`` itself, or ``RuntimeError`` when it is not inside a transaction (a write outside
    ``Workspace.transaction`` would commit without its audit entry)."""
    if not tx.in_transaction:
        raise RuntimeError(f"{what} are written inside Workspace.transaction, with its connection")
    return tx


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def loads(value: str | None) -> Any:
    """A JSON column decoded; NULL and '' are None."""
    return json.loads(value) if value else None
