"""The signed ledger: replay the audit chain, check every signature, and hold the security tables to it.

Every user holds the master key, so any of them can open ``workspace.db`` with sqlcipher directly and
``UPDATE users SET role = 'admin'``. What they cannot do is sign an entry as somebody else. So the
truth about who is who lives in the signed entries, and the tables are only a cache of it:

- ``workspace.create`` registers the first admin and their keys (self-signed: the trust root, which
  the anchored head pins, see ``appliance.store.anchor``);
- ``users.add`` / ``users.remove`` count only when signed by a user who is admin *at that point of
  the replay*; ``users.passwd`` registers a user's fresh keys, signed by their previous key;
- ``keys.create`` / ``keys.revoke`` count only when signed by an admin; ``registry.gates`` likewise;
- ``registry.approve`` / ``registry.rollback`` count only when signed by a reviewer or admin.

``check`` replays the chain, verifies each signature against the key the replay says the actor had
then, and compares the replayed state with ``users``, ``api_keys``, ``approvals``, ``runs.state`` and
the gates setting. Any row the entries do not account for is reported with the row and the entry
that is missing.

Workspaces made before entries were signed: their entries carry no signature. The upgrade appends an
unsigned ``audit.signing-start`` entry; unsigned entries are accepted only up to it, and only in a chain
whose ``workspace.create`` predates signing. Every entry after it must be signed, and taking it out means
re-hashing everything after it, which the anchored head shows.
Each such user registers their signing key with a self-signed ``users.signing-key`` entry at their
first sign-in after the upgrade (reported as a note by ``audit verify``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from appliance.store.audit import AuditEntry, signature_holds
from appliance.store.db import Connection

_Row = TypeVar("_Row")
_Signed = TypeVar("_Signed")

#: The schema version from which every entry is signed.
SIGNED_SCHEMA = 7
SIGNING_START = "audit.signing-start"
GATES_SETTING = "registry.gates"


@dataclass
class _Member:
    role: str
    public_key: str | None  # None: not recorded by the entry (made before keys were recorded)
    signing_key: str | None


@dataclass
class LedgerReport:
    entries: int = 0
    unsigned_legacy: int = 0
    signature_problems: list[str] = field(default_factory=list)
    table_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.signature_problems and not self.table_problems


@dataclass
class _State:
    users: dict[str, _Member] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    approvals: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)
    gates: Any = None  # None: never set by a signed entry


def check(conn: Connection, entries: Iterable[AuditEntry]) -> LedgerReport:
    """Replay ``entries`` (the whole chain, oldest first) and compare the result with the tables."""
    report = LedgerReport()
    state = _State()
    signing_started = True  # a workspace made with signing; a legacy one starts unsigned
    legacy_workspace = False
    for entry in entries:
        report.entries += 1
        if entry.seq == 1 and entry.action == "workspace.create":
            legacy_workspace = int(entry.details.get("schema", 0)) < SIGNED_SCHEMA
            signing_started = not legacy_workspace
        actor = state.users.get(entry.user)
        if entry.action in ("workspace.create", "users.signing-key"):
            key = entry.details.get("signing_key")  # self-signed: the key comes with the entry
        else:
            key = actor.signing_key if actor else None
        if not entry.signature:
            if signing_started or not legacy_workspace:
                report.signature_problems.append(f"entry {entry.seq} ({entry.action} by {entry.user}) is not signed")
                continue
            report.unsigned_legacy += 1
            signing_started = entry.action == SIGNING_START
        else:
            if not signing_started:
                report.signature_problems.append(
                    f"entry {entry.seq} ({entry.action}) is signed, but the chain has no {SIGNING_START} entry "
                    "before it: entries of the upgrade were removed")
                continue
            if not key:
                report.signature_problems.append(
                    f"entry {entry.seq} ({entry.action}) names '{entry.user}', who has no registered signing key there")
                continue
            if not signature_holds(key, entry.hash, entry.signature):
                report.signature_problems.append(
                    f"entry {entry.seq} ({entry.action}) is not signed by '{entry.user}' (signature does not hold)")
                continue
        _apply(state, entry, actor, report)
    if not report.signature_problems:
        _compare(conn, state, report)
    return report


def _ignored(report: LedgerReport, entry: AuditEntry, why: str) -> None:
    report.notes.append(f"entry {entry.seq} ({entry.action} by {entry.user}) does not count: {why}")


def _apply(state: _State, entry: AuditEntry, actor: _Member | None, report: LedgerReport) -> None:
    d, action = entry.details, entry.action
    is_admin = actor is not None and actor.role == "admin"
    if action == "workspace.create":
        if entry.seq != 1:
            _ignored(report, entry, "a workspace is created by entry 1 only")
            return
        name = d.get("admin", entry.user)
        state.users[name] = _Member("admin", d.get("public_key"), d.get("signing_key"))
    elif action == "users.add":
        if not is_admin:
            _ignored(report, entry, "not signed by an admin")
            return
        state.users[d["user"]] = _Member(d["role"], d.get("public_key"), d.get("signing_key"))
    elif action == "users.remove":
        if not is_admin:
            _ignored(report, entry, "not signed by an admin")
            return
        state.users.pop(d["user"], None)
    elif action == "users.passwd" and actor is not None and d.get("user") == entry.user:
        if d.get("signing_key"):
            actor.public_key, actor.signing_key = d.get("public_key"), d["signing_key"]
    elif action == "users.signing-key":
        if actor is None or actor.signing_key:
            _ignored(report, entry, "only a user without a key (made before signing) registers their own")
            return
        actor.signing_key, actor.public_key = d.get("signing_key"), d.get("public_key", actor.public_key)
        report.notes.append(f"entry {entry.seq}: '{entry.user}' registered their own signing key at the upgrade")
    elif action == "keys.create":
        if not is_admin:
            _ignored(report, entry, "not signed by an admin")
            return
        name = entry.object_ids[0]
        state.keys[name] = {"key_hash": d.get("key_hash"), "models": d.get("models"), "revoked": False}
    elif action == "keys.revoke":
        if not is_admin:
            _ignored(report, entry, "not signed by an admin")
            return
        if entry.object_ids and entry.object_ids[0] in state.keys:
            state.keys[entry.object_ids[0]]["revoked"] = True
    elif action == "registry.gates":
        if not is_admin:
            _ignored(report, entry, "not signed by an admin")
            return
        state.gates = d
    elif action == "registry.approve":
        if actor is None or actor.role not in ("reviewer", "admin"):
            _ignored(report, entry, "not signed by a reviewer or admin")
            return
        key = (d["name"], int(d["version"]))
        state.approvals[key] = {"run_id": entry.object_ids[0], "approved_by": entry.user}
        state.current[d["name"]] = int(d["version"])
    elif action == "registry.rollback":
        if actor is None or actor.role not in ("reviewer", "admin"):
            _ignored(report, entry, "not signed by a reviewer or admin")
            return
        state.current[entry.object_ids[0]] = int(d["to"])


def _signed_rows(rows: Mapping[str, _Row], signed: Mapping[str, _Signed], problems: list[str], *,
                 unsigned: Callable[[str, _Row], str], missing: str) -> Iterator[tuple[str, _Row, _Signed]]:
    """(name, table row, signed state) for each row of a table keyed by name, in name order. A row no signed
    entry made is a problem worded by ``unsigned``; once the rows are done, each signed name with no row is one
    worded by ``missing`` (``{}`` is the name)."""
    for name, row in sorted(rows.items()):
        expected = signed.get(name)
        if expected is None:
            problems.append(unsigned(name, row))
            continue
        yield name, row, expected
    for name in sorted(set(signed) - set(rows)):
        problems.append(missing.format(name))


def _compare(conn: Connection, state: _State, report: LedgerReport) -> None:
    problems = report.table_problems
    rows = {n: (r, p, s) for n, r, p, s in conn.execute("SELECT name, role, public_key, signing_key FROM users")}
    for name, (role, public_key, signing_key), member in _signed_rows(
            rows, state.users, problems,
            unsigned=lambda name, row: f"users row '{name}' (role {row[0]}) has no admin-signed users.add entry",
            missing="user '{}' is missing from the users table without an admin-signed users.remove entry"):
        if role != member.role:
            problems.append(f"users row '{name}' has role '{role}' but no admin-signed entry changed it "
                            f"from '{member.role}'")
        if member.public_key is not None and public_key != member.public_key:
            problems.append(f"users row '{name}' has a key pair no signed entry registered")
        if (member.signing_key or "") != (signing_key or ""):
            problems.append(f"users row '{name}' has a signing key no signed entry registered")

    keys = {n: (h, m, r) for n, h, m, r in conn.execute("SELECT name, key_hash, models, revoked FROM api_keys")}
    for name, (key_hash, models, revoked), created in _signed_rows(
            keys, state.keys, problems,
            unsigned=lambda name, _row: f"api_keys row '{name}' has no admin-signed keys.create entry",
            missing="API key '{}' is missing from api_keys without a signed entry"):
        if created["key_hash"] is not None and key_hash != created["key_hash"]:
            problems.append(f"api_keys row '{name}' holds a key hash no signed keys.create entry made")
        if created["revoked"] and not revoked:
            problems.append(f"api_keys row '{name}' is active although a signed keys.revoke entry revoked it")
        if not created["revoked"] and revoked:
            problems.append(f"api_keys row '{name}' is revoked without a signed keys.revoke entry")
        if (json.loads(models) if models else None) != created["models"]:
            problems.append(f"api_keys row '{name}' serves models no signed entry granted")

    approved_runs = {a["run_id"] for a in state.approvals.values()}
    for name, version, run_id, approved_by, current in conn.execute(
            "SELECT name, version, run_id, approved_by, current FROM approvals ORDER BY name, version"):
        expected = state.approvals.get((name, int(version)))
        if expected is None:
            problems.append(f"approvals row {name} v{version} (run {run_id}) has no signed registry.approve entry "
                            "by a reviewer or admin")
            continue
        if (run_id, approved_by) != (expected["run_id"], expected["approved_by"]):
            problems.append(f"approvals row {name} v{version} names run {run_id} approved by {approved_by}; "
                            f"the signed entry says run {expected['run_id']} by {expected['approved_by']}")
        if bool(current) != (state.current.get(name) == int(version)):
            problems.append(f"approvals row {name} v{version} current={bool(current)} disagrees with the signed "
                            "approve/rollback entries")
    for run_id, run_state in conn.execute(
            "SELECT run_id, state FROM runs WHERE state IN ('approved', 'exported') ORDER BY run_id"):
        if run_id not in approved_runs:
            problems.append(f"runs row {run_id} is '{run_state}' without a signed registry.approve entry")

    row = conn.execute("SELECT value FROM settings WHERE key = ?", (GATES_SETTING,)).fetchone()
    stored = json.loads(row[0]) if row else None
    if stored != state.gates:
        problems.append(f"settings '{GATES_SETTING}' = {row[0] if row else 'absent'} is not what the last "
                        "admin-signed registry.gates entry set")
