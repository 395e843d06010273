"""Compare page: evaluated runs side by side, the recommendation, the privacy audit and the slices, the
self-contained HTML report; and a form that runs a whole comparison as a job.

Everything shown comes from the core: run summaries from ``appliance.compare.summaries``, the verdict
from ``appliance.evaluate.recommend.recommend`` (the same text the report and the CLI print), the report
from ``appliance.compare.write_report`` (audited). "Run comparison" starts the ``compare`` job with a
``CompareRequest`` built and validated by the core's dataclass: prompting (zero- and k-shot), the TF-IDF
baseline and the tuned methods on one snapshot, each evaluated on the same held-out split.
"""

from __future__ import annotations

import html
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from appliance import base_models
from appliance.compare import CompareRequest, evaluated_runs, summaries, write_report
from appliance.data.tasks import TASKS
from appliance.errors import ApplianceError
from appliance.evaluate.metrics import PRIMARY_METRICS
from appliance.evaluate.recommend import Recommendation, recommend
from appliance.evaluate.runs import method_label
from appliance.fieldhelp import help_of
from appliance.ingest.service import datasets
from appliance.tune.methods import METHODS, ordered
from appliance.workspace import Workspace
from gui import jobs
from gui.charts import BarChart
from gui.errors import as_text, show_error
from gui.pages.base import Allowed, Page, page_header
from gui.session import Session
from gui.widgets import Banner, JobPanel, buddy, fill_table, make_table, refill_combo

GB = 1024**3


def _method_help(name: str) -> str:
    method = METHODS[name]
    return f"{method.title}: {method.description}"
SLICE_NOTE = ("Cells show the primary metric per slice and its record count; slices under 10 records are marked "
              "small: too few to read much into.")


def compare_choices(ws: Workspace) -> dict[str, Any]:
    """Evaluated runs, datasets and base models, and a running compare job if any (one Op)."""
    return {"runs": evaluated_runs(ws), "datasets": [d.name for d in datasets(ws)],
            "models": list(base_models.registered(ws)),
            "jobs": [r for r in jobs.running_jobs(ws) if r.kind == "compare"]}


def comparison(ws: Workspace, run_ids: list[str]) -> tuple[list[dict[str, Any]], Recommendation]:
    runs = summaries(ws, run_ids)
    return runs, recommend(runs)


def bar_labels(runs: list[dict[str, Any]]) -> list[str]:
    """Short bar labels: the method (with its shots for in-context runs), plus the run number when two
    runs share one. The side-by-side table above the chart names each run in full."""
    labels = []
    for r in runs:
        k = r.get("k")
        labels.append(f"{r['method']} k={k}" if str(r["method"]).startswith("icl") and k is not None else r["method"])
    return [f"{label} #{str(r['run_id']).split('-')[1]}" if labels.count(label) > 1 and "-" in str(r["run_id"])
            else label for label, r in zip(labels, runs, strict=True)]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fmt(value: Any, pattern: str = "{:.3f}", empty: str = "—") -> str:
    number = _number(value)
    return empty if number is None else pattern.format(number)


