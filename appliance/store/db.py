"""SQLCipher connections. Only ``Workspace`` calls this; no other module opens the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from appliance.errors import ApplianceError, IntegrityError

Connection = sqlcipher.Connection
DatabaseError = sqlcipher.DatabaseError


def connect(path: Path, master_key: bytes, *, create: bool = False) -> sqlcipher.Connection:
    """Open ``path`` with the raw 256-bit ``master_key`` (no SQLCipher PBKDF: the keyslots did the KDF).

    WAL with ``synchronous=FULL``: a commit is on disk when it returns, and a crash loses at most
    the transaction in flight. Autocommit mode: callers open transactions explicitly.

    Raises ``IntegrityError`` when the key is right (it came out of an authenticated keyslot) but
    the file does not decrypt: that means the file was damaged or replaced.
    """
    if not create and not path.exists():
        raise ApplianceError(f"{path.parent} is not a workspace (no workspace.db); create one with 'appliance init'")
    conn = sqlcipher.connect(str(path), isolation_level=None, timeout=30.0, check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{master_key.hex()}'\"")
        conn.execute("PRAGMA cipher_memory_security = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        for suffix in ("", "-wal", "-shm"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                extra.chmod(0o600)
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise IntegrityError(
            f"{path.name} does not decrypt with the workspace key ({exc}); the file is damaged") from None
    return conn


def rekey(conn: sqlcipher.Connection, new_key: bytes) -> None:
    """Re-encrypt every page under ``new_key``.

    Done in rollback-journal mode: SQLCipher's rekey in WAL mode leaves old-key pages in the main
    file until a checkpoint, a window in which a crash would mix keys. The caller holds the
    workspace's exclusive lock, which switching journal modes needs anyway.
    """
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
    conn.execute("PRAGMA journal_mode = WAL")


def integrity_problems(conn: sqlcipher.Connection) -> list[str]:
    """Check the HMAC of every page (SQLCipher) and the b-tree structure (SQLite)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    problems = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        problems += [str(r[0]) for r in rows if r[0] != "ok"]
    except sqlcipher.DatabaseError as exc:
        problems.append(str(exc))
    return problems


@contextmanager
def write_transaction(conn: sqlcipher.Connection) -> Iterator[sqlcipher.Connection]:
    """``BEGIN IMMEDIATE`` (the write lock from the first statement), ``COMMIT`` when the block ends,
    ``ROLLBACK`` when it raises. ``Workspace.transaction`` adds the audit entry; use that instead."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def data_version(conn: sqlcipher.Connection) -> int:
    """SQLite's ``PRAGMA data_version``: changes when another connection commits (not this one)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


@contextmanager
def busy_timeout(conn: sqlcipher.Connection, wait_ms: int) -> Iterator[sqlcipher.Connection]:
    """Wait at most ``wait_ms`` for another connection's write lock inside the block (the connection's
    own timeout is restored after it)."""
    before = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
    try:
        yield conn
    finally:
        conn.execute(f"PRAGMA busy_timeout = {before}")


def trigger_names(conn: sqlcipher.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
