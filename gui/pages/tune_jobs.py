"""The Tune page's right half: the job in view with its live charts, the runs table, and the job's
events (progress, forecast, the end of a run). ``TunePage`` subclasses it; the left half, the request
form, stays in ``gui.pages.tune``.

The charts of a run watched in this window stay after it ends (throughput is not stored with the run);
a run chosen from the table shows its stored loss curve. The Steps cell of the run in training follows
the job's progress, since the stored figure is written only when the run ends.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from appliance.tune.config import TuneConfig
from appliance.tune.methods import METHODS
from gui.charts import LineChart
from gui.job_panel import JobPanel, followed, reason
from gui.pages.base import Page
from gui.pages.tune_text import (
    describe_progress,
    forecast_text,
    loss_text,
    run_state,
    speed_text,
    stored_losses,
)
from gui.session import Session
from gui.widgets import Banner, fit_columns_to_width, make_table, selected_key

STEPS_COLUMN = 5


class TuneJobView(Page):
    """The base of ``TunePage``: builds the right half and handles the job's events.

    The request half (``TunePage``) sets the attributes declared here in its ``__init__`` and supplies
    the abstract methods below.
    """

    banner: Banner
    forecast: QLabel
    choices: dict[str, Any]
    runs: list[dict[str, Any]]
    run_id: str | None  # the run the job in view works on
    estimate: dict[str, Any] | None
    _config: TuneConfig | None
    _charted_run: str | None  # the run whose live charts are on screen

    @abstractmethod
    def _update_actions(self) -> None:
        """Enable the request form's and the run table's buttons for the current state."""

    @abstractmethod
    def _show_runs(self, state: dict[str, Any]) -> None:
        """Fill the runs table (and the choices) from ``state`` as loaded by ``reload_runs``."""

    @abstractmethod
    def reload_runs(self) -> None:
        """Reload the runs table from the workspace (starts an Op; does not wait)."""

    @abstractmethod
    def resume(self) -> None:
        """Resume the run selected in the table as a new job."""

    def _build_job_view(self, session: Session) -> QWidget:
        self.job_panel = JobPanel("Tuning", session, unit="steps", describe=describe_progress)
        self.job_panel.reported.connect(self._reported)  # only a job started here reports stages
        self.job_panel.finished.connect(self._job_finished)
        self.job_panel.runner.progress.connect(self._progress)  # the charts plot only a job started here
        self.loss_chart = LineChart("Training loss", "step", "loss")
        self.speed_chart = LineChart("Throughput", "step", "tokens/s", colour="#2f855a")
        self.chart_caption = QLabel("Charts fill in while a run trains; choose a finished run below to see "
                                    "its loss curve.")
        self.chart_caption.setObjectName("hint")
        self.chart_caption.setWordWrap(True)
        charts = QHBoxLayout()
        charts.addWidget(self.loss_chart)
        charts.addWidget(self.speed_chart)

        runs_caption = QLabel("Runs")
        runs_caption.setObjectName("caption")
        self.run_table = make_table(["Run", "Method", "Task", "Status", "State", "Steps", "Final loss",
                                     "Trained by"], "runTable")
        fit_columns_to_width(self.run_table)  # every header visible, "Trained by" too
        self.run_table.itemSelectionChanged.connect(self._run_selected)
        self.resume_button = QPushButton("&Resume selected run")
        self.resume_button.clicked.connect(self.resume)
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        run_buttons = QHBoxLayout()
        run_buttons.addWidget(runs_caption)
        run_buttons.addStretch(1)
        run_buttons.addWidget(self.refresh_button)
        run_buttons.addWidget(self.resume_button)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.addWidget(self.job_panel)
        right_layout.addLayout(charts, 3)
        right_layout.addWidget(self.chart_caption)
        right_layout.addLayout(run_buttons)
        right_layout.addWidget(self.run_table, 2)
        return right

    def _begin(self, text: str) -> None:
        self.run_id = None
        self.estimate = None
        self.loss_chart.clear()
        self.speed_chart.clear()
        self.banner.show_state("info", text)
        self._charted_run = None
        if self._config is not None:
            self.forecast.setText("Waiting for the job's forecast (it loads the model and times a few steps "
                                  "first)…")

    def _reattach(self, rows: list[Any]) -> None:
        job = self.job_panel.reattach(rows)
        if job is None:
            return
        running = [r for r in self.choices["runs"] if r["status"] == "running"]
        self.run_id = running[-1]["run_id"] if running else None
        which = f" on {self.run_id}" if self.run_id else ""
        self.banner.show_state("info", followed(f"A tuning job{which}", job)
                               + " Live charts show only for jobs started in this window; the loss curve "
                                 "appears when it ends.")
        self._update_actions()

    # -- job events -------------------------------------------------------------------------------

    def _progress(self, event: dict[str, Any]) -> None:
        step = event.get("step")
        if not isinstance(step, int | float):
            return
        self._show_live_steps(int(step), event.get("total"))
        loss, speed = event.get("loss"), event.get("tokens_per_s")
        if isinstance(loss, int | float):
            self.loss_chart.add_point(step, loss)
        if isinstance(speed, int | float) and speed > 0:
            self.speed_chart.add_point(step, speed)

    def _show_live_steps(self, step: int, total: Any) -> None:
        """The Steps cell of the run in training, from the job's progress (the table's figure is the
        stored one, written only when the run ends)."""
        ids = [r["run_id"] for r in self.runs]
        if self.run_id not in ids:
            return
        item = self.run_table.item(ids.index(self.run_id), STEPS_COLUMN)
        if item is not None:
            item.setText(f"{step} / {total}" if isinstance(total, int) and total else str(step))

    def _reported(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        if name == "run":
            self.run_id = self._charted_run = str(event.get("run_id"))
            self.banner.show_state("info", f"Run {self.run_id} is training; you may close the window, "
                                           "it keeps running.")
            self.reload_runs()
        elif name == "stage":
            self.job_panel.note(f"{event.get('stage', 'working')}…")
        elif name == "estimate":
            self.estimate = event
            self.forecast.setText("From the job, measured after loading the model: "
                                  + forecast_text(event, self._config))
        elif name == "checkpoint":
            self.job_panel.note(f"checkpoint sealed at step {event.get('step')}")

    def _job_finished(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        result = event.get("result") or {}
        run_id = result.get("run_id") or self.run_id
        method = next((METHODS.get(r["method"]) for r in self.runs if r["run_id"] == run_id), None)
        if name == "done" and result.get("status") == "cancelled" and method is not None and method.own_trainer:
            self.banner.show_state("info", f"{run_id} cancelled after {result.get('steps', '?')} steps; it keeps "
                                           "no checkpoints, so start a new run to train it.")
        elif name == "done" and result.get("status") == "cancelled":
            self.banner.show_state("info", f"{run_id} cancelled after {result.get('steps', '?')} steps; its "
                                           "checkpoints are sealed. Select it and choose Resume to continue.")
        elif name == "done":
            loss = result.get("final_loss")
            self.banner.show_state("ok", f"{run_id} trained: {result.get('steps', '?')} steps, final loss "
                                         f"{loss_text(loss)}, {speed_text(result.get('tokens_per_s'))}. "
                                         "Evaluate it on the Models page.")
        elif name == "cancelled":
            self.banner.show_state("info", "Tuning cancelled before training began; nothing was kept half-written.")
        else:
            self.banner.show_state("error", f"Tuning failed: {reason(event)}")
        self.run_id = run_id
        self._update_actions()
        self.ws_op(run_state).success(lambda state: self._finished_runs(state, run_id)) \
            .titled("Could not list the runs").run()

    def _finished_runs(self, state: dict[str, Any], run_id: str | None) -> None:
        self._show_runs(state)
        ids = [r["run_id"] for r in self.runs]
        if run_id in ids:
            self.run_table.selectRow(ids.index(run_id))  # shows its stored loss curve

    def _run_selected(self) -> None:
        self._update_actions()
        run_id = selected_key(self.run_table)
        if run_id is None or self.job_panel.running:
            return  # never replace the live chart
        self.ws_op(lambda ws: stored_losses(ws, run_id)).success(lambda losses: self._show_curve(run_id, losses)) \
            .failure(lambda _exc: None).run()

    def _show_curve(self, run_id: str, losses: list[float]) -> None:
        if self.job_panel.running or selected_key(self.run_table) != run_id:
            return
        if run_id == self._charted_run:
            # The run this page just watched: its live charts stay (throughput is not stored with the run).
            self.chart_caption.setText(f"Loss and throughput of {run_id} as it trained.")
            return
        self.loss_chart.set_points([(step, loss) for step, loss in enumerate(losses, 1)])
        self.speed_chart.clear()
        self.chart_caption.setText(f"Loss curve of {run_id} ({len(losses)} steps, stored with the run); "
                                   "throughput is charted only while a run trains in this window." if losses else
                                   f"{run_id} has no stored loss curve (it did not finish).")

