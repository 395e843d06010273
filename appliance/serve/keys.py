"""An in-memory ``KeyStore`` of key hashes, for the stand-alone runner and tests.

API keys are random 256-bit strings, so an unsalted SHA-256 is enough to store them (a password
would need a slow KDF; a key cannot be guessed from a dictionary). Presented keys are hashed and
compared against every stored hash with ``hmac.compare_digest``, without stopping at a match, so
the time taken does not tell which key, or how much of one, was right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from appliance.errors import InvalidInput
from appliance.fieldhelp import read_toml
from appliance.serve.protocols import KeyInfo

KEY_PREFIX = "sk-appliance-"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredKey:
    name: str
    sha256: str
    models: frozenset[str] | None = None
    admin: bool = False


class StaticKeyStore:
    def __init__(self, keys: Iterable[StoredKey]) -> None:
        self._keys = tuple(keys)
        for key in self._keys:
            if len(key.sha256) != 64 or any(c not in "0123456789abcdef" for c in key.sha256):
                raise InvalidInput(f"API key {key.name!r}: sha256 must be 64 hex digits")

    @classmethod
    def from_plain(cls, keys: dict[str, tuple[str, Iterable[str] | None]], admin: Iterable[str] = ()) -> StaticKeyStore:
        """name -> (key, allowed models or None); ``admin`` names the admin-scoped keys. The keys themselves
        are not kept."""
        admins = set(admin)
        return cls(StoredKey(name, hash_key(key), frozenset(models) if models is not None else None, name in admins)
                   for name, (key, models) in keys.items())

    @classmethod
    def from_toml(cls, path: Path) -> StaticKeyStore:
        """``[[keys]]`` tables with ``name``, ``sha256``, optional ``models = [...]`` and ``admin = true``."""
        data = read_toml(path, what="TOML key file", error=InvalidInput)
        keys = []
        for raw in data.get("keys", []):
            if not isinstance(raw, dict) or "name" not in raw or "sha256" not in raw:
                raise InvalidInput(f"{path}: every [[keys]] entry needs name and sha256")
            models = raw.get("models")
            keys.append(StoredKey(str(raw["name"]), str(raw["sha256"]).lower(),
                                  frozenset(map(str, models)) if models is not None else None,
                                  raw.get("admin") is True))
        return cls(keys)

    def check(self, presented_key: str) -> KeyInfo | None:
        presented = hash_key(presented_key).encode("ascii")
        found: StoredKey | None = None
        for key in self._keys:
            if hmac.compare_digest(presented, key.sha256.encode("ascii")) and found is None:
                found = key
        return KeyInfo(found.name, found.models, found.admin) if found else None
