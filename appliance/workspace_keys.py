"""The signed-in user's keys over their life: a password change (fresh key pairs), a master-key
rotation, the signing key a user made before entries were signed receives, and the recovery of a
change or rotation that crashed half-way (run at the next exclusive open).

``KeyLifecycle`` is a part of ``Workspace`` (its base class), kept apart because every step here
edits ``keyslots.json`` and the database in an order that must survive a crash at any point; the
order is stated in each method's docstring.
"""

from __future__ import annotations

import fcntl
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from appliance.catalog import users
from appliance.errors import ApplianceError
from appliance.store import audit, db
from appliance.store import scratch as scratch_area
from appliance.store.keyslots import (
    KdfParams,
    KeyslotFile,
    Slot,
    UnlockedSlot,
    b64,
    raw_public,
    seal_private_key,
    unb64,
    unwrap_master,
    wrap_master,
)
from appliance.store.passwords import check_password

SLOTS_NAME = "keyslots.json"  # beside workspace.db

if TYPE_CHECKING:
    from appliance.catalog.users import Role, User


class KeyLifecycle:
    """Password changes, key rotation and their crash recovery, for ``Workspace``."""

    root: Path
    user: User
    _conn: db.Connection
    _slots: KeyslotFile
    _master: bytes
    _master_generation: int
    _private_key: X25519PrivateKey
    _signing_key: Ed25519PrivateKey | None
    _lock_fd: int

    if TYPE_CHECKING:  # the Workspace methods these steps use
        @property
        def workspace_id(self) -> str: ...
        def require(self, *roles: Role) -> None: ...
        def setting(self, key: str) -> str | None: ...
        def transaction(self, action: str, object_ids: list[str] | None = None,
                        details: dict[str, Any] | None = None) -> AbstractContextManager[db.Connection]: ...

    def change_password(self, new_password: str, kdf: KdfParams | None = None) -> None:
        """Give the signed-in user fresh key pairs sealed under ``new_password``.

        Fresh, not re-wrapped: a copy of the old keyslot with the old password then opens nothing
        that is wrapped from now on, and after ``rotate_key`` nothing at all. The new keys are
        registered by an entry signed with the old signing key.

        Crash-safe: the fresh keys are first staged beside the current ones in the slot, the users
        row changes with its audit entry, then the staged keys are promoted. Sign-in accepts whichever
        of the two the users row names (see ``_settle_staged``).
        """
        check_password(new_password)
        if self._slots.pending_generation is not None:
            raise ApplianceError("a key rotation is unfinished; reopen the workspace alone to complete it")
        kdf = kdf or self._default_kdf()
        keys = UnlockedSlot(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
        public, signing = b64(raw_public(keys.private_key)), b64(raw_public(keys.signing_key))  # type: ignore[arg-type]
        name = self.user.name
        with self._edit_slots() as slots:
            fresh = Slot(user=name, kdf={}, public_key=public, private_key={}, master={})
            seal_private_key(fresh, keys, new_password, slots.workspace_id, kdf)
            fresh.master = wrap_master(self._master, fresh.public_bytes(), slots.workspace_id, name, slots.generation)
            slots.slots[name].staged = fresh.key_fields()
        with self.transaction("users.passwd", [name], {"user": name, "public_key": public,
                                                       "signing_key": signing}) as conn:
            users.set_keys(conn, name, public, signing)
        with self._edit_slots() as slots:
            slots.slots[name].promote_staged()
        self._private_key, self._signing_key = keys.private_key, keys.signing_key

    def rotate_key(self, progress: Callable[[str], None] | None = None) -> int:
        """Replace the master key: re-key the database and re-wrap it for every user. Returns the generation."""
        self.require("admin")
        if not scratch_area.try_lock(self._lock_fd, fcntl.LOCK_EX):
            raise ApplianceError("the workspace is open in another appliance process; close it and retry")
        try:
            self._settle_staged()
            new_master = secrets.token_bytes(32)
            with self._edit_slots() as slots:
                generation = slots.generation + 1
                for name, public_key in users.public_keys(self._conn).items():
                    if name in slots.slots:
                        slots.slots[name].pending = wrap_master(
                            new_master, unb64(public_key), slots.workspace_id, name, generation)
                slots.pending_generation = generation
            if progress:
                progress("new key wrapped for every user")
            with self.transaction("workspace.rotate-key", [self.workspace_id], {"generation": generation}):
                pass
            db.rekey(self._conn, new_master)
            if progress:
                progress("database re-encrypted")
            self._promote_pending()
            self._master, self._master_generation = new_master, generation
            return generation
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)

    def _register_signing_key(self, password: str) -> None:
        """Give a user made before entries were signed their signing key (once, at their first sign-in
        after the upgrade): sealed into their slot first, then registered by a self-signed entry."""
        if users.signing_key(self._conn, self.user.name):
            return
        if self._signing_key is None:
            keys = UnlockedSlot(self._private_key, Ed25519PrivateKey.generate())
            with self._edit_slots() as slots:
                seal_private_key(slots.slots[self.user.name], keys, password, slots.workspace_id,
                                 KdfParams(**{k: int(slots.slots[self.user.name].kdf[k]) for k in ("n", "r", "p")}))
            self._signing_key = keys.signing_key
        slot: Slot = self._slots.slots[self.user.name]
        with self.transaction("users.signing-key", [self.user.name],
                              {"user": self.user.name, "signing_key": slot.signing_public}) as conn:
            users.set_signing_key(conn, self.user.name, slot.signing_public)

    def _default_kdf(self) -> KdfParams:
        value = self.setting("kdf")
        if value:
            n, r, p = (int(x) for x in value.split(","))
            return KdfParams(n=n, r=r, p=p)
        return KdfParams()

    @contextmanager
    def _edit_slots(self) -> Iterator[KeyslotFile]:
        """keyslots.json read, changed and written under its lock (``KeyslotFile.edit``), then kept."""
        with KeyslotFile.edit(self.root / SLOTS_NAME) as slots:
            yield slots
        self._slots = slots

    def _promote_pending(self) -> None:
        with self._edit_slots() as slots:
            slots.promote_pending()

    def _settle_staged(self) -> None:
        """Finish or forget password changes that crashed half-way (``KeyslotFile.settle_staged``)."""
        if any(slot.staged for slot in self._slots.slots.values()):
            with self._edit_slots() as slots:
                slots.settle_staged(users.public_keys(self._conn))

    def _finish_rotation(self) -> None:
        pending = self._slots.pending_generation
        if pending is None:
            return
        if self._master_generation == pending:
            self._promote_pending()  # the database was re-keyed; only the promotion was lost
            return
        recorded = any(e.details.get("generation") == pending
                       for e in audit.entries(self._conn, action="workspace.rotate-key"))
        if recorded:
            slot = self._slots.slots[self.user.name]
            assert slot.pending is not None
            new_master = unwrap_master(slot.pending, self._private_key, self.workspace_id, self.user.name)
            db.rekey(self._conn, new_master)
            self._master, self._master_generation = new_master, pending
            self._promote_pending()
        else:
            with self._edit_slots() as slots:  # never started: forget it
                slots.forget_pending()
