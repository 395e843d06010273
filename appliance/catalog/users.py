"""The workspace's users: name, role, and the public halves of the keys their keyslot holds.

This module alone holds the SQL of the ``users`` table. A row is what grants access: a keyslot in
``keyslots.json`` without its row opens nothing (``Workspace.open`` compares the slot's public key
with the row's). Adding, removing and re-keying users is ``Workspace``'s (it keeps the keyslots and
the rows in step); this is the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, NewType

from appliance.catalog.base import Source, reader, writer
from appliance.errors import InvalidInput
from appliance.store.db import Connection

UserName = NewType("UserName", str)
Role = Literal["admin", "informaticist", "reviewer"]
ROLES: tuple[Role, ...] = ("admin", "informaticist", "reviewer")

_USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class User:
    name: UserName
    role: Role
    created: str


@dataclass(frozen=True)
class UserKey:
    """A user's row with the public key that sign-in checks the keyslot against."""

    user: User
    public_key: str  # X25519, base64: the keyslot that opens the workspace must hold its private half


def check_user_name(name: str) -> UserName:
    if not _USER_RE.match(name):
        raise InvalidInput(f"'{name}' is not a valid user name (letters, digits, '.', '_', '-'; at most 64)")
    return UserName(name)


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}'; choose one of {', '.join(ROLES)}")
    return role


def get(source: Source, name: str) -> UserKey | None:
    """The user's row, or None. Reads only the columns of the first schema: sign-in reads it before a
    workspace made by an older appliance is migrated."""
    row = reader(source).execute("SELECT role, public_key, created FROM users WHERE name = ?", (name,)).fetchone()
    return None if row is None else UserKey(User(UserName(name), row[0], row[2]), row[1])


def signing_key(source: Source, name: str) -> str | None:
    """The user's Ed25519 public key (base64); None for a user made before entries were signed."""
    row = reader(source).execute("SELECT signing_key FROM users WHERE name = ?", (name,)).fetchone()
    return None if row is None or not row[0] else str(row[0])


def list_users(source: Source) -> list[User]:
    rows = reader(source).execute("SELECT name, role, created FROM users ORDER BY name").fetchall()
    return [User(UserName(n), r, c) for n, r, c in rows]


def public_keys(source: Source) -> dict[str, str]:
    """Every user's name -> X25519 public key (base64)."""
    return dict(reader(source).execute("SELECT name, public_key FROM users").fetchall())


def admin_count(source: Source) -> int:
    return int(reader(source).execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0])


def add(tx: Connection, name: str, role: Role, public_key: str, signing_key: str | None, created: str) -> None:
    """Insert the user's row, in the caller's transaction (with its audit entry)."""
    writer(tx, "users").execute(
        "INSERT INTO users (name, role, public_key, signing_key, created) VALUES (?,?,?,?,?)",
        (name, role, public_key, signing_key, created))


def remove(tx: Connection, name: str) -> None:
    writer(tx, "users").execute("DELETE FROM users WHERE name = ?", (name,))


def set_keys(tx: Connection, name: str, public_key: str, signing_key: str) -> None:
    """Name the user's fresh key pairs (after a password change)."""
    writer(tx, "users").execute("UPDATE users SET public_key = ?, signing_key = ? WHERE name = ?",
                                (public_key, signing_key, name))


def set_signing_key(tx: Connection, name: str, signing_key: str) -> None:
    """Register the signing key of a user made before entries were signed."""
    writer(tx, "users").execute("UPDATE users SET signing_key = ? WHERE name = ?", (signing_key, name))
