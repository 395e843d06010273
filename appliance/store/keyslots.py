"""Keyslots: the workspace master key, wrapped once per user (the LUKS keyslot idea).

The master key (256 random bits) is the SQLCipher key of ``workspace.db``; it never touches disk in
clear. Each user owns an X25519 key pair and an Ed25519 signing key pair (every audit entry the user
writes is signed with it, see ``appliance.store.ledger``). The private half is wrapped (AES-256-GCM) under a key
derived from the user's password with scrypt (memory-hard). The master key is wrapped to each user's
*public* key (ephemeral X25519 + HKDF + AES-256-GCM). That split is what lets an admin add users and
rotate the master key without knowing anyone else's password: a new master key is simply wrapped to
every registered public key again.

A rotation is staged: the new key is first written as a ``pending`` wrap beside the current one, the
database is re-keyed, and only then is ``pending`` promoted. A crash anywhere in between leaves a file
from which the workspace still opens (see ``Workspace._finish_rotation``).

Hazard: ``keyslots.json`` sits outside the encrypted database. Nothing in it is secret without a
password, but deleting a slot locks that user out; keep backups of the whole workspace directory.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from appliance.errors import ApplianceError, AuthError

FORMAT = "appliance-keyslots/1"
KEY_BYTES = 32


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost. The default costs about 128 MiB and a few hundred ms per unlock, on purpose."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    def derive(self, password: str, salt: bytes) -> bytes:
        return Scrypt(salt=salt, length=KEY_BYTES, n=self.n, r=self.r, p=self.p).derive(password.encode("utf-8"))


#: Cheap parameters for tests only; never for a real workspace.
TEST_KDF = KdfParams(n=2**10, r=8, p=1)


def _wrap_key_for(shared: bytes, context: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=context).derive(shared)


def _master_context(workspace_id: str, user: str, generation: int) -> bytes:
    return f"appliance master key|{workspace_id}|{user}|{generation}".encode()


def wrap_master(master: bytes, public_key: bytes, workspace_id: str, user: str, generation: int) -> dict[str, Any]:
    """Seal ``master`` so only the holder of the private key matching ``public_key`` can open it."""
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    context = _master_context(workspace_id, user, generation)
    nonce = os.urandom(12)
    sealed = AESGCM(_wrap_key_for(shared, context)).encrypt(nonce, master, context)
    ephemeral_pub = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"generation": generation, "ephemeral": b64(ephemeral_pub), "nonce": b64(nonce), "ct": b64(sealed)}


def unwrap_master(wrapped: dict[str, Any], private_key: X25519PrivateKey, workspace_id: str, user: str) -> bytes:
    generation = int(wrapped["generation"])
    shared = private_key.exchange(X25519PublicKey.from_public_bytes(unb64(wrapped["ephemeral"])))
    context = _master_context(workspace_id, user, generation)
    try:
        return AESGCM(_wrap_key_for(shared, context)).decrypt(unb64(wrapped["nonce"]), unb64(wrapped["ct"]), context)
    except InvalidTag:
        raise AuthError(
            f"keyslot of user '{user}' does not open the workspace key; ask an admin to re-add you") from None


@dataclass
class Slot:
    """One user's keyslot as stored in keyslots.json."""

    user: str
    kdf: dict[str, Any]
    public_key: str
    private_key: dict[str, str]
    master: dict[str, Any]
    pending: dict[str, Any] | None = None
    #: Ed25519 public key (base64) and the private half sealed under the same password key. Empty in
    #: slots written before audit entries were signed; filled at the user's next sign-in.
    signing_public: str = ""
    signing_key: dict[str, str] = field(default_factory=dict)
    #: A password change in flight: the fresh keys (same fields as above, sealed under the new
    #: password), written before the change commits. Promoted once the users table names its
    #: public key; dropped if it never does (see ``Workspace._settle_staged``).
    staged: dict[str, Any] | None = None

    _KEY_FIELDS = ("kdf", "public_key", "private_key", "master", "signing_public", "signing_key")

    def key_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._KEY_FIELDS}

    def staged_slot(self) -> Slot | None:
        return None if self.staged is None else Slot(user=self.user, **self.staged)

    def promote_staged(self) -> None:
        if self.staged is not None:
            for name in self._KEY_FIELDS:
                setattr(self, name, self.staged[name])
            self.staged, self.pending = None, None

    def public_bytes(self) -> bytes:
        return unb64(self.public_key)


@dataclass(frozen=True)
class UnlockedSlot:
    """What a password opens: the X25519 key that unwraps the master key and the Ed25519 signing key."""

    private_key: X25519PrivateKey
    signing_key: Ed25519PrivateKey | None


def _private_context(workspace_id: str, user: str) -> bytes:
    return f"appliance keyslot|{workspace_id}|{user}".encode()


def _signing_context(workspace_id: str, user: str) -> bytes:
    return f"appliance signing key|{workspace_id}|{user}".encode()


