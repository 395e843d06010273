"""Evaluations: a run's held-out metrics, forgetting check and privacy audit, as one typed record.

An evaluation has no table of its own: it is stored as JSON in the ``evaluation`` column of its run,
and ``appliance.catalog.runs`` holds that SQL (storing one moves the run's state, see its state
machine). This module is the typed view the services read, and ``record`` is the one way to store one.
Who may evaluate and how the figures are measured are ``appliance.evaluate``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.catalog import runs
from appliance.catalog.base import Source
from appliance.catalog.runs import Run, RunId
from appliance.store.db import Connection


@dataclass(frozen=True)
class Evaluation:
    """The figures the registry's gates, the model card and the reports read; ``stored`` keeps the whole
    JSON as it was stored (test split size, slices, leakage, seconds, how outputs were generated, ...)."""

    run_id: RunId
    metric_name: str | None  # the task's primary metric (macro_f1, rougeL, ...)
    primary_metric: float | None
    records: int  # held-out test records scored (0 when not stored)
    metrics: dict[str, Any]
    forgetting: dict[str, Any]  # general-text perplexity {"before", "after"}; {} when not measured
    exposure: dict[str, Any]  # canary exposure {"measured", "max", "flagged", ...}; {} when not measured
    stored: dict[str, Any]

    @classmethod
    def from_json(cls, run_id: str, data: dict[str, Any]) -> Evaluation:
        return cls(RunId(run_id), data.get("metric_name"), data.get("primary_metric"),
                   int(data.get("records") or 0), dict(data.get("metrics") or {}),
                   dict(data.get("forgetting") or {}), dict(data.get("exposure") or {}), data)

    def summary(self) -> dict[str, Any]:
        """What an audit entry records of it: the headline figures, no per-record detail."""
        return {k: self.stored.get(k) for k in ("primary_metric", "metric_name", "exposure", "forgetting")}


def of(run: Run) -> Evaluation | None:
    """The evaluation stored with ``run``, if it has one."""
    return None if run.evaluation is None else Evaluation.from_json(run.run_id, run.evaluation)


def get(source: Source, run_id: str) -> Evaluation | None:
    """The evaluation of run ``run_id`` (None if it has none; ``InvalidInput`` if there is no such run)."""
    return of(runs.get(source, run_id))


def list_evaluations(source: Source) -> list[Evaluation]:
    """The evaluation of every evaluated run, oldest run first."""
    return [e for e in map(of, runs.list_runs(source, evaluated=True)) if e is not None]


def record(tx: Connection, run_id: str, evaluation: dict[str, Any]) -> Evaluation:
    """Store ``evaluation`` (JSON-ready) with its run, in the caller's transaction; see
    ``runs.record_evaluation`` for the state the run moves to."""
    stored = of(runs.record_evaluation(tx, run_id, evaluation))
    assert stored is not None  # just written
    return stored
