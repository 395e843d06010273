"""Comparing methods on the hospital's own data: prompting, a classical baseline, adapters, full tuning.

One request (``CompareRequest``) names a dataset, a task and the methods to try. ``run_comparison``
cuts one frozen snapshot (patient-level splits) and gives every method the same data:

- ``icl``: no training. The base model answers the test split zero-shot and with k examples drawn
  from the training split (nearest by TF-IDF similarity). For ``classify`` each pass yields a raw
  and a calibrated run (contextual calibration), both registered.
- ``tfidf`` (classify only): TF-IDF + logistic regression fitted on the training split in seconds.
- ``qlora``, ``lora``, ``dora``, ``full``: tuning runs under the same wall-clock budget, each
  evaluated on the held-out test split (metrics, slices, forgetting, canary exposure when planted).

The request and its progress events are ``appliance.compare.request``'s, the two baselines' runners
``appliance.compare.baselines``'s. Every method becomes a run in the registry (``runs`` table, state
``evaluated``), so baselines appear beside tuned runs in ``appliance runs``, comparisons and the
desktop app. ``write_report`` turns any set of evaluated runs of one task into the self-contained
HTML and JSON report; it holds metrics only, never note text or model outputs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from appliance import base_models
from appliance.catalog import runs
from appliance.compare.baselines import run_icl_baseline, run_tfidf_baseline, skipped_notes
from appliance.compare.request import CompareRequest, Event, PhaseProgress, PhaseStopped
from appliance.data.snapshots import SnapshotSpec, create_snapshot, load_split
from appliance.errors import ApplianceError, InvalidInput
from appliance.evaluate.runs import number
from appliance.jobs import JobContext, register_job
from appliance.tune.methods import METHODS as METHOD_TABLE
from appliance.tune.methods import default_compared, get_method, method_of_run, ordered
from appliance.workspace import Workspace

# Re-exported: callers and the method registrations (``runner="appliance.compare.service:run_icl_baseline"``)
# name them here.
__all__ = ["CompareRequest", "Event", "PhaseProgress", "compare_job", "evaluated_runs", "run_comparison",
           "run_icl_baseline", "run_tfidf_baseline", "run_tuned", "summaries", "write_report"]


def __getattr__(name: str) -> Any:
    """The comparison's method lists, read live from the method table (``appliance.tune.methods``):
    ``METHODS`` every method cheapest first, ``BASELINES`` those run by their own runner, ``TUNED`` those
    the tuning engine trains, ``DEFAULT_METHODS`` what a request compares when it names none."""
    if name == "METHODS":
        return tuple(ordered())
    if name == "BASELINES":
        return tuple(m for m in ordered() if not METHOD_TABLE[m].tuned)
    if name == "TUNED":
        return tuple(m for m in ordered() if METHOD_TABLE[m].tuned)
    if name == "DEFAULT_METHODS":
        return default_compared()
    raise AttributeError(f"module 'appliance.compare.service' has no attribute {name!r}")



def run_tuned(ws: Workspace, request: CompareRequest, method: str, *, event: Event | None = None,
              should_stop: Callable[[], bool] | None = None) -> str | None:
    """One tuning run under the request's budget, then its evaluation. None when it was cancelled."""
    from appliance.evaluate.service import evaluate_run
    from appliance.tune.service import TuneRequest, run_tune, start_run

    emit = event or (lambda name, **fields: None)
    tune = TuneRequest(dataset=request.dataset, task=request.task, method=method, base=request.base,
                       overrides={**request.overrides, **request.method_overrides.get(method, {})},
                       task_config=dict(request.task_config),
                       split_seed=request.split_seed, stratify_field=request.stratify_field,
                       allow_unreviewed=request.allow_unreviewed,
                       budget_seconds=request.budget_seconds, max_train_examples=request.max_train_examples,
                       canaries=request.canaries, canary_repeats=request.canary_repeats)
    run_id = start_run(ws, tune)
    training = PhaseProgress(emit, method, "training", run_id=run_id)
    try:
        result = run_tune(ws, run_id, event=training.relay, should_stop=should_stop)
    except BaseException as exc:
        message = str(exc) if isinstance(exc, ApplianceError) else type(exc).__name__
        with ws.transaction("tune.failed", [run_id], {"reason": message[:200]}) as tx:
            runs.fail(tx, run_id)
        raise
    if result["status"] != "done":
        return None
    scoring = PhaseProgress(emit, method, "evaluating on the test records", should_stop=should_stop, run_id=run_id)
    try:
        evaluation = evaluate_run(ws, run_id, limit=request.max_test, audit_candidates=request.audit_candidates,
                                  progress=scoring)
    except PhaseStopped:
        return None  # the run stays trained, not evaluated
    emit("run", run_id=run_id, method=method, primary_metric=evaluation["primary_metric"])
    return run_id


