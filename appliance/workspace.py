"""The workspace: the one front door to the encrypted store, its blobs, its users and its audit chain.

A workspace is a directory::

    workspace.db     SQLCipher 4 database (records, runs, users, audit chain, blob keys)
    keyslots.json    the master key wrapped once per user (see appliance.store.keyslots)
    blobs/           encrypted artifacts (see appliance.store.blobs)
    scratch/         private 0700 directories for plaintext that must briefly exist (removed after use)
    workspace.lock   advisory lock: shared while open, exclusive for housekeeping and key rotation
    audit.anchor     the audit chain's head after each commit (unless APPLIANCE_AUDIT_ANCHOR points elsewhere;
                     see appliance.store.anchor)

Open it with ``Workspace.open(path, user, password)``; the CLI, the GUI and jobs all go through this
object, and every change goes through ``transaction`` so that the change and its audit entry commit
together or not at all. Its parts live beside it: password changes and key rotation in
``appliance.workspace_keys``, users and settings in ``appliance.catalog``, scratch directories and
``verify`` in ``appliance.store``.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NewType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from appliance.catalog import settings, users
from appliance.catalog.users import ROLES, Role, User, UserName, check_role, check_user_name
from appliance.errors import ApplianceError, AuthError, IntegrityError, InvalidInput, PermissionDenied
from appliance.store import anchor, audit, db, ledger, schema
from appliance.store import scratch as scratch_area
from appliance.store.blobs import BlobInfo, BlobStore
from appliance.store.keyslots import (
    KdfParams,
    KeyslotFile,
    UnlockedSlot,
    fsync_dir,
    new_slot,
    open_slot,
    unwrap_master,
)
from appliance.store.passwords import check_password
from appliance.store.verify import VerifyReport, verify_workspace
from appliance.workspace_keys import SLOTS_NAME, KeyLifecycle

__all__ = ["ROLES", "BlobId", "Role", "User", "UserName", "VerifyReport", "Workspace", "check_role",
           "check_user_name", "is_workspace"]

BlobId = NewType("BlobId", str)

DB_NAME, BLOBS_NAME, SCRATCH_NAME, LOCK_NAME = "workspace.db", "blobs", "scratch", "workspace.lock"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def is_workspace(path: Path) -> bool:
    return (path / DB_NAME).is_file() and (path / SLOTS_NAME).is_file()


class Workspace(KeyLifecycle):
    """An unlocked workspace for one signed-in user. Use as a context manager, or call ``close``."""

    def __init__(self, root: Path, user: User, conn: db.Connection, slots: KeyslotFile,
                 master: bytes, keys: UnlockedSlot, lock_fd: int) -> None:
        self.root = root
        self.user = user
        self._conn = conn
        self._slots = slots
        self._master = master
        self._private_key: X25519PrivateKey = keys.private_key
        self._signing_key: Ed25519PrivateKey | None = keys.signing_key
        self._lock_fd = lock_fd
        self._master_generation = slots.generation
        self.blobs = BlobStore(root / BLOBS_NAME)

    # -- creation and unlocking ----------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, admin: str, password: str, kdf: KdfParams | None = None) -> Workspace:
        """Make a new workspace at ``root`` (absent or empty) with ``admin`` as its first user."""
        admin = check_user_name(admin)
        _check_password(password)
        root = Path(root)
        if root.exists() and any(root.iterdir()):
            if is_workspace(root):
                raise ApplianceError(f"{root} is already a workspace")
            raise ApplianceError(f"{root} is not empty; choose a new directory for the workspace")
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        (root / BLOBS_NAME).mkdir(mode=0o700)
        (root / SCRATCH_NAME).mkdir(mode=0o700)
        master = secrets.token_bytes(32)
        slots = KeyslotFile.new()
        kdf = kdf or KdfParams()
        slot, keys = new_slot(admin, password, master, slots.workspace_id, slots.generation, kdf)
        slots.slots[admin] = slot
        conn = db.connect(root / DB_NAME, master, create=True)
        schema.migrate(conn)
        with db.write_transaction(conn):
            settings.put(conn, "workspace_id", slots.workspace_id)
            settings.put(conn, "kdf", f"{kdf.n},{kdf.r},{kdf.p}")
            users.add(conn, admin, "admin", slot.public_key, slot.signing_public, _now())
            first = audit.append(conn, slots.workspace_id, admin, "workspace.create", [slots.workspace_id],
                                 {"schema": schema.LATEST, "admin": admin, "public_key": slot.public_key,
                                  "signing_key": slot.signing_public}, signer=keys.signing_key)
        anchor.record(root, anchor.Head(slots.workspace_id, first.seq, first.hash))
        conn.close()
        # keyslots.json last: until it exists the directory is not a workspace, so a crash during
        # creation leaves something 'init' refuses loudly rather than a half-usable workspace.
        slots.save(root / SLOTS_NAME)
        (root / LOCK_NAME).touch(mode=0o600)
        fsync_dir(root)
        return cls.open(root, admin, password)

    @classmethod
    def open(cls, root: Path, user: str, password: str) -> Workspace:
        """Unlock ``root`` as ``user``. Wrong password or unknown user -> AuthError (exit 3)."""
        root = Path(root)
        if not root.is_dir() or not is_workspace(root):
            raise ApplianceError(
                f"{root} is not a workspace (no workspace.db / keyslots.json); create one with 'appliance init'")
        lock_fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            exclusive = scratch_area.try_lock(lock_fd, fcntl.LOCK_EX)
            if not exclusive:
                fcntl.flock(lock_fd, fcntl.LOCK_SH)
            slots = KeyslotFile.load(root / SLOTS_NAME)
            slot = slots.slots.get(user)
            if slot is None:
                raise AuthError("authentication failed: unknown user or wrong password")
            try:
                keys = open_slot(slot, password, slots.workspace_id)
            except AuthError:
                # A password change that crashed after staging: the new password opens the staged keys.
                staged = slot.staged_slot()
                if staged is None:
                    raise
                keys, slot = open_slot(staged, password, slots.workspace_id), staged
            conn, master, generation = _connect_any(root, slots, slot, keys.private_key, user)
            try:
                version = schema.version(conn)
                if version > schema.LATEST:
                    schema.migrate(conn)  # raises with the upgrade advice
                row = users.get(conn, user)
                staged = slot.staged_slot()
                if row is not None and row.public_key != slot.public_key and staged \
                        and staged.public_key == row.public_key:
                    keys, slot = open_slot(staged, password, slots.workspace_id), staged  # changed to the same one
                if row is None or row.public_key != slot.public_key:
                    raise AuthError("authentication failed: unknown user or wrong password")
                if settings.get(conn, "workspace_id") != slots.workspace_id:
                    raise ApplianceError("keyslots.json belongs to a different workspace; restore the matching file")
                ws = cls(root, row.user, conn, slots, master, keys, lock_fd)
                ws._master_generation = generation
                if exclusive:
                    ws._housekeeping()
                    fcntl.flock(lock_fd, fcntl.LOCK_SH)
                elif version < schema.LATEST:
                    raise ApplianceError("workspace needs a schema upgrade; close other appliance processes and reopen")
                ws._register_signing_key(password)
                ws.sweep_scratch()
                return ws
            except db.DatabaseError as exc:
                conn.close()
                raise IntegrityError(f"workspace.db is damaged ({exc}); restore it from backup") from None
            except BaseException:
                conn.close()
                raise
        except BaseException:
            os.close(lock_fd)
            raise

    def close(self) -> None:
        if self._lock_fd >= 0:
            self._conn.close()
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def workspace_id(self) -> str:
        return self._slots.workspace_id

    @property
    def key_generation(self) -> int:
        return self._slots.generation

    # -- transactions and audit ----------------------------------------------------------------

    @contextmanager
    def transaction(self, action: str, object_ids: list[str] | None = None,
                    details: dict[str, Any] | None = None) -> Iterator[db.Connection]:
        """Run a change and append its audit entry in one SQLite transaction.

        ``object_ids`` and ``details`` may be filled in by the block (they are read after it). Never
        put PHI in them: ids, hashes, counts and settings only.
        """
        ids = object_ids if object_ids is not None else []
        info = details if details is not None else {}
        with db.write_transaction(self._conn) as conn:
            yield conn
            entry = audit.append(conn, self.workspace_id, self.user.name, action, ids, info,
                                 signer=self._signing_key)
        anchor.record(self.root, anchor.Head(self.workspace_id, entry.seq, entry.hash))

    def audit_batch(self, entries: list[tuple[str, list[str], dict[str, Any]]]) -> None:
        """Append several audit entries in one transaction (e.g. served requests, batched so that a
        flood of requests costs one commit per batch, not one per request)."""
        if not entries:
            return
        with db.write_transaction(self._conn) as conn:
            for action, object_ids, details in entries:
                last = audit.append(conn, self.workspace_id, self.user.name, action, object_ids, details,
                                    signer=self._signing_key)
        anchor.record(self.root, anchor.Head(self.workspace_id, last.seq, last.hash))

    def read(self) -> db.Connection:
        """The connection for read-only queries. Writes must go through ``transaction``."""
        return self._conn

    def audit_entries(self, **filters: Any) -> Iterator[audit.AuditEntry]:
        return audit.entries(self._conn, **filters)

    def head(self) -> anchor.Head:
        """The chain's newest entry number and hash, for an auditor to record (``appliance audit head``)."""
        seq, digest = audit.head(self._conn, self.workspace_id)
        return anchor.Head(self.workspace_id, seq, digest)

    def verify(self, progress: Callable[[int, int], None] | None = None,
               anchors: list[Path] | None = None) -> VerifyReport:
        """Recompute the audit chain, check every entry's signature and that the security tables
        (users, API keys, approvals, run states, gates) are what the signed entries say, check every
        database page and authenticate every blob chunk (see ``appliance.store.verify``)."""
        return verify_workspace(self._conn, self.root, self.workspace_id, self.blobs, progress, anchors)

    # -- roles and users -----------------------------------------------------------------------

    def require(self, *roles: Role) -> None:
        if self.user.role not in roles:
            raise PermissionDenied(
                f"user '{self.user.name}' has role '{self.user.role}'; this needs {' or '.join(roles)}"
            )

    def users(self) -> list[User]:
        return users.list_users(self._conn)

    def add_user(self, name: str, role: str, password: str, kdf: KdfParams | None = None) -> User:
        self.require("admin")
        name, role = check_user_name(name), check_role(role)
        _check_password(password)
        if users.get(self._conn, name) is not None:
            raise InvalidInput(f"user '{name}' already exists")
        kdf = kdf or self._default_kdf()
        with self._edit_slots() as slots:
            slot, _ = new_slot(name, password, self._master, slots.workspace_id, slots.generation, kdf)
            if slots.pending_generation is not None:
                raise ApplianceError("a key rotation is unfinished; reopen the workspace alone to complete it")
            slots.slots[name] = slot
        # The slot alone grants nothing: a user exists only once its row commits with the audit entry.
        try:
            with self.transaction("users.add", [name], {"user": name, "role": role, "public_key": slot.public_key,
                                                        "signing_key": slot.signing_public}) as conn:
                users.add(conn, name, role, slot.public_key, slot.signing_public, _now())
        except BaseException:
            with self._edit_slots() as slots:
                slots.slots.pop(name, None)
            raise
        return User(name, role, _now())

    def remove_user(self, name: str) -> None:
        self.require("admin")
        row = users.get(self._conn, name)
        if row is None:
            raise InvalidInput(f"no user '{name}' in this workspace")
        with self.transaction("users.remove", [name], {"user": name, "role": row.user.role}) as conn:
            if row.user.role == "admin" and users.admin_count(conn) <= 1:
                raise InvalidInput(f"'{name}' is the last admin; add another admin before removing this one")
            users.remove(conn, name)
        with self._edit_slots() as slots:
            slots.slots.pop(name, None)

    # -- settings, secrets and scratch ---------------------------------------------------------

    def setting(self, key: str) -> str | None:
        return settings.get(self._conn, key)

    def secret(self, name: str) -> bytes:
        """A random per-workspace secret (e.g. the surrogate / date-shift key), created on first use."""
        key = f"secret:{name}"
        value = self.setting(key)
        if value is None:
            with self.transaction("settings.secret-created", [key], {"name": name}) as conn:
                settings.put_new(conn, key, secrets.token_hex(32))
            value = self.setting(key)
        assert value is not None
        return bytes.fromhex(value)

    def scratch(self) -> AbstractContextManager[Path]:
        """A private 0700 directory inside the workspace for plaintext in transit; removed on exit.

        Removed on every exit path of the block (return, exception, a job's cooperative cancel). A
        process killed outright cannot remove it; the next ``Workspace.open`` by any process, even while
        others have the workspace open, removes it (see ``appliance.store.scratch``).
        """
        return scratch_area.directory(self.root / SCRATCH_NAME)

    def sweep_scratch(self) -> int:
        """Remove scratch directories whose owning process is gone; returns how many."""
        return scratch_area.sweep(self.root / SCRATCH_NAME)

    # -- blobs ---------------------------------------------------------------------------------

    def put_blob(self, source: Path, kind: str, action: str = "blob.put",
                 details: dict[str, Any] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> BlobInfo:
        """Encrypt ``source`` into a blob and register it with its audit entry."""
        info = self.blobs.write(source, kind, progress)
        info_details = {"kind": kind, "size": info.size, "sha256": info.sha256, **(details or {})}
        with self.transaction(action, [info.blob_id], info_details) as conn:
            BlobStore.register(conn, info, self.user.name)
        return info

    def put_dir(self, directory: Path, kind: str, action: str, object_ids: list[str] | None = None,
                details: dict[str, Any] | None = None,
                also: Callable[[db.Connection, str], Any] | None = None) -> BlobInfo:
        """Seal a directory (tar streamed through a pipe, never on disk in clear) as a registered blob.

        ``also(conn, blob_id)`` runs inside the same transaction, e.g. to index the blob.
        """
        from appliance.store.archive import write_dir

        info = write_dir(self.blobs, directory, kind)
        info_details = {"kind": kind, "size": info.size, "sha256": info.sha256, **(details or {})}
        with self.transaction(action, [*(object_ids or []), info.blob_id], info_details) as conn:
            BlobStore.register(conn, info, self.user.name)
            if also:
                also(conn, info.blob_id)
        return info

    def delete_blob(self, blob_id: str, action: str, object_ids: list[str] | None = None,
                    details: dict[str, Any] | None = None, also: Callable[[db.Connection], Any] | None = None) -> None:
        """Remove a blob's record (with ``also``, in one audited transaction), then its file.

        A crash between the commit and the unlink leaves an unreferenced file that housekeeping sweeps.
        """
        with self.transaction(action, [*(object_ids or []), blob_id], details or {}) as conn:
            if also:
                also(conn)
            BlobStore.unregister(conn, blob_id)
        self.blobs.path(blob_id).unlink(missing_ok=True)

    def get_dir(self, blob_id: str, dest: Path) -> Path:
        """Unpack a directory blob into ``dest`` (use a ``scratch()`` directory)."""
        from appliance.store.archive import extract_dir

        return extract_dir(self.blobs, self.blob_info(blob_id), dest)

    def blob_info(self, blob_id: str) -> BlobInfo:
        return BlobStore.info(self._conn, blob_id)

    def get_blob(self, blob_id: str, dest: Path, progress: Callable[[int, int], None] | None = None) -> Path:
        return self.blobs.get(self.blob_info(blob_id), dest, progress)

    # -- internals -----------------------------------------------------------------------------

    def _housekeeping(self) -> None:
        """Run while holding the exclusive lock: finish or undo an interrupted key rotation, remove
        orphan blob files and keyslots left by crashes, and clear stale scratch directories."""
        self._settle_staged()
        self._finish_rotation()
        before = schema.version(self._conn)
        schema.migrate(self._conn)
        if 0 < before < ledger.SIGNED_SCHEMA <= schema.LATEST:
            # The boundary of the unsigned past: every entry after this one must be signed. Removing it
            # means re-hashing the chain after it, which the anchored head shows.
            with db.write_transaction(self._conn) as conn:
                marker = audit.append(conn, self.workspace_id, self.user.name, ledger.SIGNING_START, [],
                                      {"schema": ledger.SIGNED_SCHEMA})
            anchor.record(self.root, anchor.Head(self.workspace_id, marker.seq, marker.hash))
        self.blobs.sweep(set(BlobStore.ids(self._conn)))
        names = set(users.public_keys(self._conn))
        if set(self._slots.slots) - names:
            with self._edit_slots() as slots:
                for orphan in set(slots.slots) - names:
                    del slots.slots[orphan]
        scratch_area.clear(self.root / SCRATCH_NAME)


def _check_password(password: str) -> None:
    check_password(password)


def _connect_any(root: Path, slots: KeyslotFile, slot: Any, private_key: Any,
                 user: str) -> tuple[db.Connection, bytes, int]:
    """Open the database with the current key, or with the pending one if a rotation got that far.

    Returns the connection, the key that opened it and that key's generation.
    """
    master = unwrap_master(slot.master, private_key, slots.workspace_id, user)
    try:
        return db.connect(root / DB_NAME, master), master, slots.generation
    except ApplianceError:
        if slot.pending is None:
            raise
    master = unwrap_master(slot.pending, private_key, slots.workspace_id, user)
    return db.connect(root / DB_NAME, master), master, int(slots.pending_generation or 0)
