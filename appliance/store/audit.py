"""The tamper-evident audit chain.

Each entry carries the SHA-256 of the previous entry, so editing, deleting or reordering any entry
breaks every hash after it. Entries are appended inside the caller's transaction, which is what makes
"a change and its audit entry commit together, or neither does" hold.

Every user holds the master key, so a hash chain alone does not stop an insider: they can rewrite
and re-hash it. Each entry is therefore also signed (Ed25519) by its actor over its hash, which
covers the previous hash: re-attributing, deleting or reordering any entry written by someone else
breaks a signature the insider cannot remake. Which key belongs to whom is itself decided by signed
entries (``appliance.store.ledger``).

Hazard: a chain alone cannot tell that its *newest* entries were cut off, nor that it was replaced
wholesale by one an insider signed alone. The head is anchored outside the workspace for that
(``appliance.store.anchor``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

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
    signature: str = ""

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


def _signed_message(digest: str) -> bytes:
    return f"appliance-audit-entry|{digest}".encode()


def sign(key: Ed25519PrivateKey, digest: str) -> str:
    return base64.b64encode(key.sign(_signed_message(digest))).decode("ascii")


def signature_holds(public_key_b64: str, digest: str, signature: str) -> bool:
    """Whether ``signature`` is the holder of ``public_key_b64``'s signature over entry hash ``digest``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        public.verify(base64.b64decode(signature, validate=True), _signed_message(digest))
        return True
    except (InvalidSignature, ValueError):
        return False


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def append(
    conn: Connection,
    workspace_id: str,
    user: str,
    action: str,
    object_ids: Sequence[str] = (),
    details: dict[str, Any] | None = None,
    signer: Ed25519PrivateKey | None = None,
) -> AuditEntry:
    """Append one entry signed by ``signer`` (the actor's key). Must run inside an open transaction
    (``BEGIN IMMEDIATE``) of ``conn``.

    ``details`` must never hold PHI: hashes, counts, ids and settings only.
    """
    if not conn.in_transaction:
        raise RuntimeError("audit.append needs an open transaction so the change and its entry commit together")
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, genesis_hash(workspace_id))
    time = datetime.now(UTC).isoformat(timespec="microseconds")
    ids_json, details_json = _canonical(list(object_ids)), _canonical(details or {})
    digest = entry_hash(seq, time, user, action, ids_json, details_json, prev)
    signature = sign(signer, digest) if signer is not None else ""
    conn.execute(
        "INSERT INTO audit (seq, time, user, action, object_ids, details, prev_hash, hash, signature)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (seq, time, user, action, ids_json, details_json, prev, digest, signature),
    )
    return AuditEntry(seq, time, user, action, list(object_ids), details or {}, prev, digest, signature)


def entries(conn: Connection, *, action: str | None = None, user: str | None = None,
            since_seq: int = 0, limit: int | None = None) -> Iterator[AuditEntry]:
    sql = "SELECT seq, time, user, action, object_ids, details, prev_hash, hash, signature FROM audit WHERE seq > ?"
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
    for seq, time, usr, act, ids, det, prev, digest, sig in conn.execute(sql, args):
        yield AuditEntry(seq, time, usr, act, json.loads(ids), json.loads(det), prev, digest, sig)


def head(conn: Connection, workspace_id: str) -> tuple[int, str]:
    """The newest entry's number and hash (0 and the genesis hash for an empty chain)."""
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, genesis_hash(workspace_id))


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