def run_comparison(ws: Workspace, request: CompareRequest, *, event: Event | None = None,
                   should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Every requested method on one snapshot; returns the run ids in cost order and the snapshot."""
    ws.require("admin", "informaticist")
    if base_models.registered(ws).get(request.base) is None:
        raise InvalidInput(f"base model '{request.base}' is not in this workspace; add it with 'appliance models add'")
    snapshot = create_snapshot(ws, SnapshotSpec(request.dataset, seed=request.split_seed,
                                                allow_unreviewed=request.allow_unreviewed,
                                                stratify_field=request.stratify_field))
    if not load_split(ws, snapshot.snapshot_id, "test"):
        raise InvalidInput(f"dataset '{request.dataset}' has too few patients for a held-out test split")
    run_ids: list[str] = []
    stopped = False
    skipped: list[dict[str, Any]] = []
    order = sorted(request.methods, key=lambda m: (METHOD_TABLE[m].cost_rank, m))
    for index, method in enumerate(order, 1):
        if should_stop and should_stop():
            stopped = True
            break
        if event:
            event("stage", stage=f"method {index} of {len(order)}: {method}", method=method, phase="start",
                  method_index=index, methods=len(order))
        made = _run_method(ws, request, method, snapshot.snapshot_id, event=event, should_stop=should_stop,
                           skipped=skipped)
        run_ids += made or []
        if made is None or (should_stop and should_stop()):
            stopped = True  # cancelled inside the method (its finished runs, if any, are kept)
            break
    return {"snapshot": snapshot.snapshot_id, "runs": run_ids, "cancelled": stopped, "skipped_icl": skipped}


def _run_method(ws: Workspace, request: CompareRequest, name: str, snapshot: str, *, event: Event | None,
                should_stop: Callable[[], bool] | None, skipped: list[dict[str, Any]]) -> list[str] | None:
    """One method's runs on the snapshot: a tuned method through the tuning engine, a baseline through
    the runner its registration names (called with the keywords ``event``, ``should_stop`` and
    ``skipped_passes``, a list it may append the passes it skipped to). None when it was cancelled."""
    method = get_method(name)
    if method.tuned:
        run_id = run_tuned(ws, request, name, event=event, should_stop=should_stop)
        return None if run_id is None else [run_id]
    runner = method.runner
    if isinstance(runner, str):
        module, _, function = runner.partition(":")
        runner = getattr(importlib.import_module(module), function)
    assert runner is not None  # the registry requires a runner for every method without a build
    made = runner(ws, request, snapshot, event=event, should_stop=should_stop, skipped_passes=skipped)
    if made is None:
        return None
    return [made] if isinstance(made, str) else list(made)


# ---------------------------------------------------------------------------------------------------
# Reading runs back for a comparison


def evaluated_runs(ws: Workspace) -> list[dict[str, Any]]:
    """Runs with a stored evaluation: what can be compared (newest last)."""
    out = []
    for run in runs.list_runs(ws, evaluated=True):
        e = run.evaluation or {}
        out.append({"run_id": run.run_id, "method": run.method, "task": run.task, "snapshot": run.snapshot_id,
                    "state": run.state, "primary_metric": e.get("primary_metric"), "metric_name": e.get("metric_name")})
    return out


def summaries(ws: Workspace, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Run summaries for the report (see ``appliance.evaluate.runs``), from the registry."""
    out = []
    for run_id in run_ids:
        run = runs.get(ws, run_id)
        evaluation = run.evaluation
        if not evaluation:
            raise ApplianceError(f"run '{run_id}' has no evaluation; run 'appliance evaluate {run_id}' first")
        result = run.result or {}
        request = run.config.get("request") or {}
        metrics = dict(evaluation.get("metrics", {}))
        items = metrics.pop("items", None)
        records = number(evaluation.get("records"))
        inference = number(result.get("infer_seconds_per_record"))
        if inference is None and number(evaluation.get("inference_seconds")) is not None and records:
            inference = float(evaluation["inference_seconds"]) / records
        summary: dict[str, Any] = {
            "run_id": run_id, "method": run.method, "task": run.task, "metrics": metrics, "items": items,
            "infer_seconds_per_record": inference,
            "tokens_per_query": result.get("tokens_per_query", evaluation.get("tokens_per_query")),
            "cross_validation": evaluation.get("cross_validation"),
            "state": run.state, "snapshot": run.snapshot_id, "primary_metric": evaluation.get("primary_metric"),
            "metric_name": evaluation.get("metric_name"),
            "train_seconds": result.get("train_seconds", result.get("wall_time_s")),
            "steps": result.get("steps"), "epochs": result.get("epochs"),
            "budget_seconds": request.get("budget_seconds") if method_of_run(run.method).budgeted else None,
            "peak_memory_bytes": result.get("peak_memory_bytes"), "trainable_params": result.get("trainable_params"),
            "artifact_bytes": result.get("artifact_bytes") or None, "tokens_per_s": result.get("tokens_per_s"),
            "forgetting": evaluation.get("forgetting"), "slices": evaluation.get("slices") or {},
            "loss_curve": result.get("losses") or None, "eval_seconds": evaluation.get("seconds"),
        }
        if method_of_run(run.method).kind == "prompting":
            summary["k"] = result.get("k", evaluation.get("k"))
        exposure = evaluation.get("exposure") or {}
        if exposure.get("max") is not None:
            summary["exposure"] = exposure
        if evaluation.get("leakage"):
            summary["leakage"] = evaluation["leakage"]
        out.append({k: v for k, v in summary.items() if v is not None})
    return out


def write_report(ws: Workspace, run_ids: Sequence[str], out_path: str | Path, *, title: str | None = None,
                 budget_seconds: float | None = None, queries: int | None = None,
                 notes: Sequence[str] = ()) -> tuple[Path, Path]:
    """Write ``<out>.html`` and ``<out>.json`` for the runs (audited: run ids and file names only)."""
    from appliance.compare.report import DEFAULT_TITLE
    from appliance.compare.report import write_report as write_files
    from appliance.evaluate.runs import check_runs

    rows = summaries(ws, run_ids)
    task = check_runs(rows)
    out = Path(out_path)
    if not out.parent.is_dir():
        raise InvalidInput(f"{out.parent}: no such folder for the report")
    snapshots = sorted({r["snapshot"] for r in rows})
    from appliance.evaluate.recommend import DEFAULT_QUERIES

    html_path, json_path = write_files(out, rows, title=title or f"{DEFAULT_TITLE}: {task}", budget=budget_seconds,
                                       queries=DEFAULT_QUERIES if queries is None else queries, notes=notes)
    with ws.transaction("compare.report", list(run_ids), {"task": task, "snapshots": snapshots,
                                                          "report": html_path.name}):
        pass
    return html_path, json_path


@register_job("compare")
def compare_job(ctx: JobContext) -> dict[str, Any]:
    request = CompareRequest(**ctx.params["request"])

    def emit(name: str, **fields: Any) -> None:
        if name == "progress":
            ctx.progress(int(fields.pop("step")), int(fields.pop("total")), **fields)
        else:
            ctx.event(name, **fields)

    outcome = run_comparison(ctx.ws, request, event=emit, should_stop=ctx.should_stop)
    result: dict[str, Any] = {**outcome}
    if ctx.params.get("out") and outcome["runs"]:
        from appliance.evaluate.recommend import recommend

        ctx.event("stage", stage="report: intervals and paired tests", phase="report")
        notes = skipped_notes(outcome["skipped_icl"])
        html_path, json_path = write_report(ctx.ws, outcome["runs"], ctx.params["out"], title=request.title,
                                            budget_seconds=request.budget_seconds, queries=request.queries,
                                            notes=notes)
        rec = recommend(summaries(ctx.ws, outcome["runs"]), queries=request.queries)
        result.update(report=str(html_path), json=str(json_path), recommendation=rec.reason,
                      recommended=rec.run_id, test_size=rec.test_size, tied=rec.tied)
        spans = rec.intervals
    else:
        spans = {}
    result["summary"] = []
    for r in summaries(ctx.ws, outcome["runs"]):
        row = {k: r.get(k) for k in ("run_id", "method", "k", "steps", "train_seconds", "metric_name",
                                     "primary_metric", "infer_seconds_per_record", "tokens_per_query")}
        row["test_size"] = r["metrics"].get("n")
        row["interval"] = (spans.get(r["run_id"]) or {}).get(str(r.get("metric_name")))
        result["summary"].append(row)
    return result