def _seconds(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "—"
    return f"{number:.1f} s" if number < 120 else f"{number / 60:.1f} min"


def _count(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "—"
    return f"{number / 1e6:.1f} M" if number >= 1e6 else f"{number:,.0f}"


class ComparePage(Page):
    title = "Compare"
    roles_allowed = {
        "run": Allowed(("admin", "informaticist"), "Informaticists and admins run comparisons"),
    }

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.choices: dict[str, Any] = {"runs": [], "datasets": [], "models": [], "jobs": []}
        self.runs: list[dict[str, Any]] = []  # summaries in view
        self.recommendation: Recommendation | None = None
        self.report: tuple[Path, Path] | None = None
        self.open_reports = True  # tests switch this off: they check the file instead
        self._attached = False
        self._pending_check: list[str] = []

        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = page_header("Compare methods", "Is prompting enough, is an adapter enough, or is full fine-tuning "
                          "needed? Tick evaluated runs of one task to see them side by side.", self.refresh_button)
        self.banner = Banner()

        # -- left: the runs to compare, and a new comparison -------------------------------------
        self.run_table = make_table(["Run", "Method", "Task", "Metric"], "evaluatedRuns")
        self.run_table.setToolTip("Tick the runs to compare (Space ticks the current row)")
        self.run_table.itemChanged.connect(self._checks_changed)
        runs_caption = QLabel("Evaluated runs")
        runs_caption.setObjectName("caption")

        self.dataset_combo = QComboBox()
        self.dataset_combo.setAccessibleName("Dataset")
        self.task_combo = QComboBox()
        self.task_combo.setAccessibleName("Task")
        self.task_combo.addItems(list(TASKS))
        self.task_combo.currentTextChanged.connect(self._task_changed)
        self.base_combo = QComboBox()
        self.base_combo.setAccessibleName("Base model")
        self.label_field = QLineEdit()
        self.label_field.setAccessibleName("Label field")
        self.label_field.setPlaceholderText("default: the task's")
        self.method_boxes: dict[str, QCheckBox] = {}
        methods_row = QGridLayout()
        defaults = CompareRequest(dataset="-").methods
        for index, method in enumerate(ordered()):
            box = QCheckBox(method)
            box.setToolTip(_method_help(method))
            box.setChecked(method in defaults)
            box.toggled.connect(lambda _on: self._update_actions())
            self.method_boxes[method] = box
            methods_row.addWidget(box, index // 3, index % 3)
        self.budget = QDoubleSpinBox()
        self.budget.setAccessibleName("Budget in minutes per tuned method")
        self.budget.setRange(0, 24 * 60)
        self.budget.setDecimals(1)
        self.budget.setSuffix(" min")
        self.budget.setSpecialValueText("each method's preset")
        self.report_path = QLineEdit()
        self.report_path.setAccessibleName("Report file")
        self.report_path.setPlaceholderText("optional: write the HTML report here")
        browse = QPushButton("…")
        browse.setAccessibleName("Choose the report file")
        browse.setToolTip("Choose where the report goes")
        browse.clicked.connect(self.choose_job_report)
        report_row = QHBoxLayout()
        report_row.addWidget(self.report_path, 1)
        report_row.addWidget(browse)
        self.run_button = QPushButton("&Run comparison")
        self.run_button.setObjectName("primary")
        self.run_button.clicked.connect(self.run_comparison)
        helps = help_of(CompareRequest)
        self.dataset_combo.setToolTip(helps["dataset"])
        self.task_combo.setToolTip(helps["task"])
        self.base_combo.setToolTip(helps["base"])
        self.budget.setToolTip(helps["budget_seconds"])
        self.label_field.setToolTip("classify: the column holding the label (empty = the task's default)")
        new_box = QGroupBox("Run a comparison")
        form = QFormLayout(new_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(buddy("&Dataset", self.dataset_combo), self.dataset_combo)
        form.addRow(buddy("T&ask", self.task_combo), self.task_combo)
        form.addRow(buddy("Label f&ield", self.label_field), self.label_field)
        form.addRow(buddy("&Base model", self.base_combo), self.base_combo)
        form.addRow(QLabel("Methods"), methods_row)
        for combo in (self.dataset_combo, self.task_combo, self.base_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        form.addRow(buddy("Bud&get", self.budget), self.budget)
        form.addRow(buddy("Re&port", self.report_path), report_row)
        form.addRow("", self.run_button)
        self.runner = jobs.JobRunner(self)
        self.runner.reported.connect(self._reported)
        self.runner.finished.connect(self._job_finished)
        self.watcher = jobs.JobWatcher(session, self)
        self.watcher.finished.connect(self._job_finished)
        self.job_panel = JobPanel("Comparison", unit="records")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.addWidget(runs_caption)
        left_layout.addWidget(self.run_table, 1)
        left_layout.addWidget(new_box)
        left_layout.addWidget(self.job_panel)

        # -- right: the comparison ---------------------------------------------------------------
        self.recommendation_label = QLabel("Tick two or more evaluated runs of one task.")
        self.recommendation_label.setObjectName("recommendation")
        self.recommendation_label.setTextFormat(Qt.TextFormat.RichText)
        self.recommendation_label.setWordWrap(True)
        self.recommendation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.write_button = QPushButton("&Write report…")
        self.write_button.clicked.connect(self.choose_report)
        rec_row = QHBoxLayout()
        rec_row.addWidget(self.recommendation_label, 1)
        rec_row.addWidget(self.write_button, 0, Qt.AlignmentFlag.AlignTop)

        self.side_table = make_table(["Run", "Method", "Metric", "Train time", "Steps", "Trainable", "Peak memory",
                                      "Tokens/s"], "sideBySide")
        self.chart = BarChart("Primary metric on the held-out test split", "metric")
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.side_table, 2)
        side_layout.addWidget(self.chart, 3)

        self.privacy_table = make_table(["Run", "Max exposure (bits)", "Mean", "Threshold", "Verdict",
                                         "Outputs with training identifiers", "Perplexity before → after"],
                                        "privacyTable")
        self.privacy_note = QLabel("Exposure measures how much more likely the model finds planted fake-PHI "
                                   "canaries than random strings of the same form (about 1.4 bits for a string it "
                                   "never saw). Flagged runs are never recommended. Perplexity on general text "
                                   "before and after tuning shows forgetting.")
        self.privacy_note.setObjectName("hint")
        self.privacy_note.setWordWrap(True)
        privacy = QWidget()
        privacy_layout = QVBoxLayout(privacy)
        privacy_layout.addWidget(self.privacy_table, 1)
        privacy_layout.addWidget(self.privacy_note)

        self.slice_table = make_table(["Slice"], "sliceTable")
        self.slice_note = QLabel(SLICE_NOTE)
        self.slice_note.setObjectName("hint")
        self.slice_note.setWordWrap(True)
        slices = QWidget()
        slices_layout = QVBoxLayout(slices)
        slices_layout.addWidget(self.slice_table, 1)
        slices_layout.addWidget(self.slice_note)

        self.tabs = QTabWidget()
        self.tabs.addTab(side, "&Side by side")
        self.tabs.addTab(privacy, "Pri&vacy audit")
        self.tabs.addTab(slices, "Sli&ces")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.addLayout(rec_row)
        right_layout.addWidget(self.tabs, 1)

        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(360)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(right)
        split.setSizes([400, 640])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        self._update_actions()

    # -- state ------------------------------------------------------------------------------------

    @property
    def job_running(self) -> bool:
        return self.runner.running or self.watcher.running

    def checked_runs(self) -> list[str]:
        out = []
        for row in range(self.run_table.rowCount()):
            item = self.run_table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def _update_actions(self) -> None:
        why = ("A comparison is running; wait for it or cancel it" if self.job_running else
               "Import a dataset first" if not self.choices["datasets"] else
               "No base model in this workspace" if not self.choices["models"] else
               "Tick at least one method" if not any(b.isChecked() for b in self.method_boxes.values()) else "")
        self.gate(self.run_button, "run", ready=not why, why_not_ready=why,
                  tip="Run every ticked method on the dataset's newest de-identified version (a job)")
        self.gate(self.write_button, "write", ready=bool(self.runs), why_not_ready="Tick runs to compare first",
                  tip="Write the self-contained HTML report (and its JSON) and open it")

    # -- loading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ws_op(compare_choices).success(self._show_choices).titled("Could not list the runs").run()

    def _show_choices(self, choices: dict[str, Any]) -> None:
        checked = set(self._pending_check or self.checked_runs())
        self._pending_check = []
        self.choices = choices
        refill_combo(self.dataset_combo, choices["datasets"])
        refill_combo(self.base_combo, choices["models"])
        runs = list(reversed(choices["runs"]))
        self.run_table.blockSignals(True)
        fill_table(self.run_table, [[r["run_id"], r["method"], r["task"],
                                     f"{r['metric_name']} {_fmt(r['primary_metric'])}"] for r in runs],
                   keys=[r["run_id"] for r in runs])
        for row, run in enumerate(runs):
            item = self.run_table.item(row, 0)
            if item is not None:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if run["run_id"] in checked else Qt.CheckState.Unchecked)
        self.run_table.resizeColumnsToContents()
        self.run_table.blockSignals(False)
        self._update_actions()
        self._checks_changed()
        if not self._attached:
            self._attached = True
            self._reattach(choices["jobs"])

    def check(self, run_ids: list[str]) -> None:
        """Tick exactly ``run_ids`` (others unticked) and compare them."""
        wanted = set(run_ids)
        self.run_table.blockSignals(True)
        for row in range(self.run_table.rowCount()):
            item = self.run_table.item(row, 0)
            if item is not None:
                item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted
                                   else Qt.CheckState.Unchecked)
        self.run_table.blockSignals(False)
        self._checks_changed()

    def _checks_changed(self, _item: QTableWidgetItem | None = None) -> None:
        run_ids = self.checked_runs()
        if not run_ids:
            self._show_comparison(([], None))
            return
        tasks = {r["task"] for r in self.choices["runs"] if r["run_id"] in run_ids}
        if len(tasks) > 1:
            self._show_comparison(([], None))
            self.recommendation_label.setText(f"Runs of different tasks cannot be compared ({', '.join(sorted(tasks))}"
                                              "); tick runs of one task.")
            return
        self.ws_op(lambda ws: comparison(ws, run_ids)).success(self._compared) \
            .failure(self._compare_failed).run()

    def _compared(self, result: tuple[list[dict[str, Any]], Recommendation]) -> None:
        runs, _rec = result
        if [r["run_id"] for r in runs] != self.checked_runs():
            return  # the ticks changed while it loaded; a newer comparison is on its way
        self._show_comparison(result)

    def _compare_failed(self, exc: BaseException) -> None:
        self._show_comparison(([], None))
        self.recommendation_label.setText(as_text(exc))

    def _show_comparison(self, result: tuple[list[dict[str, Any]], Recommendation | None]) -> None:
        runs, rec = result
        self.runs, self.recommendation = runs, rec
        self._update_actions()
        if not runs or rec is None:
            self.recommendation_label.setText("Tick two or more evaluated runs of one task.")
            for table in (self.side_table, self.privacy_table, self.slice_table):
                table.setRowCount(0)
            self.chart.set_bars([])
            return
        sentences = rec.sentences or [rec.reason]
        self.recommendation_label.setText(f"<b>{html.escape(sentences[0])}</b> "
                                          + html.escape(" ".join(sentences[1:])))
        metric = PRIMARY_METRICS[runs[0]["task"]]
        self.side_table.setHorizontalHeaderItem(2, QTableWidgetItem(metric.label))
        fill_table(self.side_table, [[
            r["run_id"] + (" ★" if r["run_id"] == rec.run_id else ""), method_label(r),
            _fmt(r["metrics"].get(metric.key)), _seconds(r.get("train_seconds")),
            "—" if r.get("steps") is None else str(r["steps"]), _count(r.get("trainable_params")),
            _fmt((r.get("peak_memory_bytes") or 0) / GB, "{:.2f} GB") if r.get("peak_memory_bytes") else "—",
            _fmt(r.get("tokens_per_s"), "{:.0f}")] for r in runs], keys=[r["run_id"] for r in runs])
        marked = [i for i, r in enumerate(runs) if r["run_id"] == rec.run_id]
        self.chart.chart().setTitle(f"{metric.label}, held-out test ({'higher' if metric.higher_is_better else 'lower'}"
                                    " is better; dark = recommended)")
        self.chart.set_bars([(label, _number(r["metrics"].get(metric.key))) for label, r in zip(bar_labels(runs), runs,
                                                                                              strict=True)],
                            marked=marked)
        self._show_privacy(runs)
        self._show_slices(runs, metric.key)

    def _show_privacy(self, runs: list[dict[str, Any]]) -> None:
        rows = []
        for r in runs:
            exposure = r.get("exposure") or {}
            leakage = r.get("leakage") or {}
            forgetting = r.get("forgetting") or {}
            leak = (f"{leakage.get('leaking_outputs')} of {leakage.get('outputs')}"
                    if leakage.get("outputs") is not None else "—")
            verdict = ("flagged: not releasable" if exposure.get("flagged") else
                       "passed" if exposure else "not audited (no canaries planted)")
            rows.append([r["run_id"], _fmt(exposure.get("max"), "{:.2f}"), _fmt(exposure.get("mean"), "{:.2f}"),
                         _fmt(exposure.get("threshold_bits"), "{:.1f}"), verdict, leak,
                         f"{_fmt(forgetting.get('before'), '{:.2f}')} → {_fmt(forgetting.get('after'), '{:.2f}')}"
                         if forgetting else "—"])
        fill_table(self.privacy_table, rows)

    def _show_slices(self, runs: list[dict[str, Any]], key: str) -> None:
        slicings: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for r in runs:
            for slicing, values in (r.get("slices") or {}).items():
                for value, cell in values.items():
                    slicings.setdefault((slicing, value), {})[r["run_id"]] = cell
        headers = ["Slice", *[r["run_id"] for r in runs]]
        self.slice_table.setColumnCount(len(headers))
        self.slice_table.setHorizontalHeaderLabels(headers)
        rows = []
        for (slicing, value), cells in sorted(slicings.items()):
            row = [f"{slicing.replace('_', ' ')}: {value}"]
            for r in runs:
                cell = cells.get(r["run_id"])
                if cell is None:
                    row.append("—")
                else:
                    small = " small" if cell.get("small") else ""
                    row.append(f"{_fmt(cell.get(key))} (n={cell.get('n')}{small})")
            rows.append(row)
        fill_table(self.slice_table, rows)
        self.slice_note.setText(SLICE_NOTE if rows else "These runs' evaluations hold no slices: their test records "
                                "carry no note type, sex or age band to slice by.")

    # -- report -----------------------------------------------------------------------------------

    def choose_report(self) -> None:
        if not self.runs:
            return
        suggested = str(Path.home() / "comparison.html")
        chosen, _ = QFileDialog.getSaveFileName(self, "Write the comparison report", suggested, "HTML (*.html)")
        if chosen:
            self.write_report_to(Path(chosen))

    def write_report_to(self, path: Path) -> None:
        run_ids = [r["run_id"] for r in self.runs]
        self.write_button.setEnabled(False)
        self.ws_op(lambda ws: write_report(ws, run_ids, path)).success(self._written) \
            .failure(self._write_failed).run()

    def _written(self, paths: tuple[Path, Path]) -> None:
        self.report = paths
        self._update_actions()
        self.banner.show_state("ok", f"Report written to {paths[0]} (data in {paths[1].name}). It holds metrics "
                                     "only, never note text.")
        self._open(paths[0])

    def _write_failed(self, exc: BaseException) -> None:
        self._update_actions()
        show_error(self, "The report was not written", exc)

    def _open(self, html: Path) -> None:
        if self.open_reports:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(html)))

    # -- the comparison job -----------------------------------------------------------------------

    def _task_changed(self, task: str) -> None:
        for name, box in self.method_boxes.items():
            method = METHODS[name]
            applies = method.applies_to(task)
            box.setEnabled(applies)
            box.setToolTip(_method_help(name) if applies else
                           f"{method.title} answers the {' and '.join(method.tasks or ())} task only")
            if not applies:
                box.setChecked(False)
        self._update_actions()

    def request(self) -> dict[str, Any]:
        """The CompareRequest as a dict, validated by the core's dataclass (raises InvalidInput)."""
        minutes = self.budget.value()
        task_config = {"label_field": self.label_field.text().strip()} if self.label_field.text().strip() else {}
        request = CompareRequest(dataset=self.dataset_combo.currentText(), task=self.task_combo.currentText(),
                                 methods=[m for m, box in self.method_boxes.items() if box.isChecked()],
                                 base=self.base_combo.currentText(), task_config=task_config,
                                 budget_seconds=minutes * 60 if minutes > 0 else None)
        return asdict(request)

    def run_comparison(self) -> None:
        if self.job_running or not self.may("run"):
            return
        try:
            request = self.request()
        except ApplianceError as exc:
            show_error(self, "The comparison was not started", exc)
            return
        params: dict[str, Any] = {"request": request}
        out = self.report_path.text().strip()
        if out:
            path = Path(out).expanduser()
            if not path.parent.is_dir():
                show_error(self, "The comparison was not started",
                           FileNotFoundError(2, "No such folder for the report", str(path.parent)))
                return
            params["out"] = str(path.resolve())
        self.banner.show_state("info", f"Comparing {', '.join(request['methods'])} on '{request['dataset']}'…")
        self.job_panel.follow(self.runner)
        self.runner.start(self.session, "compare", params)
        self._update_actions()

    def choose_job_report(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Report file", str(Path.home() / "comparison.html"),
                                                "HTML (*.html)")
        if chosen:
            self.report_path.setText(chosen)

    def _reattach(self, rows: list[Any]) -> None:
        if not rows or self.runner.running:
            return
        job = rows[0]
        self.job_panel.follow(self.watcher)
        self.watcher.watch(job.job_id, job.kind)
        self.banner.show_state("info", f"A comparison started earlier by {job.user} is still running "
                                       f"({job.job_id}); this page follows it.")
        self._update_actions()

    def _reported(self, event: dict[str, Any]) -> None:
        if event.get("event") == "stage":
            self.job_panel.note(f"{event.get('stage', 'working')}…")
        elif event.get("event") == "run":
            self.job_panel.note(f"{event.get('run_id')} ({event.get('method')}) done")

    def _job_finished(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        result = event.get("result") or {}
        if name == "done":
            runs = list(result.get("runs") or [])
            text = f"Comparison finished: {len(runs)} runs"
            if result.get("cancelled"):
                text += " (cancelled before the last method)"
            if result.get("report"):
                text += f"; report written to {result['report']}"
            self.banner.show_state("ok", text + ".")
            self._pending_check = runs
            if result.get("report"):
                self.report = (Path(result["report"]), Path(result["json"]))
                self._open(self.report[0])
        elif name == "cancelled":
            self.banner.show_state("info", "Comparison cancelled; the runs it finished are kept and listed.")
        else:
            self.banner.show_state("error", f"The comparison failed: {event.get('message', 'no reason given')}")
        self._update_actions()
        self.refresh()
