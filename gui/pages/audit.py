"""Audit page: the tamper-evident log (filter by action and user), whole-workspace verification as a
job with a green/red verdict, and an export for auditors (JSON lines).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from appliance.store.audit import AuditEntry
from appliance.workspace import Workspace
from gui.errors import as_text
from gui.job_panel import JobPanel, reason
from gui.jobs import running_jobs
from gui.pages.base import Page, page_header
from gui.session import Session
from gui.widgets import Banner, fill_table, make_table

SHOWN_ENTRIES = 2000
ALL_USERS = "All users"


def search_audit(ws: Workspace, action: str, user: str | None) -> tuple[list[AuditEntry], int]:
    """Matching entries, newest first (at most ``SHOWN_ENTRIES``), and how many matched.

    ``action`` matches anywhere unless it holds a ``*`` wildcard ("deid" finds "deid.correct").
    """
    pattern = action.strip()
    if pattern and "*" not in pattern:
        pattern = f"*{pattern}*"
    found = list(ws.audit_entries(action=pattern or None, user=user or None))
    return found[::-1][:SHOWN_ENTRIES], len(found)


def export_audit(ws: Workspace, path: Path) -> tuple[int, bool]:
    """Write every entry as one JSON line, after verifying the chain. Returns (entries, verified).

    Written to ``<path>.part`` first and renamed, so an interrupted export leaves no partial file
    under the chosen name. Entries hold ids, hashes and counts only, never PHI.
    """
    report = ws.verify()
    part = path.with_name(path.name + ".part")
    count = 0
    with open(part, "w", encoding="utf-8") as out:
        for entry in ws.audit_entries():
            out.write(json.dumps(entry.to_json(), sort_keys=True) + "\n")
            count += 1
    os.replace(part, path)
    return count, report.ok


def verdict(result: dict[str, Any]) -> tuple[bool, str]:
    """Green/red text for a verify job's result (``VerifyReport.to_json``)."""
    if result.get("verified"):
        return True, (f"Verified: the audit chain ({result.get('entries', 0)} entries), every database page and "
                      f"{result.get('blobs_checked', 0)} stored files are intact.")
    if result.get("first_broken_entry") is not None or result.get("chain_problem"):
        problem = (f"audit chain broken at entry {result.get('first_broken_entry')}"
                   f" ({result.get('chain_problem') or 'no detail'})")
    elif result.get("database_problems"):
        problem = f"database damaged: {result['database_problems'][0]}"
    elif result.get("blob_problems"):
        problem = f"stored file damaged: {result['blob_problems'][0]}"
    else:
        problem = "verification reported a problem without detail"
    return False, (f"NOT intact — {problem}. Do not export models from this workspace; restore it from backup "
                   "and tell your IT support.")


