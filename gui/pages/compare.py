"""Compare page: evaluated runs side by side, the recommendation, the privacy audit and the slices, the
self-contained HTML report; and a form that runs a whole comparison as a job.

Everything shown comes from the core: run summaries from ``appliance.compare.summaries``, the verdict
from ``appliance.evaluate.recommend.recommend`` (the same text the report and the CLI print), the report
from ``appliance.compare.write_report`` (audited). "Run comparison" starts the ``compare`` job with a
``CompareRequest`` built and validated by the core's dataclass: prompting (zero- and k-shot), the TF-IDF
baseline and the tuned methods on one snapshot, each evaluated on the same held-out split.

Parts: ``compare_form`` (the form, its defaults and the progress line), ``compare_view`` (the verdict,
tables and chart, every score with its interval and test size); this module wires them to the workspace.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from appliance import base_models
from appliance.compare import evaluated_runs, summaries, write_report
from appliance.errors import ApplianceError
from appliance.evaluate.recommend import Recommendation, recommend
from appliance.ingest.service import datasets
from appliance.workspace import Workspace
from gui import jobs
from gui.errors import as_text, show_error
from gui.job_panel import JobPanel, followed, reason
from gui.pages.base import Allowed, Page, page_header
from gui.pages.compare_form import CompareForm, describe_progress, phase_label
from gui.pages.compare_view import CompareView, bar_labels, fmt
from gui.session import Session
from gui.widgets import Banner, fill_table, fit_columns, fit_columns_to_width, make_table, refill_combo

__all__ = ["ComparePage", "bar_labels", "compare_choices", "comparison"]


def compare_choices(ws: Workspace) -> dict[str, Any]:
    """Evaluated runs, datasets and base models, and a running compare job if any (one Op)."""
    return {"runs": evaluated_runs(ws), "datasets": [d.name for d in datasets(ws)],
            "models": list(base_models.registered(ws)),
            "jobs": [r for r in jobs.running_jobs(ws) if r.kind == "compare"]}


def comparison(ws: Workspace, run_ids: list[str]) -> tuple[list[dict[str, Any]], Recommendation]:
    runs = summaries(ws, run_ids)
    return runs, recommend(runs)


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
        self._position: tuple[int, int] | None = None  # method i of n of the running comparison

        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = page_header("Compare methods", "Is prompting enough, is an adapter enough, or is full fine-tuning "
                          "needed? Tick evaluated runs of one task to see them side by side.", self.refresh_button)
        self.banner = Banner()

        # -- left: the runs to compare, and a new comparison -------------------------------------
        self.run_table = make_table(["Run", "Method", "Task", "Metric"], "evaluatedRuns")
        fit_columns_to_width(self.run_table)  # "Metric" in view beside the form
        self.run_table.setToolTip("Tick the runs to compare (Space ticks the current row)")
        self.run_table.itemChanged.connect(self._checks_changed)
        runs_caption = QLabel("Evaluated runs")
        runs_caption.setObjectName("caption")
        self.form = CompareForm()
        # The page's public handles, as tests and users know them.
        self.dataset_combo = self.form.dataset_combo
        self.task_combo = self.form.task_combo
        self.base_combo = self.form.base_combo
        self.label_field = self.form.label_field
        self.stratify_field = self.form.stratify_field
        self.method_boxes = self.form.method_boxes
        self.budget = self.form.budget
        self.queries = self.form.queries
        self.cv_folds = self.form.cv_folds
        self.report_path = self.form.report_path
        self.run_button = self.form.run_button
        for box in self.method_boxes.values():
            box.toggled.connect(lambda _on: self._update_actions())
        self.budget.valueChanged.connect(lambda _v: self._update_actions())
        self.cv_folds.valueChanged.connect(lambda _v: self._update_actions())
        self.task_combo.currentTextChanged.connect(lambda _t: self._update_actions())
        self.form.browse.clicked.connect(self.choose_job_report)
        self.run_button.clicked.connect(self.run_comparison)
        self.job_panel = JobPanel("Comparison", session, unit="records", describe=describe_progress)
        self.job_panel.reported.connect(self._reported)
        self.job_panel.finished.connect(self._job_finished)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.addWidget(runs_caption)
        left_layout.addWidget(self.run_table, 1)
        left_layout.addWidget(self.form)
        left_layout.addWidget(self.job_panel)

        # -- right: the comparison ---------------------------------------------------------------
        self.view = CompareView()
        self.recommendation_label = self.view.recommendation_label
        self.sample_label = self.view.sample_label
        self.write_button = self.view.write_button
        self.side_table = self.view.side_table
        self.chart = self.view.chart
        self.privacy_table = self.view.privacy_table
        self.privacy_note = self.view.privacy_note
        self.slice_table = self.view.slice_table
        self.slice_note = self.view.slice_note
        self.tabs = self.view.tabs
        self.write_button.clicked.connect(self.choose_report)

        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(360)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(self.view)
        split.setSizes([400, 640])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        self._update_actions()

    # -- state ------------------------------------------------------------------------------------

    def checked_runs(self) -> list[str]:
        out = []
        for row in range(self.run_table.rowCount()):
            item = self.run_table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def _update_actions(self) -> None:
        why = ("A comparison is running; wait for it or cancel it" if self.job_panel.running else
               "Import a dataset first" if not self.choices["datasets"] else
               "No base model in this workspace" if not self.choices["models"] else
               self.form.why_not_ready())
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
                                     f"{r['metric_name']} {fmt(r['primary_metric'])}"] for r in runs],
                   keys=[r["run_id"] for r in runs])
        for row, run in enumerate(runs):
            item = self.run_table.item(row, 0)
            if item is not None:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if run["run_id"] in checked else Qt.CheckState.Unchecked)
        self.run_table.resizeColumnsToContents()
        fit_columns(self.run_table)  # the tick boxes widened the first column
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
            self.view.clear()
            return
        self.view.display(runs, rec)

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

    def request(self) -> dict[str, Any]:
        """The CompareRequest as a dict, validated by the core's dataclass (raises InvalidInput)."""
        return asdict(self.form.request())

    def run_comparison(self) -> None:
        if self.job_panel.running or not self.may("run"):
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
        self.job_panel.start("compare", params)
        self._update_actions()

    def choose_job_report(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Report file", str(Path.home() / "comparison.html"),
                                                "HTML (*.html)")
        if chosen:
            self.report_path.setText(chosen)

    def _reattach(self, rows: list[Any]) -> None:
        job = self.job_panel.reattach(rows)
        if job is None:
            return
        self.banner.show_state("info", followed("A comparison", job))
        self._update_actions()

    def _reported(self, event: dict[str, Any]) -> None:
        """The progress line names the method and its phase (and, from the progress events, the ETA)."""
        name = event.get("event")
        if name == "stage":
            if event.get("phase") == "start" and event.get("method_index"):
                self._position = (int(event["method_index"]), int(event.get("methods") or 0))
                return
            if event.get("method") and event.get("phase"):
                unit = "steps" if event["phase"] == "training" else "records"
                self.job_panel.set_label(phase_label(event, self._position), unit=unit, describe=describe_progress)
            self.job_panel.note(f"{event.get('stage', 'working')}…")
        elif name == "run":
            self.job_panel.note(f"{event.get('run_id')} ({event.get('method')}) done")

    def _job_finished(self, event: dict[str, Any]) -> None:
        self._position = None
        self.job_panel.set_label("Comparison", unit="records", describe=describe_progress)
        name = event.get("event")
        result = event.get("result") or {}
        if name == "done":
            runs = list(result.get("runs") or [])
            text = f"Comparison finished: {len(runs)} runs"
            if result.get("cancelled"):
                text += " (cancelled before the last method)"
            for skipped in result.get("skipped_icl") or []:
                if skipped.get("ran_k"):
                    text += (f"; the {skipped['k']}-shot in-context pass ran with {skipped['ran_k']} example(s) "
                             f"(the most that fit: {skipped['k']} were estimated at "
                             f"{skipped['estimate_s'] / 60:.0f} min, over the budget)")
                else:
                    text += (f"; the {skipped['k']}-shot in-context pass was skipped (estimated at "
                             f"{skipped['estimate_s'] / 60:.0f} min, over the budget)")
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
            self.banner.show_state("error", f"The comparison failed: {reason(event)}")
        self._update_actions()
        self.refresh()
