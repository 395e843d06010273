"""The tamper-evident audit chain.

Each entry carries the SHA-256 of the previous entry, so editing, deleting or reordering any entry
breaks every hash after it. Entries are appended inside the caller's transaction, which is what makes
"a change and its audit entry commit together, or neither does" hold.

Hazard: a chain alone cannot tell that its *newest* entries were cut off. Export the chain for
auditors regularly (``appliance audit export``); an exported head that the workspace no longer
contains shows the truncation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from appliance.store.db import Connection


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    user: str
    action: str
    object_ids: list[str]
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head: str
    first_broken: int | None = None
    reason: str | None = None


def genesis_hash(workspace_id: str) -> str:
    """The ``prev_hash`` of entry 1 binds the chain to its workspace."""
    return hashlib.sha256(f"appliance-audit-genesis|{workspace_id}".encode()).hexdigest()


def entry_hash(seq: int, time: str, user: str, action: str, object_ids: str, details: str, prev_hash: str) -> str:
    canonical = json.dumps([seq, time, user, action, object_ids, details, prev_hash], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def append(
    conn: Connection,
    workspace_id: str,
    user: str,
    action: str,
    object_ids: Sequence[str] = (),
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside an open transaction (``BEGIN IMMEDIATE``) of ``conn``.

    ``details`` must never hold PHI: hashes, counts, ids and settings only.
    """
    if not conn.in_transaction:
        raise RuntimeError("audit.append needs an open transaction so the change and its entry commit together")
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, genesis_hash(workspace_id))
    time = datetime.now(UTC).isoformat(timespec="microseconds")
    ids_json, details_json = _canonical(list(object_ids)), _canonical(details or {})
    digest = entry_hash(seq, time, user, action, ids_json, details_json, prev)
    conn.execute(
        "INSERT INTO audit (seq, time, user, action, object_ids, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
        (seq, time, user, action, ids_json, details_json, prev, digest),
    )
    return AuditEntry(seq, time, user, action, list(object_ids), details or {}, prev, digest)


def entries(conn: Connection, *, action: str | None = None, user: str | None = None,
            since_seq: int = 0, limit: int | None = None) -> Iterator[AuditEntry]:
    sql = "SELECT seq, time, user, action, object_ids, details, prev_hash, hash FROM audit WHERE seq > ?"
    args: list[Any] = [since_seq]
    if action:
        sql += " AND action LIKE ?"
        args.append(action.replace("*", "%"))
    if user:
        sql += " AND user = ?"
        args.append(user)
    sql += " ORDER BY seq"
    if limit:
        sql += " LIMIT ?"
        args.append(limit)
    for seq, time, usr, act, ids, det, prev, digest in conn.execute(sql, args):
        yield AuditEntry(seq, time, usr, act, json.loads(ids), json.loads(det), prev, digest)


def verify(conn: Connection, workspace_id: str) -> ChainReport:
    """Recompute the chain from the stored columns and name the first entry that does not hold."""
    expected_prev = genesis_hash(workspace_id)
    expected_seq = 1
    count = 0
    cursor = conn.execute(
        "SELECT seq, time, user, action, object_ids, details, prev_hash, hash FROM audit ORDER BY seq")
    for seq, time, user, action, ids, details, prev, digest in cursor:
        count += 1
        if seq != expected_seq:
            return ChainReport(False, count, expected_prev, expected_seq, f"entry {expected_seq} is missing")
        if prev != expected_prev:
            return ChainReport(False, count, expected_prev, seq, f"entry {seq} does not link to entry {seq - 1}")
        if entry_hash(seq, time, user, action, ids, details, prev) != digest:
            return ChainReport(False, count, expected_prev, seq, f"entry {seq} was altered (hash mismatch)")
        expected_prev, expected_seq = digest, seq + 1
    return ChainReport(True, count, expected_prev)
