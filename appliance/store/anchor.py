"""The anchored head: the chain's newest entry number and hash, written outside the database.

Signatures stop an insider from rewriting other people's entries, but not from cutting the chain's
newest entries off, or from replacing the whole chain with one they signed alone. After every commit
the head (workspace id, entry count, hash) therefore also goes

- to an append-only anchor file (``APPLIANCE_AUDIT_ANCHOR``; by default ``audit.anchor`` in the
  workspace, which only catches accidents: point it at a file outside the workspace that root made
  append-only, ``chattr +a``, as the installed service does);
- to the system log (syslog, which journald collects) when ``/dev/log`` exists, unless
  ``APPLIANCE_AUDIT_SYSLOG=0``;
- and ``appliance audit head`` prints it for an auditor to write down.

``check`` compares recorded heads with the chain: a recorded entry the chain no longer has is a
truncation; a recorded hash the chain no longer has at that number is a rewrite.

Hazard: writing the anchor happens after the commit and never fails it (the change is already
durable); a failure is logged. Lines from concurrent processes may land out of order; each line is
checked on its own.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from appliance.errors import InvalidInput
from appliance.store.db import Connection

ANCHOR_ENV = "APPLIANCE_AUDIT_ANCHOR"
SYSLOG_ENV = "APPLIANCE_AUDIT_SYSLOG"
DEFAULT_NAME = "audit.anchor"
_SYSLOG_SOCKET = Path("/dev/log")

_log = logging.getLogger("appliance.audit")


@dataclass(frozen=True)
class Head:
    workspace_id: str
    seq: int
    hash: str

    def to_json(self) -> dict[str, object]:
        return {"workspace_id": self.workspace_id, "entries": self.seq, "head": self.hash}

    def line(self) -> str:
        return json.dumps({**self.to_json(), "time": datetime.now(UTC).isoformat(timespec="seconds")},
                          sort_keys=True)


def anchor_path(root: Path) -> Path:
    value = os.environ.get(ANCHOR_ENV)
    return Path(value) if value else Path(root) / DEFAULT_NAME


def record(root: Path, head: Head) -> None:
    """Append ``head`` to the anchor file and the system log. Never raises: the commit is done."""
    path = anchor_path(root)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (head.line() + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        _log.warning("audit head %s not written to anchor %s (%s)", head.seq, path, exc.strerror)
    if os.environ.get(SYSLOG_ENV, "1") != "0" and _SYSLOG_SOCKET.exists():
        try:
            import syslog

            syslog.openlog("appliance-audit", 0, syslog.LOG_AUTH)
            syslog.syslog(syslog.LOG_NOTICE, f"audit head {head.line()}")
        except OSError as exc:  # pragma: no cover - depends on the host's logger
            _log.warning("audit head %s not sent to syslog (%s)", head.seq, exc)


def read(path: Path, workspace_id: str) -> list[Head]:
    """The heads recorded in ``path`` for ``workspace_id`` (lines of other workspaces are skipped).

    Accepts anchor files and saved ``appliance audit head`` output alike.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read anchor file {path} ({exc.strerror})") from None
    heads = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            head = Head(str(data["workspace_id"]), int(data["entries"]), str(data["head"]))
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(f"{path} line {number} is not an audit head record") from None
        if head.workspace_id == workspace_id:
            heads.append(head)
    return heads


def check(conn: Connection, heads: Iterable[Head], source: str) -> list[str]:
    """Problems of the chain in ``conn`` against recorded ``heads`` (empty: every head is still there)."""
    row = conn.execute("SELECT max(seq) FROM audit").fetchone()
    count = int(row[0] or 0)
    problems: list[str] = []
    newest = max((h.seq for h in heads), default=0)
    if newest > count:
        problems.append(f"audit chain truncated: {source} records entry {newest}, the chain ends at {count}")
    checked: set[tuple[int, str]] = set()
    for head in sorted(heads, key=lambda h: h.seq):
        if head.seq > count or head.seq == 0 or (head.seq, head.hash) in checked:
            continue
        checked.add((head.seq, head.hash))
        found = conn.execute("SELECT hash FROM audit WHERE seq = ?", (head.seq,)).fetchone()
        if found is None or found[0] != head.hash:
            problems.append(f"audit chain rewritten: entry {head.seq} has hash {str(found[0] if found else '-')[:16]}"
                            f" but {source} recorded {head.hash[:16]}")
            break  # every later head differs too; the first one is the news
    return problems
