"""``appliance verify``: the audit chain recomputed, every entry's signature and the security tables
checked against the signed entries, the anchored heads compared, every database page and every blob
chunk authenticated. ``Workspace.verify`` is the front door; this is the work and its report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.store import anchor, audit, db, ledger
from appliance.store.blobs import BlobStore


@dataclass
class VerifyReport:
    """Result of ``Workspace.verify``: the chain, every database page, every blob chunk."""

    chain: audit.ChainReport
    database_problems: list[str]
    blobs_checked: int = 0
    blob_problems: list[str] = field(default_factory=list)
    ledger: ledger.LedgerReport = field(default_factory=ledger.LedgerReport)
    anchor_problems: list[str] = field(default_factory=list)
    anchors_checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.chain.ok and self.ledger.ok and not self.anchor_problems and not self.database_problems
                and not self.blob_problems)

    def problems(self) -> list[str]:
        """Every problem found, most fundamental first (the CLI prints the first one)."""
        chain = [] if self.chain.ok else [f"audit chain broken at entry {self.chain.first_broken}: {self.chain.reason}"]
        return (chain + self.anchor_problems + self.ledger.signature_problems + self.ledger.table_problems
                + self.database_problems + self.blob_problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.ok,
            "entries": self.chain.entries,
            "head": self.chain.head,
            "first_broken_entry": self.chain.first_broken,
            "chain_problem": self.chain.reason,
            "signature_problems": self.ledger.signature_problems,
            "table_problems": self.ledger.table_problems,
            "unsigned_legacy_entries": self.ledger.unsigned_legacy,
            "ledger_notes": self.ledger.notes,
            "anchor_problems": self.anchor_problems,
            "anchors_checked": self.anchors_checked,
            "database_problems": self.database_problems,
            "blobs_checked": self.blobs_checked,
            "blob_problems": self.blob_problems,
        }


def verify_workspace(conn: db.Connection, root: Path, workspace_id: str, blobs: BlobStore,
                     progress: Callable[[int, int], None] | None = None,
                     anchors: list[Path] | None = None) -> VerifyReport:
    """Check everything of the workspace at ``root`` (see the module docstring); ``progress(n, total)``
    after each blob, ``anchors`` audit-head files kept elsewhere, checked besides the default one."""
    problems = db.integrity_problems(conn)
    triggers = db.trigger_names(conn)
    if not {"audit_append_only_update", "audit_append_only_delete"} <= triggers:
        problems.append("the audit table's append-only triggers were removed")
    signed = ledger.LedgerReport()
    try:
        chain = audit.verify(conn, workspace_id)
        signed = ledger.check(conn, audit.entries(conn))
        ids = BlobStore.ids(conn)
    except db.DatabaseError as exc:
        chain = audit.ChainReport(False, 0, "", None, f"audit table unreadable ({exc})")
        ids = []
    report = VerifyReport(chain=chain, database_problems=problems, ledger=signed)
    default = anchor.anchor_path(root)
    paths = [*([default] if default.exists() else []), *(anchors or [])]
    for path in dict.fromkeys(p.resolve() for p in paths):  # each file once, in order
        report.anchors_checked.append(str(path))
        report.anchor_problems += anchor.check(conn, anchor.read(path, workspace_id), str(path))
    for n, blob_id in enumerate(ids, 1):
        try:
            blobs.verify(BlobStore.info(conn, blob_id))
        except ApplianceError as exc:
            report.blob_problems.append(str(exc))
        report.blobs_checked = n
        if progress:
            progress(n, len(ids))
    return report