def raw_public(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def new_slot(user: str, password: str, master: bytes, workspace_id: str, generation: int,
             kdf: KdfParams) -> tuple[Slot, UnlockedSlot]:
    """Make fresh key pairs for ``user``, seal their private halves under ``password`` and seal
    ``master`` to the new X25519 key. Returns the slot and its unlocked keys."""
    keys = UnlockedSlot(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    slot = Slot(user=user, kdf={}, public_key=b64(raw_public(keys.private_key)), private_key={}, master={})
    seal_private_key(slot, keys, password, workspace_id, kdf)
    slot.master = wrap_master(master, slot.public_bytes(), workspace_id, user, generation)
    return slot, keys


def seal_private_key(slot: Slot, keys: UnlockedSlot, password: str, workspace_id: str, kdf: KdfParams) -> None:
    """Seal both private keys of ``slot`` under a key derived from ``password`` (fresh salt and nonces)."""
    salt = os.urandom(16)
    kek = AESGCM(kdf.derive(password, salt))
    slot.kdf = {"name": "scrypt", "salt": b64(salt), **asdict(kdf)}
    nonce = os.urandom(12)
    slot.public_key = b64(raw_public(keys.private_key))
    slot.private_key = {
        "nonce": b64(nonce),
        "ct": b64(kek.encrypt(nonce, _raw_private(keys.private_key), _private_context(workspace_id, slot.user))),
    }
    if keys.signing_key is not None:
        nonce = os.urandom(12)
        slot.signing_public = b64(raw_public(keys.signing_key))
        slot.signing_key = {
            "nonce": b64(nonce),
            "ct": b64(kek.encrypt(nonce, _raw_private(keys.signing_key), _signing_context(workspace_id, slot.user))),
        }


def open_slot(slot: Slot, password: str, workspace_id: str) -> UnlockedSlot:
    """Derive the password key and unwrap the user's private keys; wrong password -> AuthError."""
    kdf = KdfParams(n=int(slot.kdf["n"]), r=int(slot.kdf["r"]), p=int(slot.kdf["p"]))
    kek = AESGCM(kdf.derive(password, unb64(slot.kdf["salt"])))
    try:
        raw = kek.decrypt(
            unb64(slot.private_key["nonce"]), unb64(slot.private_key["ct"]), _private_context(workspace_id, slot.user)
        )
        signing = None
        if slot.signing_key:
            signing = Ed25519PrivateKey.from_private_bytes(kek.decrypt(
                unb64(slot.signing_key["nonce"]), unb64(slot.signing_key["ct"]),
                _signing_context(workspace_id, slot.user)))
    except InvalidTag:
        raise AuthError("authentication failed: unknown user or wrong password") from None
    return UnlockedSlot(X25519PrivateKey.from_private_bytes(raw), signing)


@dataclass
class KeyslotFile:
    """The parsed ``keyslots.json``: workspace id, current key generation and one slot per user."""

    workspace_id: str
    generation: int
    slots: dict[str, Slot]
    pending_generation: int | None = None

    @classmethod
    def new(cls) -> KeyslotFile:
        return cls(workspace_id=secrets.token_hex(16), generation=1, slots={})

    @classmethod
    def load(cls, path: Path) -> KeyslotFile:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError("unknown format")
            slots = {name: Slot(**slot) for name, slot in data["slots"].items()}
            for slot in slots.values():
                if not isinstance(slot.public_key, str) or not isinstance(slot.private_key, dict):
                    raise ValueError("malformed slot")
            return cls(
                workspace_id=str(data["workspace_id"]),
                generation=int(data["generation"]),
                slots=slots,
                pending_generation=data.get("pending_generation"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ApplianceError(
                f"{path} is not a valid keyslot file ({type(exc).__name__}); restore it from backup") from None

    @classmethod
    @contextmanager
    def edit(cls, path: Path) -> Iterator[KeyslotFile]:
        """Read-modify-write ``path`` under its own lock file, so concurrent edits never lose a slot;
        written when the block ends without raising."""
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            slots = cls.load(path)
            yield slots
            slots.save(path)
        finally:
            os.close(fd)

    def promote_pending(self) -> None:
        """A rotation's new master key becomes every slot's current one (the database was re-keyed)."""
        if self.pending_generation is None:
            return
        for slot in self.slots.values():
            if slot.pending is not None:
                slot.master, slot.pending = slot.pending, None
        self.generation, self.pending_generation = self.pending_generation, None

    def forget_pending(self) -> None:
        """Drop a rotation that never re-keyed the database."""
        for slot in self.slots.values():
            slot.pending = None
        self.pending_generation = None

    def settle_staged(self, public_keys: Mapping[str, str]) -> None:
        """Finish or forget password changes that crashed half-way: a staged key set is promoted when
        ``public_keys`` (the users table) names it, the change having committed, and dropped otherwise."""
        for name, slot in self.slots.items():
            if slot.staged is not None:
                if public_keys.get(name) == slot.staged["public_key"]:
                    slot.promote_staged()
                else:
                    slot.staged = None

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves either the old file or the new one, never a mix."""
        data = {
            "format": FORMAT,
            "workspace_id": self.workspace_id,
            "generation": self.generation,
            "pending_generation": self.pending_generation,
            "slots": {name: asdict(slot) for name, slot in sorted(self.slots.items())},
        }
        atomic_write(path, json.dumps(data, indent=2).encode("utf-8"))


def atomic_write(path: Path, payload: bytes) -> None:
    write_whole(path, (payload,))
    fsync_dir(path.parent)


def write_whole(path: Path, chunks: Iterable[bytes], suffix: str = "tmp") -> None:
    """Write ``chunks`` to a new 0600 temporary sibling, fsync it and rename it to ``path``: ``path``
    appears only whole. On any failure (also one raised by ``chunks``) the temporary file is removed."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.{suffix}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
