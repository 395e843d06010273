"""Models page: the registry of runs and approved versions; evaluate, approve, reject, roll back, export.

Every rule is the core's (``appliance.registry``): a run is ``trained`` -> ``evaluated`` -> ``approved``
-> ``exported`` (or ``rejected``); approval needs a reviewer or admin who did not train the run, a note,
and the release gates. Buttons are disabled with the reason when a rule would refuse, and the core
still checks (a refusal is shown as an error dialog). Evaluation and export are appliance jobs; the
export's parity result is read from the job's result and, for earlier exports, from their export.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from appliance import registry
from appliance.catalog import runs as run_records
from appliance.compare import evaluated_runs
from appliance.errors import InvalidInput
from appliance.export import FORMATS
from appliance.export.service import exports
from appliance.tune.service import list_runs
from appliance.workspace import Workspace
from gui import jobs
from gui.errors import show_error
from gui.job_panel import JobPanel, followed, reason
from gui.pages.approval import ApprovalDialog, NoteDialog
from gui.pages.base import Allowed, Page, page_header
from gui.pages.exports_view import DEFAULT_EXPORT_FOLDER, FORMAT_HELP, export_parity, free_path, parity_text
from gui.session import Session
from gui.widgets import Banner, confirm, fill_table, make_table, selected_key

# label, unit, extra words: an export counts prompts (or files) per stage: reference, parity, write, hash.
JOB_LABELS: dict[str, tuple[str, str, Any]] = {
    "evaluate": ("Evaluation", "records", None),
    "export": ("Export", "items", lambda event: f"stage {event.get('stage')}" if event.get("stage") else ""),
}
ACTIONS = ("evaluate", "approve", "reject", "rollback", "export")


def registry_state(ws: Workspace) -> dict[str, Any]:
    """Runs with their evaluation and approval, what the user may do with each (``registry.actions``),
    the baseline comparison of each evaluated run, approved versions, exports, running jobs (one Op)."""
    evaluated = {r["run_id"]: r for r in evaluated_runs(ws)}
    approvals = registry.approvals(ws)
    approved_as = {a["run_id"]: f"{a['name']} v{a['version']}" for a in approvals}
    actions = {run.run_id: registry.actions(run, ws.user, approved_as.get(run.run_id))
               for run in run_records.list_runs(ws)}
    comparisons = {run_id: registry.baseline_comparison(ws, run_id) for run_id, r in evaluated.items()
                   if r["state"] == "evaluated"}
    return {"runs": list_runs(ws), "evaluated": evaluated, "approvals": approvals, "actions": actions,
            "comparisons": comparisons,
            "exports": [{**e, "parity": export_parity(Path(e["path"]))} for e in exports(ws)],
            "jobs": [r for r in jobs.running_jobs(ws) if r.kind in ("evaluate", "export")]}


class ModelsPage(Page):
    title = "Models"
    roles_allowed = {action: Allowed(registry.ACTION_ROLES[action], registry.ROLE_REFUSALS[action])
                     for action in ACTIONS}

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.state: dict[str, Any] = {"runs": [], "evaluated": {}, "approvals": [], "actions": {},
                                      "comparisons": {}, "exports": [], "jobs": []}
        self.runs: list[dict[str, Any]] = []
        self.dialog: NoteDialog | None = None
        self.last_export: dict[str, Any] | None = None
        self._attached = False
        self._job_kind = ""
        self._card: tuple[str, int | None] | None = None  # the approved version whose card is shown

        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = page_header("Models", "Trained → evaluated → approved by a second person → exported. Approval needs "
                          "a reviewer who did not train the run, and the release gates must pass.",
                          self.refresh_button)
        self.banner = Banner()

        self.run_table = make_table(["Run", "Method", "Task", "State", "Held-out metric", "Approved as",
                                     "Trained by"], "registryTable")
        self.run_table.itemSelectionChanged.connect(self._run_selected)
        self.evaluate_button = QPushButton("&Evaluate")
        self.evaluate_button.clicked.connect(self.evaluate)
        self.approve_button = QPushButton("&Approve…")
        self.approve_button.setObjectName("primary")
        self.approve_button.clicked.connect(self.ask_approve)
        self.reject_button = QPushButton("Re&ject…")
        self.reject_button.clicked.connect(self.ask_reject)
        actions = QHBoxLayout()
        actions.addWidget(self.evaluate_button)
        actions.addWidget(self.approve_button)
        actions.addWidget(self.reject_button)
        self.next_step = QLabel("")
        self.next_step.setObjectName("hint")
        self.next_step.setWordWrap(True)
        actions.addSpacing(12)
        actions.addWidget(self.next_step, 1)

        self.job_panel = JobPanel("Evaluation", session, unit="records")
        self.job_panel.finished.connect(self._job_finished)

        # approved versions
        self.approval_table = make_table(["Name", "Version", "Run", "Approved by", "When (UTC)", "Current"],
                                         "approvalTable")
        self.approval_table.itemSelectionChanged.connect(self._approval_selected)
        self.rollback_button = QPushButton("Roll &back this name")
        self.rollback_button.clicked.connect(self.ask_rollback)
        approvals_box = QGroupBox("Approved versions")
        approvals_layout = QVBoxLayout(approvals_box)
        approvals_layout.addWidget(self.approval_table, 1)
        approvals_layout.addWidget(self.rollback_button, 0, Qt.AlignmentFlag.AlignRight)

        # export
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Export format")
        for fmt in FORMATS:
            self.format_combo.addItem(FORMAT_HELP.get(fmt, fmt), fmt)
        self.format_combo.currentIndexChanged.connect(self._update_actions)
        self.folder = QLineEdit(str(DEFAULT_EXPORT_FOLDER))
        self.folder.setAccessibleName("Export folder")
        self.folder.setToolTip("The export is written to a new folder inside this one")
        browse = QPushButton("Bro&wse…")
        browse.clicked.connect(self.choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.export_button = QPushButton("E&xport")
        self.export_button.clicked.connect(self.export)
        self.export_result = QLabel("")
        self.export_result.setObjectName("hint")
        self.export_result.setWordWrap(True)
        self.export_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        export_box = QGroupBox("Export the selected run")
        export_form = QFormLayout(export_box)
        format_label = QLabel("For&mat")
        format_label.setBuddy(self.format_combo)
        folder_label = QLabel("Fol&der")
        folder_label.setBuddy(self.folder)
        export_form.addRow(format_label, self.format_combo)
        export_form.addRow(folder_label, folder_row)
        export_form.addRow("", self.export_button)
        export_form.addRow(self.export_result)

        # model card
        self.card = QTextBrowser()
        self.card.setObjectName("modelCard")
        self.card.setAccessibleName("Model card")
        self.card.setOpenLinks(False)
        card_box = QGroupBox("Model card")
        card_layout = QVBoxLayout(card_box)
        card_layout.addWidget(self.card)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(approvals_box, 1)
        left_layout.addWidget(export_box)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(left)
        bottom.addWidget(card_box)
        bottom.setSizes([560, 480])
        bottom.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.run_table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.job_panel)
        layout.addWidget(bottom, 3)
        self.setTabOrder(self.run_table, self.evaluate_button)
        self.setTabOrder(self.evaluate_button, self.approve_button)
        self.setTabOrder(self.approve_button, self.reject_button)
        self.setTabOrder(self.reject_button, self.approval_table)
        self.setTabOrder(self.approval_table, self.rollback_button)
        self.setTabOrder(self.rollback_button, self.format_combo)
        self.setTabOrder(self.format_combo, self.folder)
        self.setTabOrder(self.folder, browse)
        self.setTabOrder(browse, self.export_button)
        self.setTabOrder(self.export_button, self.card)
        self._update_actions()

    # -- state ------------------------------------------------------------------------------------

    def selected_run(self) -> dict[str, Any] | None:
        run_id = selected_key(self.run_table)
        return next((r for r in self.runs if r["run_id"] == run_id), None)

    def approval_of(self, run_id: str) -> dict[str, Any] | None:
        versions = [a for a in self.state["approvals"] if a["run_id"] == run_id]
        return versions[-1] if versions else None

    def selected_name(self) -> str | None:
        key = selected_key(self.approval_table)
        return None if key is None else str(key[0])

    def _why_not(self, run: dict[str, Any] | None, action: str) -> str:
        """The core's reason (``registry.actions``) the user may not do ``action`` with ``run`` ("" = may)."""
        if run is None:
            return "Choose a run first"
        return str((self.state["actions"].get(run["run_id"]) or {}).get(action, ""))

    def _update_actions(self, *_args: Any) -> None:
        run = self.selected_run()
        busy = "A job is running; wait for it or cancel it" if self.job_panel.running else ""

        why = busy or self._why_not(run, "evaluate")
        self.gate(self.evaluate_button, "evaluate", ready=not why, why_not_ready=why,
                  tip="Score the run on its held-out test split (metrics, slices, forgetting, privacy audit)")
        why = self._why_not(run, "approve")
        self.gate(self.approve_button, "approve", ready=not why, why_not_ready=why,
                  tip="Approve with a note; the run is published as the next version of its name")
        why = self._why_not(run, "reject")
        self.gate(self.reject_button, "reject", ready=not why, why_not_ready=why,
                  tip="Mark the run rejected, with a note saying why")

        fmt = str(self.format_combo.currentData() or "merged")
        why = busy or self._why_not(run, "export") or (
            "A full fine-tuning run has no adapter; choose merged, onnx or onnx-int8"
            if run is not None and fmt == "adapter" and run["method"] == "full" else "")
        self.gate(self.export_button, "export", ready=not why, why_not_ready=why,
                  tip=f"Write the {fmt} export to a new folder and check its parity on held-out prompts")

        approval = self.approval_of(run["run_id"]) if run else None
        self.next_step.setText(self._next_step(run, approval))

        name = self.selected_name()
        versions = sorted(a["version"] for a in self.state["approvals"] if a["name"] == name)
        current = next((a["version"] for a in self.state["approvals"] if a["name"] == name and a["current"]), None)
        why = ("Choose an approved version first" if name is None else
               f"{name} v{current} is its first approved version; there is nothing to roll back to"
               if current is None or current == versions[0] else "")
        self.gate(self.rollback_button, "rollback", ready=not why, why_not_ready=why,
                  tip="Make the approved version before the current one current again")

    def _next_step(self, run: dict[str, Any] | None, approval: dict[str, Any] | None) -> str:
        """What happens next to the selected run, in words (the buttons' tooltips say why not)."""
        if run is None:
            return "Choose a run to see what it needs next."
        state = run.get("state") or run["status"]
        if run["status"] != "done":
            return f"{run['run_id']} is {run['status']}; resume or finish it on the Tune page."
        if state in ("trained", "candidate"):
            return "Next: evaluate it on its held-out test split."
        if state == "evaluated":
            return f"Next: approval by a reviewer or admin other than {run['created_by']}."
        if state == "approved" and approval:
            return (f"Approved as {approval['name']} v{approval['version']} by {approval['approved_by']}: "
                    "ready to export.")
        if state == "exported" and approval:
            return f"Approved as {approval['name']} v{approval['version']} and exported; serve it on the Serve page."
        if state == "rejected":
            return "Rejected; it is never exported."
        return ""

    # -- loading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ws_op(registry_state).success(self._show).titled("Could not read the model registry").run()

    def _show(self, state: dict[str, Any]) -> None:
        self.state = state
        keep_run, keep_name = selected_key(self.run_table), selected_key(self.approval_table)
        self.runs = list(reversed(state["runs"]))
        rows = []
        for r in self.runs:
            evaluated = state["evaluated"].get(r["run_id"])
            approval = self.approval_of(r["run_id"])
            metric = evaluated.get("primary_metric") if evaluated else None
            metric_text = f"{evaluated['metric_name']} {metric:.3f}" if isinstance(metric, int | float) else ""
            rows.append([r["run_id"], r["method"], r["task"], r["state"] or r["status"], metric_text,
                         f"{approval['name']} v{approval['version']}" if approval else "", r["created_by"]])
        fill_table(self.run_table, rows, keys=[r["run_id"] for r in self.runs])
        self.run_table.blockSignals(True)
        ids = [r["run_id"] for r in self.runs]
        if keep_run in ids:
            self.run_table.selectRow(ids.index(keep_run))
        self.run_table.blockSignals(False)
        approvals = state["approvals"]
        self.approval_table.blockSignals(True)
        fill_table(self.approval_table, [[a["name"], a["version"], a["run_id"], a["approved_by"],
                                          (a["approved_at"] or "")[:19].replace("T", " "),
                                          "current" if a["current"] else ""] for a in approvals],
                   keys=[(a["name"], a["version"]) for a in approvals])
        keys = [(a["name"], a["version"]) for a in approvals]
        if keep_name in keys:
            self.approval_table.selectRow(keys.index(keep_name))
        self.approval_table.blockSignals(False)
        self._update_actions()
        self._show_exports()
        run = self.selected_run()
        approval = self.approval_of(run["run_id"]) if run else None
        if approval is not None and self._card != (approval["name"], approval["version"]):
            self.show_card(approval["name"], approval["version"])  # e.g. the run just approved elsewhere
        if not self._attached:
            self._attached = True
            self._reattach(state["jobs"])

    def _run_selected(self) -> None:
        self._update_actions()
        self._show_exports()
        run = self.selected_run()
        approval = self.approval_of(run["run_id"]) if run else None
        if approval is not None:
            self.show_card(approval["name"], approval["version"])

    def _approval_selected(self) -> None:
        self._update_actions()
        key = selected_key(self.approval_table)
        if key is not None:
            self.show_card(str(key[0]), int(key[1]))

    def show_card(self, name: str, version: int | None = None) -> None:
        self._card = (name, version)
        self.ws_op(lambda ws: registry.model_card_text(ws, name, version)).success(self.show_markdown) \
            .titled("Could not read the model card").run()

    def show_markdown(self, text: str) -> None:
        """The model card (Markdown), with headings sized for a side panel rather than a page."""
        self.card.setMarkdown(text)
        block = self.card.document().begin()
        while block.isValid():
            level = block.blockFormat().headingLevel()
            if level:
                cursor = QTextCursor(block)
                cursor.select(QTextCursor.SelectionType.BlockUnderCursor)
                heading = QTextCharFormat()
                heading.setProperty(QTextFormat.Property.FontSizeAdjustment, 1 if level == 1 else 0)
                heading.setFontWeight(QFont.Weight.Bold)
                cursor.mergeCharFormat(heading)
            block = block.next()

    def _show_exports(self) -> None:
        if self.last_export is not None:
            return  # the result of the export just made stays in view until another run is chosen
        run = self.selected_run()
        made = [e for e in self.state["exports"] if run and e["run_id"] == run["run_id"]]
        if not made:
            self.export_result.setText("")
            return
        lines = [f"{e['format']} → {e['path']} ({e['created'][:10]}): {parity_text(e['parity']) or 'no export.json'}"
                 for e in made]
        self.export_result.setText("Earlier exports of this run:\n" + "\n".join(lines))

    # -- jobs -------------------------------------------------------------------------------------

    def evaluate(self) -> None:
        run = self.selected_run()
        if run is None or self.job_panel.running or not self.evaluate_button.isEnabled():
            return
        self._start("evaluate", {"run": run["run_id"]}, f"Evaluating {run['run_id']} on its held-out test split…")

    def export(self) -> None:
        run = self.selected_run()
        if run is None or self.job_panel.running or not self.export_button.isEnabled():
            return
        fmt = str(self.format_combo.currentData())
        folder = Path(self.folder.text().strip() or DEFAULT_EXPORT_FOLDER).expanduser()
        approval = self.approval_of(run["run_id"])
        try:
            out = free_path(folder / f"{approval['name'] if approval else run['run_id']}-{fmt}")
        except InvalidInput as exc:
            show_error(self, "The export did not start", exc)
            return
        self._start("export", {"run": run["run_id"], "format": fmt, "out": str(out.resolve())},
                    f"Exporting {run['run_id']} as {fmt} to {out}…")

    def _start(self, kind: str, params: dict[str, Any], text: str) -> None:
        self._job_kind = kind
        self.last_export = None
        self.banner.show_state("info", text)
        self.job_panel.set_label(*JOB_LABELS[kind])
        self.job_panel.start(kind, params)
        self._update_actions()

    def _reattach(self, rows: list[Any]) -> None:
        if not rows or self.job_panel.runner.running:
            return
        self.job_panel.set_label(*JOB_LABELS[rows[0].kind])
        job = self.job_panel.reattach(rows)
        if job is None:
            return
        self._job_kind = job.kind
        self.banner.show_state("info", followed(JOB_LABELS[job.kind][0], job))
        self._update_actions()

    def _job_finished(self, event: dict[str, Any]) -> None:
        name, kind = event.get("event"), self._job_kind
        result = event.get("result") or {}
        if name == "done" and kind == "evaluate":
            metric = result.get("primary_metric")
            shown = f"{metric:.3f}" if isinstance(metric, int | float) else "—"
            self.banner.show_state("ok", f"{result.get('run_id', 'The run')} evaluated on {result.get('records', '?')} "
                                         f"held-out records: {result.get('metric_name', 'metric')} {shown}. A reviewer "
                                         "who did not train it can now approve it.")
        elif name == "done" and kind == "export":
            self.last_export = result
            text = parity_text(result.get("parity"))
            self.banner.show_state("ok" if (result.get("parity") or {}).get("passed") else "warn",
                                   f"Exported {result.get('format')} to {result.get('out')}: {text}.")
            self.export_result.setText(f"{result.get('format')} → {result.get('out')}: {text} "
                                       f"({result.get('files', '?')} files).")
        elif name == "cancelled":
            self.banner.show_state("info", f"The {kind or 'job'} was cancelled; nothing was half-written.")
        else:
            self.banner.show_state("error", f"The {kind or 'job'} failed: {reason(event)}")
        self._update_actions()
        self.refresh()

    # -- decisions --------------------------------------------------------------------------------

    def ask_approve(self) -> NoteDialog | None:
        run = self.selected_run()
        if run is None or not self.approve_button.isEnabled():
            return None
        comparison = self.state["comparisons"].get(run["run_id"]) or {}
        dialog = ApprovalDialog(f"Approve {run['run_id']} ({run['method']}), trained by {run['created_by']}? "
                                "The audit log records your name and note.", comparison, self,
                                name_hint="the dataset and label, e.g. ward-specialty")
        dialog.submitted.connect(lambda note, name: self.approve(run["run_id"], note, name or None,
                                                                 override=dialog.override.isChecked()))
        return self._open(dialog)

    def approve(self, run_id: str, note: str, name: str | None = None, override: bool = False) -> None:
        self.ws_op(lambda ws: registry.approve(ws, run_id, note, name, override_baseline=override)) \
            .success(self._approved).titled("The run was not approved").run()

    def _approved(self, result: dict[str, Any]) -> None:
        self.banner.show_state("ok", f"{result['run_id']} approved as {result['name']} v{result['version']}; "
                                     "it can now be exported.")
        self.show_markdown(result["model_card"])
        self._card = (result["name"], result["version"])
        self.refresh()

    def ask_reject(self) -> NoteDialog | None:
        run = self.selected_run()
        if run is None or not self.reject_button.isEnabled():
            return None
        dialog = NoteDialog("Reject a run", f"Reject {run['run_id']}? Say why; the audit log records it.", "Reject",
                            self)
        dialog.submitted.connect(lambda note, _name: self.reject(run["run_id"], note))
        return self._open(dialog)

    def reject(self, run_id: str, note: str) -> None:
        self.ws_op(lambda ws: registry.reject(ws, run_id, note)) \
            .success(lambda _r: self._decided(f"{run_id} rejected.")).titled("The run was not rejected").run()

    def ask_rollback(self) -> None:
        name = self.selected_name()
        if name is None or not self.rollback_button.isEnabled():
            return
        confirm(self, "Roll back", f"Make the previous approved version of {name} current again? Tools that ask "
                "for the current version get that one from now on.", "Roll back", lambda: self.rollback(name))

    def rollback(self, name: str) -> None:
        self.ws_op(lambda ws: registry.rollback(ws, name)) \
            .success(lambda r: self._decided(f"{r['name']} v{r['version']} ({r['run_id']}) is current again.")) \
            .titled("Could not roll back").run()

    def _decided(self, text: str) -> None:
        self.banner.show_state("ok", text)
        self.refresh()

    def _open(self, dialog: NoteDialog) -> NoteDialog:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export into folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