class AuditPage(Page):
    title = "Audit"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self._attached = False
        self.verify_button = QPushButton("&Verify workspace")
        self.verify_button.setObjectName("primary")
        self.verify_button.setToolTip("Recompute the audit chain and check every database page and stored file")
        self.verify_button.clicked.connect(self.verify)
        self.export_button = QPushButton("&Export for auditors…")
        self.export_button.setToolTip("Verify, then write every entry as JSON lines to a file you choose")
        self.export_button.clicked.connect(self.choose_export)
        top = page_header("Audit log", "", self.export_button, self.verify_button)

        self.job_panel = JobPanel("Verification", session)
        self.job_panel.finished.connect(self._verified)
        self.result = Banner()
        self.result.setObjectName("verifyResult")
        self.banner = Banner()

        self.action_filter = QLineEdit()
        self.action_filter.setPlaceholderText("Action contains… (e.g. deid, data.import, users.*)")
        self.action_filter.setAccessibleName("Action filter")
        self.action_filter.setClearButtonEnabled(True)
        self.action_filter.returnPressed.connect(self.search)
        self.user_filter = QComboBox()
        self.user_filter.setAccessibleName("User filter")
        self.user_filter.addItem(ALL_USERS)
        self.user_filter.setMinimumWidth(160)
        self.user_filter.activated.connect(lambda _i: self.search())
        search_button = QPushButton("&Search")
        search_button.clicked.connect(self.search)
        action_label = QLabel("&Action:")
        action_label.setBuddy(self.action_filter)
        user_label = QLabel("&User:")
        user_label.setBuddy(self.user_filter)
        filters = QHBoxLayout()
        filters.addWidget(action_label)
        filters.addWidget(self.action_filter, 1)
        filters.addWidget(user_label)
        filters.addWidget(self.user_filter)
        filters.addWidget(search_button)
        self.count_label = QLabel("")
        self.count_label.setObjectName("hint")

        self.table = make_table(["#", "Time (UTC)", "User", "Action", "Objects", "Details"], "auditTable")
        self.table.setWordWrap(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.job_panel)
        layout.addWidget(self.result)
        layout.addWidget(self.banner)
        layout.addLayout(filters)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        self.ws_op(lambda ws: [str(u.name) for u in ws.users()]).success(self._show_users) \
            .failure(lambda _e: None).run()
        self.search()
        if not self._attached:
            self._attached = True
            self.ws_op(running_jobs).success(self._reattach).failure(lambda _e: None).run()

    def _show_users(self, names: list[str]) -> None:
        current = self.user_filter.currentText()
        self.user_filter.clear()
        self.user_filter.addItems([ALL_USERS, *names])
        self.user_filter.setCurrentText(current if current in names else ALL_USERS)

    def search(self) -> None:
        action = self.action_filter.text()
        chosen = self.user_filter.currentText()
        user = None if chosen == ALL_USERS else chosen
        self.ws_op(lambda ws: search_audit(ws, action, user)).success(self._show_entries) \
            .titled("Could not read the audit log").run()

    def _show_entries(self, found: tuple[list[AuditEntry], int]) -> None:
        entries, total = found
        fill_table(self.table, [[e.seq, e.time[:19].replace("T", " "), e.user, e.action, " ".join(e.object_ids),
                                 json.dumps(e.details, sort_keys=True, default=str)] for e in entries])
        for row, entry in enumerate(entries):
            item = self.table.item(row, 5)
            if item is not None:
                item.setToolTip(json.dumps(entry.details, sort_keys=True, indent=1, default=str))
        shown = f"newest {len(entries)} of {total}" if total > len(entries) else f"{total}"
        self.count_label.setText(f"{shown} entries, newest first")
        for column, width in ((0, 60), (1, 150), (2, 110), (3, 170), (4, 260)):
            self.table.setColumnWidth(column, width)

    # -- verify -----------------------------------------------------------------------------------

    def verify(self) -> None:
        if self.job_panel.running:
            return
        self.result.clear_state()
        self.verify_button.setEnabled(False)
        self.job_panel.start("verify", {})

    def _reattach(self, rows: list[Any]) -> None:
        if self.job_panel.reattach(rows, ("verify",)) is not None:
            self.verify_button.setEnabled(False)

    def _verified(self, event: dict[str, Any]) -> None:
        self.verify_button.setEnabled(True)
        name = event.get("event")
        if name == "done":
            ok, text = verdict(event.get("result") or {})
            self.result.show_state("ok" if ok else "error", text)
            self.job_panel.setVisible(False)
        elif name == "cancelled":
            self.result.show_state("info", "Verification cancelled; nothing was checked to the end.")
        else:
            self.result.show_state("error", f"Verification could not run: {reason(event)}")
        self.search()

    # -- export -----------------------------------------------------------------------------------

    def choose_export(self) -> None:
        suggested = str(Path.home() / f"audit-{self.session.root.name}.jsonl")
        chosen, _ = QFileDialog.getSaveFileName(self, "Export the audit log", suggested, "JSON lines (*.jsonl)")
        if chosen:
            self.export_to(Path(chosen))

    def export_to(self, path: Path) -> None:
        self.export_button.setEnabled(False)
        self.banner.show_state("info", f"Verifying and exporting to {path}…")
        self.ws_op(lambda ws: export_audit(ws, path)).success(lambda r: self._exported(path, r)) \
            .failure(self._export_failed).run()

    def _exported(self, path: Path, result: tuple[int, bool]) -> None:
        self.export_button.setEnabled(True)
        count, ok = result
        if ok:
            self.banner.show_state("ok", f"Exported {count} entries to {path} (chain verified).")
        else:
            self.banner.show_state("error", f"Exported {count} entries to {path}, but the workspace is NOT intact; "
                                            "run Verify to see where.")
        self.search()

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.banner.show_state("error", as_text(exc))
