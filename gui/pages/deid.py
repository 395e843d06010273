"""De-identification page: run a de-identification job on a dataset, then review its result.

The run is an appliance job (kind ``deid``) with a progress bar and Cancel; a job started before the
app was (re)opened is re-attached by polling. Review works on one version: the queue lists records by
risk, the editor shows one record, corrections and "mark reviewed" go through
``appliance.deid.service`` in Ops (each audited by the core).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from appliance.deid import service as deid
from appliance.ingest.service import datasets
from gui import jobs
from gui.errors import show_error
from gui.job_panel import JobPanel, followed, reason
from gui.pages.base import Allowed, Page, page_title
from gui.pages.review_editor import ReviewEditor
from gui.queries import VersionInfo, deid_versions
from gui.session import Session
from gui.widgets import Banner, confirm, fill_table, make_table

QUEUE_LIMIT = 500
NEXT_KEYS = ("Ctrl+PgDown", "Alt+Down")
PREVIOUS_KEYS = ("Ctrl+PgUp", "Alt+Up")


class DeidPage(Page):
    title = "De-identification"
    roles_allowed = {
        "run": Allowed(("admin", "informaticist"), "Informaticists and admins run de-identification"),
        "correct": Allowed(("admin", "reviewer"), "Reviewers and admins correct identifiers"),
        "mark_reviewed": Allowed(("admin", "reviewer"), "Reviewers and admins mark versions reviewed"),
    }

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.versions: list[VersionInfo] = []
        self.queue: list[dict[str, Any]] = []
        self._attached = False
        self._pending_record: int | None = None
        self._reload_record = False
        self._prefer_version: str | None = None  # a version just made by a job: show it next

        heading = page_title("De-identification")
        self.dataset_combo = QComboBox()
        self.dataset_combo.setMinimumWidth(200)
        self.dataset_combo.setAccessibleName("Dataset")
        self.dataset_combo.currentTextChanged.connect(self._dataset_changed)
        dataset_label = QLabel("&Dataset:")
        dataset_label.setBuddy(self.dataset_combo)
        self.run_button = QPushButton("&Run de-identification")
        self.run_button.setObjectName("primary")
        self.run_button.clicked.connect(self.run_deid)
        self.job_panel = JobPanel("De-identification", session)
        self.job_panel.finished.connect(self._job_finished)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(16)
        top.addWidget(dataset_label)
        top.addWidget(self.dataset_combo)
        top.addWidget(self.run_button)
        top.addWidget(self.job_panel, 1)
        top.addStretch(0)

        self.version_combo = QComboBox()
        self.version_combo.setMinimumWidth(200)
        self.version_combo.setAccessibleName("Version")
        self.version_combo.currentIndexChanged.connect(self._version_changed)
        version_label = QLabel("&Version:")
        version_label.setBuddy(self.version_combo)
        self.version_info = QLabel("")
        self.version_info.setObjectName("hint")
        self.mark_button = QPushButton("&Mark version reviewed")
        self.mark_button.clicked.connect(self.ask_mark_reviewed)
        second = QHBoxLayout()
        second.addWidget(version_label)
        second.addWidget(self.version_combo)
        second.addWidget(self.version_info, 1)
        second.addWidget(self.mark_button)

        self.banner = Banner()

        self.queue_table = make_table(["Record", "Risk", "Found", "Unsure", "Corrected"], "reviewQueue")
        for column, tip in enumerate(("Record number in the dataset", "Higher means more identifiers to check",
                                      "Identifiers detected", "Identifiers detected with low confidence: check "
                                      "these first", "Whether a reviewer corrected this record")):
            header_item = self.queue_table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.queue_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.queue_table.setToolTip("Risk grows with the number of identifiers and of low-confidence ones; "
                                    "corrected records go last")
        self.queue_table.itemSelectionChanged.connect(self._queue_selection_changed)
        queue_caption = QLabel("Review queue — highest risk first")
        queue_caption.setObjectName("caption")
        self.previous_button = QPushButton("◀ &Previous")
        self.previous_button.setToolTip(f"Previous record in the queue ({PREVIOUS_KEYS[0]})")
        self.previous_button.clicked.connect(self.previous_record)
        self.next_button = QPushButton("&Next by risk ▶")
        self.next_button.setToolTip(f"Next record by risk ({NEXT_KEYS[0]})")
        self.next_button.clicked.connect(self.next_record)
        nav = QHBoxLayout()
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)
        queue_box = QWidget()
        queue_layout = QVBoxLayout(queue_box)
        queue_layout.setContentsMargins(0, 0, 0, 0)
        queue_layout.addWidget(queue_caption)
        queue_layout.addWidget(self.queue_table, 1)
        queue_layout.addLayout(nav)

        self.editor = ReviewEditor()
        self.editor.add_requested.connect(lambda s, e, label: self._correct(add=self.editor.additions(s, e, label)))
        self.editor.remove_requested.connect(
            lambda s, e, label: self._correct(remove=self.editor.removals(s, e, label)))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(queue_box)
        split.addWidget(self.editor)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([370, 860])
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)

        for keys, slot in ((NEXT_KEYS, self.next_record), (PREVIOUS_KEYS, self.previous_record)):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
        self.setTabOrder(self.dataset_combo, self.run_button)
        self.setTabOrder(self.run_button, self.version_combo)
        self.setTabOrder(self.version_combo, self.mark_button)
        self.setTabOrder(self.mark_button, self.queue_table)
        self.setTabOrder(self.queue_table, self.previous_button)
        self.setTabOrder(self.previous_button, self.next_button)
        self.setTabOrder(self.next_button, self.editor.original)
        self._update_actions()

    # -- state ------------------------------------------------------------------------------------

    @property
    def dataset(self) -> str:
        return self.dataset_combo.currentText()

    @property
    def version(self) -> VersionInfo | None:
        index = self.version_combo.currentIndex()
        return self.versions[index] if 0 <= index < len(self.versions) else None

    def _update_actions(self) -> None:
        job_running = self.job_panel.running
        self.gate(self.run_button, "run", ready=bool(self.dataset) and not job_running,
                  why_not_ready="A de-identification job is running" if job_running else "Import a dataset first",
                  tip="De-identify every note of the dataset into a new version (runs in the background)")
        version = self.version
        complete = version is not None and version.status == "complete"
        reviewed = version is not None and version.reviewed
        self.gate(self.mark_button, "mark_reviewed", ready=complete and not reviewed,
                  why_not_ready=("This version is already marked reviewed" if reviewed
                                 else "Choose a complete version first"),
                  tip="Freeze this version as reviewed: it can then be used for tuning, and no longer corrected")
        rule = self.roles_allowed["correct"]
        if not self.may("correct"):
            self.editor.set_editable(False, rule.reason)
        elif reviewed:
            self.editor.set_editable(False, "This version is marked reviewed; run a new version to change it")
        else:
            self.editor.set_editable(complete and self.editor.record is not None, "Choose a record first")
        has_queue = bool(self.queue)
        self.next_button.setEnabled(has_queue)
        self.previous_button.setEnabled(has_queue)

    # -- loading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ws_op(lambda ws: [d.name for d in datasets(ws)]).success(self._show_datasets) \
            .titled("Could not list datasets").run()
        if not self._attached:
            self._attached = True
            self.ws_op(jobs.running_jobs).success(self._reattach).failure(lambda _e: None).run()

    def _show_datasets(self, names: list[str]) -> None:
        current = self.dataset
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        self.dataset_combo.addItems(names)
        if current in names:
            self.dataset_combo.setCurrentText(current)
        self.dataset_combo.blockSignals(False)
        self._dataset_changed(self.dataset)

    def _dataset_changed(self, name: str) -> None:
        self._update_actions()
        if not name:
            self._show_versions([])
            return
        self.ws_op(lambda ws: deid_versions(ws, name)).success(self._show_versions) \
            .titled("Could not list versions").run()

    def _show_versions(self, versions: list[VersionInfo]) -> None:
        current = self._prefer_version or (self.version.version_id if self.version else None)
        self._prefer_version = None
        self.versions = versions
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for v in versions:
            self.version_combo.addItem(f"{v.version_id} ({'reviewed' if v.reviewed else v.status})")
        ids = [v.version_id for v in versions]
        # Keep the version in view (or the one just made); otherwise the newest complete one.
        complete = [i for i, v in enumerate(versions) if v.status == "complete"]
        index = ids.index(current) if current in ids else (complete[0] if complete else 0)
        self.version_combo.setCurrentIndex(index if versions else -1)
        self.version_combo.blockSignals(False)
        self._version_changed()

    def _version_changed(self, _index: int = -1) -> None:
        version = self.version
        if version is None:
            self.version_info.setText("No de-identified version yet." if self.dataset else "")
            self._show_queue([])
        else:
            reviewed = f"reviewed by {version.reviewed_by}" if version.reviewed else "not reviewed yet"
            self.version_info.setText(f"{version.records} records · {version.spans} identifiers · created by "
                                      f"{version.created_by} {version.created[:10]} · {reviewed}")
            if version.status == "complete":
                self.load_queue(reload_record=True)
            else:
                self._show_queue([])
        self._update_actions()

    def load_queue(self, keep_record: int | None = None, reload_record: bool = False) -> None:
        """Reload the queue; keep ``keep_record`` selected, and re-read it if ``reload_record``."""
        version = self.version
        if version is None:
            return
        version_id = version.version_id
        self._pending_record, self._reload_record = keep_record, reload_record
        self.ws_op(lambda ws: deid.review_queue(ws, version_id, QUEUE_LIMIT)).success(self._show_queue) \
            .titled("Could not load the review queue").run()

    def _show_queue(self, queue: list[dict[str, Any]]) -> None:
        self.queue = queue
        self.queue_table.blockSignals(True)
        fill_table(self.queue_table, [[q["record_id"], float(q["risk"]), q["spans"], q["low_confidence"],
                                       "yes" if q["corrected"] else ""] for q in queue],
                   keys=[q["record_id"] for q in queue])
        ids = [q["record_id"] for q in queue]
        wanted, reload = self._pending_record, self._reload_record
        self._pending_record, self._reload_record = None, False
        if wanted in ids:
            self.queue_table.selectRow(ids.index(wanted))
        elif ids:
            self.queue_table.selectRow(0)
        else:
            self.queue_table.clearSelection()
        self.queue_table.blockSignals(False)
        if ids:
            self._queue_selection_changed(force=reload)
        else:
            self.editor.show_record(None)
        self._update_actions()

    def _queue_selection_changed(self, force: bool = False) -> None:
        record_id = self.current_record_id()
        if record_id is None or self.version is None:
            return
        shown = self.editor.record
        if not force and shown is not None and shown["record_id"] == record_id:
            return
        self.open_record(record_id)

    def open_record(self, record_id: int) -> None:
        version = self.version
        if version is None:
            return
        version_id = version.version_id
        self.ws_op(lambda ws: deid.review_record(ws, version_id, record_id)).success(self._show_record) \
            .titled("Could not open the record").run()

    def _show_record(self, record: dict[str, Any]) -> None:
        if record["record_id"] != self.current_record_id():
            return  # the reviewer moved on while it loaded
        self.editor.show_record(record)
        self._update_actions()

    def current_record_id(self) -> int | None:
        rows = self.queue_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.queue_table.item(rows[0].row(), 0)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    # -- navigation -------------------------------------------------------------------------------

    def next_record(self) -> None:
        self._step(1)

    def previous_record(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        count = self.queue_table.rowCount()
        if count == 0:
            return
        rows = self.queue_table.selectionModel().selectedRows()
        row = rows[0].row() + delta if rows else 0
        self.queue_table.selectRow(max(0, min(count - 1, row)))

    # -- actions ----------------------------------------------------------------------------------

    def run_deid(self) -> None:
        dataset = self.dataset
        if not dataset or self.job_panel.runner.running:
            return
        self.banner.clear_state()
        self.job_panel.start("deid", {"dataset": dataset})
        self._update_actions()

    def _reattach(self, rows: list[Any]) -> None:
        job = self.job_panel.reattach(rows, ("deid",))
        if job is None:
            return
        self.banner.show_state("info", followed("A de-identification job", job))
        self._update_actions()

    def _job_finished(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        if name == "done":
            result = event.get("result") or {}
            self._prefer_version = result.get("version")
            fields = result.get("field_spans")
            in_fields = f" in the notes, {fields} in their other fields" if fields else ""
            self.banner.show_state("ok", f"De-identified {result.get('records', '?')} records of "
                                         f"'{result.get('dataset', self.dataset)}': {result.get('spans', '?')} "
                                         f"identifiers found{in_fields}. Version {result.get('version', '')} is "
                                         "ready to review.")
        elif name == "cancelled":
            self.banner.show_state("info", "De-identification cancelled. The unfinished version is kept as "
                                           "'failed' and is never used.")
        else:
            self.banner.show_state("error", f"De-identification failed: {reason(event)}")
        self._update_actions()
        self._dataset_changed(self.dataset)

    def _correct(self, add: list[tuple[int, int, str]] | None = None,
                 remove: list[tuple[int, int, str]] | None = None) -> None:
        version, record = self.version, self.editor.record
        if version is None or record is None:
            return
        version_id, record_id = version.version_id, int(record["record_id"])
        self.editor.set_editable(False, "Saving the correction…")
        self.ws_op(lambda ws: deid.correct(ws, version_id, record_id, add=add or [], remove=remove or [])) \
            .success(lambda _r: self._corrected(record_id)).failure(self._correction_failed) \
            .titled("The correction was not saved").run()

    def _corrected(self, record_id: int) -> None:
        # The queue order changes (corrected records go last); stay on the corrected record.
        self.load_queue(keep_record=record_id, reload_record=True)

    def _correction_failed(self, exc: BaseException) -> None:
        self._update_actions()
        show_error(self, "The correction was not saved", exc)

    def ask_mark_reviewed(self) -> None:
        """Count the records no reviewer opened yet, then ask (warning about them, if any) before marking."""
        version = self.version
        if version is None:
            return
        version_id = version.version_id
        self.ws_op(lambda ws: deid.review_coverage(ws, version_id)).success(self._confirm_mark) \
            .titled("Could not check which records were opened").run()

    def _confirm_mark(self, coverage: deid.ReviewCoverage) -> QMessageBox | None:
        version = self.version
        if version is None or version.version_id != coverage.version:
            return None  # the reviewer chose another version meanwhile
        fixed = ("Its content is then fixed: corrections are no longer possible, and it can be used for tuning. "
                 "The audit log records your name and how many records were opened.")
        if coverage.unopened:
            opened = "none opened" if not coverage.opened else f"only {coverage.opened} opened"
            text = (f"{coverage.unopened} of the {coverage.records} records in {coverage.version} "
                    f"{'was' if coverage.unopened == 1 else 'were'} never opened for review ({opened}). Open "
                    "them from the review queue first, unless you are checking a sample on purpose.\n\n"
                    f"Mark {coverage.version} as reviewed anyway? {fixed}")
        else:
            text = f"Mark {coverage.version} as reviewed? All {coverage.records} records were opened. {fixed}"
        box = confirm(self, "Mark version reviewed", text, "Mark reviewed",
                      lambda: self.mark_reviewed(coverage.version))
        if coverage.unopened:
            box.setIcon(QMessageBox.Icon.Warning)
        return box

    def mark_reviewed(self, version_id: str) -> None:
        self.ws_op(lambda ws: deid.mark_reviewed(ws, version_id)).success(self._marked) \
            .titled("The version was not marked reviewed").run()

    def _marked(self, mark: deid.ReviewMark) -> None:
        coverage = mark.coverage
        self.banner.show_state("ok", f"Marked reviewed; {coverage.opened} of its {coverage.records} records had "
                                     f"been opened (content hash {mark.content_hash[:16]}…).")
        self._dataset_changed(self.dataset)
