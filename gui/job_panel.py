"""The job panel: one component for every page that runs an appliance job.

``JobPanel`` owns the page's ``JobRunner`` (a job started here) and ``JobWatcher`` (a job started
earlier, by a previous run of the app or by the CLI) and shows whichever it follows as a progress bar,
a status line and a Cancel button. A page wires it in three calls:

- ``panel.finished.connect(slot)`` (and ``reported``): the final / other events of either source;
- ``panel.start(kind, params)`` to run a job;
- ``panel.reattach(running_job_rows, kinds)`` to follow a job of its kind already running.

What the page says about the outcome (its banner) stays on the page; ``followed(what, job)`` is what it
says on re-attaching and ``reason(event)`` the failure text a final event carries. The runner is a
child of the panel, so the main window still finds it (``findChildren(JobRunner)``) to detach running
jobs when it closes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from gui.jobs import JobRunner, JobWatcher
from gui.session import Session


class JobSource(Protocol):
    """What ``JobPanel`` follows: a ``gui.jobs.JobRunner`` or ``gui.jobs.JobWatcher``."""

    started: SignalInstance
    progress: SignalInstance
    finished: SignalInstance

    def cancel(self) -> None: ...


class RunningJob(Protocol):
    """A row of ``gui.jobs.running_jobs``: what ``reattach`` needs of it."""

    @property
    def job_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def user(self) -> str: ...


def followed(what: str, job: RunningJob) -> str:
    """What a page says when it follows a job started before it opened."""
    return f"{what} started earlier by {job.user} is still running ({job.job_id}); this page follows it."


def reason(event: dict[str, Any]) -> str:
    """Why a job failed, from its final event (the core's one-line, PHI-free message)."""
    return str(event.get("message", "no reason given"))


class JobPanel(QWidget):
    """Progress bar, status text and a Cancel button for one job at a time, and the runner and watcher
    behind them.

    ``unit`` names what a step counts when the event does not say (``"steps"`` for training);
    ``describe(event)``, if given, adds a few words after the count (e.g. loss and speed).
    ``finished(event)`` and ``reported(event)`` relay the events of the runner and of the watcher.
    """

    finished = Signal(dict)
    reported = Signal(dict)

    def __init__(self, label: str, session: Session, parent: QWidget | None = None, unit: str = "records",
                 describe: Callable[[dict[str, Any]], str] | None = None) -> None:
        super().__init__(parent)
        self._label = label
        self._unit = unit
        self._describe = describe
        self._session = session
        self._source: JobSource | None = None
        self.runner = JobRunner(self)
        self.watcher = JobWatcher(session, self)
        for relayed in (self.runner, self.watcher):
            relayed.finished.connect(self.finished)
            relayed.reported.connect(self.reported)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(160)
        self.bar.setAccessibleName(f"{label} progress")
        self.status = QLabel("")
        self.status.setObjectName("jobStatus")
        self.status.setWordWrap(True)  # long progress lines wrap instead of widening the window
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the job at its next safe point; nothing is half-written")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 2)
        layout.addWidget(self.status, 3)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    @property
    def running(self) -> bool:
        """A job is running here: started by this page, or followed since it was found running."""
        return self.runner.running or self.watcher.running

    def start(self, kind: str, params: dict[str, Any]) -> str:
        """Run a job of ``kind`` with ``params`` and follow it; returns its job id."""
        self.follow(self.runner)
        return self.runner.start(self._session, kind, params)

    def reattach(self, rows: Sequence[RunningJob], kinds: Collection[str] | None = None) -> RunningJob | None:
        """Follow the first of ``rows`` (running jobs) whose kind is one of ``kinds`` (any if None), unless
        this page runs a job itself; returns the job followed, or None."""
        mine = [row for row in rows if kinds is None or row.kind in kinds]
        if not mine or self.runner.running:
            return None
        job = mine[0]
        self.follow(self.watcher)
        self.watcher.watch(job.job_id, job.kind)
        return job

    def follow(self, source: JobSource) -> None:
        if self._source is not None:
            for signal, slot in ((self._source.progress, self._on_progress),
                                 (self._source.finished, self._on_finished)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass  # already disconnected, or the source is gone
        self._source = source
        source.progress.connect(self._on_progress)
        source.finished.connect(self._on_finished)
        self.bar.setRange(0, 0)  # busy until the first step count arrives
        self.status.setText(f"{self._label}: starting…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.setVisible(True)

    def set_label(self, label: str, unit: str = "records",
                  describe: Callable[[dict[str, Any]], str] | None = None) -> None:
        """Name the next job this panel follows (one panel may show different kinds in turn)."""
        self._label, self._unit, self._describe = label, unit, describe
        self.bar.setAccessibleName(f"{label} progress")

    def note(self, text: str) -> None:
        """Say what the job is doing before it counts steps (e.g. a tune job's stage)."""
        if self.cancel_button.isEnabled():
            self.status.setText(f"{self._label}: {text}")

    def _cancel(self) -> None:
        if self._source is not None:
            self._source.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _on_progress(self, event: dict[str, Any]) -> None:
        step, total = int(event.get("step", 0) or 0), int(event.get("total", 0) or 0)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(step, total))
            rate = event.get("rate")
            unit = event.get("unit", self._unit)
            extra = f" · {rate}/s" if rate else ""
            if self._describe is not None:
                described = self._describe(event)
                extra += f" · {described}" if described else ""
            self.status.setText(f"{self._label}: {step} of {total} {unit}{extra}")
        else:
            self.bar.setRange(0, 0)
            self.status.setText(f"{self._label}: running (started earlier; progress shows when it ends)")

    def _on_finished(self, event: dict[str, Any]) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        name = event.get("event")
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if name == "done" else 0)
        if name == "done":
            self.status.setText(f"{self._label}: finished")
        elif name == "cancelled":
            self.status.setText(f"{self._label}: cancelled; nothing was half-written")
        else:
            self.status.setText(f"{self._label}: failed — {reason(event)}")
