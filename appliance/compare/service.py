"""Comparing methods on the hospital's own data: prompting, a classical baseline, adapters, full tuning.

One request (``CompareRequest``) names a dataset, a task and the methods to try. ``run_comparison``
cuts one frozen snapshot (patient-level splits) and gives every method the same data:

- ``icl``: no training. The base model answers the test split zero-shot and with k examples drawn
  from the training split (nearest by TF-IDF similarity). For ``classify`` each pass yields a raw
  and a calibrated run (contextual calibration), both registered.
- ``tfidf`` (classify only): TF-IDF + logistic regression fitted on the training split in seconds.
- ``qlora``, ``lora``, ``dora``, ``full``: tuning runs under the same wall-clock budget, each
  evaluated on the held-out test split (metrics, slices, forgetting, canary exposure when planted).

Every method becomes a run in the registry (``runs`` table, state ``evaluated``), so baselines
appear beside tuned runs in ``appliance runs``, comparisons and the desktop app. ``write_report``
turns any set of evaluated runs of one task into the self-contained HTML and JSON report; it holds
metrics only, never note text or model outputs.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance import base_models, registry
from appliance.catalog import runs
from appliance.compare.crossval import cross_validate_tfidf
from appliance.data.snapshots import SnapshotSpec, create_snapshot, load_split
from appliance.data.tasks import TaskConfig, get_task
from appliance.errors import ApplianceError, InvalidInput
from appliance.evaluate.runs import number
from appliance.jobs import JobContext, register_job
from appliance.runtime.bases import open_base
from appliance.runtime.loading import load_causal_lm
from appliance.tune.methods import METHODS as METHOD_TABLE
from appliance.tune.methods import default_compared, get_method, method_of_run, ordered
from appliance.workspace import Workspace


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


Event = Callable[..., None]


@dataclass
class CompareRequest:
    """What to compare; stored with every run it creates."""

    dataset: str = field(metadata={"help": "Dataset whose newest de-identified version is compared on."})
    task: str = field(default="classify", metadata={"help": "classify, summarize, extract, instruct or continue."})
    methods: list[str] = field(default_factory=lambda: list(default_compared()), metadata={
        "help": "Methods to compare: icl, tfidf (classify only), qlora, lora, dora, full, or any registered one."})
    base: str = field(default="smollm2-135m-instruct", metadata={"help": "Base model id from the manifest."})
    budget_seconds: float | None = field(default=None, metadata={
        "help": "The same wall-clock training budget for every tuned method (empty = each method's preset)."})
    shots: list[int] = field(default_factory=lambda: [0, 4], metadata={
        "help": "In-context examples per ICL pass (0 = zero-shot); one pass per value."})
    icl: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "In-context settings (ICLConfig fields: similarity, shot_note_tokens, max_prompt_tokens, ...)."})
    canaries: int = field(default=0, metadata={
        "help": "Random fake-PHI canaries planted in each tuned run's training data for the privacy audit."})
    canary_repeats: int = field(default=1, metadata={"help": "Copies of each canary planted."})
    audit_candidates: int = field(default=2000, metadata={
        "help": "Random strings each canary is ranked among (exposure is capped at log2 of this)."})
    overrides: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "Training settings applied to every tuned method (TuneConfig fields)."})
    method_overrides: dict[str, dict[str, Any]] = field(default_factory=dict, metadata={
        "help": "Training settings for one tuned method over the shared ones, e.g. {'lora': {'learning_rate': 1e-3}}."})
    task_config: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "Task settings (TaskConfig fields: label_field, label_set, max_length, ...)."})
    split_seed: int = field(default=13, metadata={"help": "Seed of the patient-level split."})
    allow_unreviewed: bool = field(default=False, metadata={
        "help": "Use a de-identified version nobody reviewed (audited)."})
    max_train_examples: int | None = field(default=None, metadata={"help": "Train on at most this many examples."})
    max_test: int | None = field(default=None, metadata={"help": "Score at most this many test records."})
    title: str | None = field(default=None, metadata={"help": "Title of the report."})
    queries: int = field(default=10_000, metadata={
        "help": "Future queries the recommendation's cost order is computed for (training + queries x "
                "inference time per record)."})
    cv_folds: int = field(default=0, metadata={
        "help": "Also score the cheap methods (TF-IDF) by this many cross-validation folds over every labelled "
                "record (0 = off); useful when the test split is small."})

    def __post_init__(self) -> None:
        self.methods = list(dict.fromkeys(m.strip().lower() for m in self.methods if m.strip()))
        if not self.methods:
            raise InvalidInput("name at least one method to compare")
        unknown = [m for m in self.methods if m not in METHOD_TABLE]
        if unknown:
            raise InvalidInput(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(ordered())}")
        get_task(self.task)
        for name in self.methods:
            method = METHOD_TABLE[name]
            if not method.applies_to(self.task):
                raise InvalidInput(f"{method.label} compares on the {' and '.join(method.tasks or ())} task "
                                   "only")
        if self.budget_seconds is not None and self.budget_seconds <= 0:
            raise InvalidInput("the budget must be a positive number of minutes")
        stray = sorted(m for m in self.method_overrides if m not in METHOD_TABLE or not METHOD_TABLE[m].tuned)
        if stray:
            raise InvalidInput(f"method overrides name {', '.join(stray)}; only tuned methods take training settings")
        if not self.shots or any(k < 0 for k in self.shots):
            raise InvalidInput("ICL shots must be numbers >= 0")
        from appliance.evaluate.icl import ICLConfig

        ICLConfig.from_mapping({**self.icl, "k": 0})  # unknown or bad in-context settings fail here
        if self.queries < 0:
            raise InvalidInput("the query volume must be a number >= 0")
        if self.cv_folds and not 2 <= self.cv_folds <= 20:
            raise InvalidInput("cross-validation folds must be between 2 and 20 (0 = off)")
        if self.cv_folds and "tfidf" not in self.methods:
            raise InvalidInput("cross-validation folds apply to the TF-IDF baseline; add tfidf to the methods")
        if self.canaries < 0 or self.canary_repeats < 1 or self.audit_candidates < 64:
            raise InvalidInput("canaries must be >= 0, canary repeats >= 1 and audit candidates >= 64")


class PhaseProgress:
    """Progress of one phase of one method ("lora", "training"): every event names both, with an ETA.

    Events: ``stage`` (method, phase, stage text) when the phase starts, then ``progress`` with step,
    total, method, phase and eta_s (from this phase's own pace). The job throttles progress events.
    """

    def __init__(self, emit: Event, method: str, phase: str, text: str | None = None, **fields: Any) -> None:
        self.emit, self.method, self.phase = emit, method, phase
        self.started = time.monotonic()
        emit("stage", stage=text or f"{method}: {phase}", method=method, phase=phase, **fields)

    def __call__(self, done: int, total: int, *args: Any, **kwargs: Any) -> None:
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else None
        self.emit("progress", step=done, total=total, method=self.method, phase=self.phase,
                  eta_s=None if eta is None else round(eta, 1))

    def relay(self, name: str, **fields: Any) -> None:
        """Pass on another component's events (training), naming the method and phase on each."""
        if name == "progress":
            fields = {**fields, "method": self.method, "phase": self.phase}
        self.emit(name, **fields)


def _task_config(task: str, request_task: dict[str, Any], records: list[dict[str, Any]]) -> TaskConfig:
    from appliance.tune.service import task_config_for

    return task_config_for(task, request_task, records)


def _register_baseline(ws: Workspace, method: str, request: CompareRequest, snapshot: str,
                       config: dict[str, Any], result: dict[str, Any], evaluation: dict[str, Any]) -> str:
    """A finished baseline run (no artifact: nothing was trained, or the model is refitted in seconds)."""
    base = "scikit-learn" if method_of_run(method).kind == "classical" else request.base
    details = {"method": method, "task": request.task, "base": base, "snapshot": snapshot,
               "primary_metric": evaluation.get("primary_metric")}
    object_ids: list[str] = []  # the run id is allocated inside the transaction; the audit entry reads it after
    with ws.transaction("baseline.run", object_ids, details) as tx:
        run = runs.create(tx, method=method, task=request.task, base_model=base, snapshot_id=snapshot,
                          config={"request": asdict(request), **config}, created_by=ws.user.name, result=result)
        object_ids += [run.run_id, snapshot]
    registry.record_evaluation(ws, run.run_id, {**evaluation, "run_id": run.run_id})
    return run.run_id


def _evaluation(task: str, task_config: TaskConfig, records: list[dict[str, Any]], predictions: list[str],
                seconds: float, **extra: Any) -> dict[str, Any]:
    from appliance.evaluate.metrics import PRIMARY_METRICS, MetricInputs, compute
    from appliance.evaluate.predict import references
    from appliance.evaluate.service import output_slices

    refs = references(task, records, task_config)
    metrics = compute(task, MetricInputs(
        predictions=predictions, references=refs, labels=task_config.label_set, fields=task_config.extract_fields,
        sources=[str(r.get(task_config.text_field) or "") for r in records] if task == "summarize" else ()))
    primary = PRIMARY_METRICS[task]
    return {"split": "test", "records": len(records), "metrics": metrics, "metric_name": primary.key,
            "primary_metric": metrics.get(primary.key), "seconds": round(seconds, 2),
            "slices": output_slices(task, task_config, records, predictions),
            "exposure": {"measured": False, "reason": "nothing was trained on the notes"}, **extra}


ICL_BUDGET_SLACK = 1.0  # in-context passes may spend this multiple of the tuned methods' budget in all
_PROBE_RECORDS = 3  # test records scored to estimate an in-context pass before it starts


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _estimate_icl_seconds(model: Any, tokenizer: Any, task: str, task_config: TaskConfig,
                          train: list[dict[str, Any]], test: list[dict[str, Any]], config: Any) -> float | None:
    """Seconds a pass over `test` will take, timed on its first records; None when the split is tiny.

    The pace per record is taken between the first and the last probe record, so the once-per-pass work
    (choosing examples' index, zero-shot calibration, warm-up) is counted once and not multiplied by n.
    """
    from appliance.evaluate.icl import run_icl

    if len(test) <= 2 * _PROBE_RECORDS:
        return None
    marks: dict[int, float] = {}
    started = time.monotonic()
    run_icl(model, tokenizer, task, task_config, train, test[:_PROBE_RECORDS + 1], config,
            progress=lambda done, total: marks.__setitem__(done, time.monotonic()))
    first, last = marks.get(1), marks.get(_PROBE_RECORDS + 1)
    if first is None or last is None:
        return None
    pace = (last - first) / _PROBE_RECORDS
    setup = max(0.0, first - started - pace)
    return setup + pace * len(test)


def run_icl_baseline(ws: Workspace, request: CompareRequest, snapshot: str, *, event: Event | None = None,
                     should_stop: Callable[[], bool] | None = None,
                     skipped_passes: list[dict[str, Any]] | None = None) -> list[str]:
    """Zero- and k-shot in-context runs (raw and, for classify, calibrated) on the test split.

    In-context learning trains nothing but pays its scoring time on every query, so its evaluation time
    counts against the budget: each pass is estimated on its first records before it starts, and a
    pass whose estimate exceeds what is left of ``budget_seconds`` (all passes together) is skipped
    and listed in ``skipped_passes``.
    """
    import torch

    from appliance.evaluate.icl import ICLConfig, run_icl
    from appliance.evaluate.service import output_leakage

    emit = event or (lambda name, **fields: None)
    train = load_split(ws, snapshot, "train")
    test = load_split(ws, snapshot, "test")[: request.max_test or None]
    task_config = _task_config(request.task, request.task_config, train + test)
    classify = get_task(request.task).name == "classify"
    run_ids: list[str] = []
    skipped = skipped_passes if skipped_passes is not None else []
    with ws.scratch() as scratch, torch.no_grad():
        base_dir, tokenizer = open_base(ws, request.base, scratch, progress=lambda m: emit(
            "stage", stage=f"icl: {m}", method="icl", phase="loading the base model"))
        model = load_causal_lm(base_dir)
        model.eval()
        spent = 0.0
        for k in request.shots:
            if should_stop and should_stop():
                break
            name = f"icl {k}-shot"
            config = ICLConfig.from_mapping({**request.icl, "k": k, "calibrate": classify})
            estimate = _estimate_icl_seconds(model, tokenizer, request.task, task_config, train, test, config)
            if estimate is not None:
                emit("stage", stage=f"{name}: about {_minutes(estimate)} for {len(test)} test records "
                     "(estimated from the first records)", method=name, phase="estimate", estimate_s=round(estimate))
                budget = request.budget_seconds
                if budget is not None and spent + estimate > budget * ICL_BUDGET_SLACK:
                    emit("stage", stage=f"{name}: skipped, the estimate ({_minutes(estimate)}) exceeds what is left "
                         f"of the {_minutes(budget)} budget", method=name, phase="skipped", estimate_s=round(estimate))
                    skipped.append({"k": k, "estimate_s": round(estimate), "budget_s": budget})
                    continue
            phase = PhaseProgress(emit, name, "scoring test records")
            started = time.monotonic()
            result = run_icl(model, tokenizer, request.task, task_config, train, test, config, progress=phase)
            seconds = time.monotonic() - started
            spent += seconds
            stored = {"icl": config.to_dict(), "k": k, "task": asdict(task_config)}
            prompt_tokens, calibration_tokens = _icl_tokens_per_query(tokenizer, request.task, task_config, train,
                                                                      test, config)
            per_record = seconds / max(1, len(test))
            figures: dict[str, Any] = {"train_seconds": 0.0, "steps": 0, "k": k, "eval_seconds": round(seconds, 2),
                       "mean_shots": sum(result.shots_used) / max(1, len(result.shots_used)), "trainable_params": 0,
                       "infer_seconds_per_record": per_record, "tokens_per_query": prompt_tokens}
            variants: list[tuple[str, list[str], dict[str, Any]]] = [("icl", result.predictions, figures)]
            if result.calibrated is not None:
                # One pass scored both; the raw answer alone needs only the query prompt, so its share of the
                # measured time is the share of its tokens (scoring time grows with prompt tokens).
                calibrated = {**figures, "tokens_per_query": prompt_tokens + calibration_tokens}
                share = prompt_tokens / (prompt_tokens + calibration_tokens) if prompt_tokens else 1.0
                raw = {**figures, "infer_seconds_per_record": per_record * share,
                       "infer_time_note": "share of the calibrated pass by prompt tokens"}
                variants = [("icl", result.predictions, raw), ("icl-calibrated", result.calibrated, calibrated)]
            for method, predictions, figures in variants:
                evaluation = _evaluation(request.task, task_config, test, predictions, seconds, k=k,
                                         **output_leakage(request.task, task_config, train, predictions))
                run_ids.append(_register_baseline(ws, method, request, snapshot, stored, figures, evaluation))
                emit("run", run_id=run_ids[-1], method=method, primary_metric=evaluation["primary_metric"])
    return run_ids


def _icl_tokens_per_query(tokenizer: Any, task: str, task_config: TaskConfig, train: list[dict[str, Any]],
                          test: list[dict[str, Any]], config: Any) -> tuple[float, float]:
    """Mean prompt tokens the model reads per test record: (query prompt, content-free calibration prompts)."""
    from appliance.evaluate.icl import ICLPrompts
    from appliance.evaluate.label_scoring import label_replies
    from appliance.evaluate.prompts import CONTENT_FREE_INPUTS

    if not test:
        return 0.0, 0.0
    name = get_task(task).name
    if name == "classify" and task_config.label_set:
        reserve = max(len(r) for r in label_replies(tokenizer, task_config.label_set).tokens)
    else:
        reserve = 128
    prompts = ICLPrompts(name, tokenizer, task_config, train, config, reserve=reserve)
    total, calibration = 0, 0
    for i, record in enumerate(test):
        total += len(prompts.prompt(record))
        # With examples, each record's content-free prompts keep its examples, so each is scored anew;
        # zero-shot, they are the same for every record and scored once for the pass.
        if name == "classify" and config.calibrate and (config.k > 0 or i == 0):
            calibration += sum(len(prompts.content_free(record, text)) for text in CONTENT_FREE_INPUTS)
    return total / len(test), calibration / len(test)


def run_tfidf_baseline(ws: Workspace, request: CompareRequest, snapshot: str, *,
                       event: Event | None = None, should_stop: Callable[[], bool] | None = None,
                       skipped_passes: list[dict[str, Any]] | None = None) -> str:
    """TF-IDF + logistic regression fitted on the training split, scored on the test split (in seconds,
    so ``should_stop`` is not consulted and no pass is ever skipped)."""
    from appliance.evaluate.classical import ClassicalConfig, fit_predict

    emit = event or (lambda name, **fields: None)
    emit("stage", stage="tfidf: fitting and scoring", method="tfidf", phase="fitting and scoring")
    train = load_split(ws, snapshot, "train")
    test = load_split(ws, snapshot, "test")[: request.max_test or None]
    task_config = _task_config(request.task, request.task_config, train + test)
    label_field = task_config.label_field or get_task(request.task).default_label_field or "label"
    config = ClassicalConfig(text_field=task_config.text_field)
    started = time.monotonic()
    predictions, info = fit_predict(train, test, label_field, config)
    seconds = time.monotonic() - started
    figures = {"train_seconds": round(info["fit_seconds"], 3), "steps": None, "features": info["features"],
               "trainable_params": info["features"] * max(1, len(info["classes"])), "train_size": info["train_size"],
               "infer_seconds_per_record": info["predict_seconds"] / max(1, len(test)), "tokens_per_query": 0}
    extra: dict[str, Any] = {}
    if request.cv_folds:
        emit("stage", stage=f"TF-IDF baseline: {request.cv_folds}-fold cross-validation", method="tfidf",
             phase="cross-validation")
        everything = train + load_split(ws, snapshot, "validation") + test
        extra["cross_validation"] = cross_validate_tfidf(everything, label_field, task_config, config,
                                                         request.cv_folds, request.split_seed)
    evaluation = _evaluation(request.task, task_config, test, predictions, seconds, **extra)
    run_id = _register_baseline(ws, "tfidf", request, snapshot,
                                {"classical": config.to_dict(), "task": asdict(task_config)}, figures, evaluation)
    emit("run", run_id=run_id, method="tfidf", primary_metric=evaluation["primary_metric"])
    return run_id


def run_tuned(ws: Workspace, request: CompareRequest, method: str, *, event: Event | None = None,
              should_stop: Callable[[], bool] | None = None) -> str | None:
    """One tuning run under the request's budget, then its evaluation. None when it was cancelled."""
    from appliance.evaluate.service import evaluate_run
    from appliance.tune.service import TuneRequest, run_tune, start_run

    emit = event or (lambda name, **fields: None)
    tune = TuneRequest(dataset=request.dataset, task=request.task, method=method, base=request.base,
                       overrides={**request.overrides, **request.method_overrides.get(method, {})},
                       task_config=dict(request.task_config),
                       split_seed=request.split_seed, allow_unreviewed=request.allow_unreviewed,
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
    scoring = PhaseProgress(emit, method, "evaluating on the test records", run_id=run_id)
    evaluation = evaluate_run(ws, run_id, limit=request.max_test, audit_candidates=request.audit_candidates,
                              progress=scoring)
    emit("run", run_id=run_id, method=method, primary_metric=evaluation["primary_metric"])
    return run_id


def run_comparison(ws: Workspace, request: CompareRequest, *, event: Event | None = None,
                   should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Every requested method on one snapshot; returns the run ids in cost order and the snapshot."""
    ws.require("admin", "informaticist")
    if base_models.registered(ws).get(request.base) is None:
        raise InvalidInput(f"base model '{request.base}' is not in this workspace; add it with 'appliance models add'")
    snapshot = create_snapshot(ws, SnapshotSpec(request.dataset, seed=request.split_seed,
                                                allow_unreviewed=request.allow_unreviewed))
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
        if made is None:
            stopped = True
            break
        run_ids += made
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
            "budget_seconds": request.get("budget_seconds") if method_of_run(run.method).tuned else None,
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
        notes = [f"In-context {s['k']}-shot pass skipped: estimated at {_minutes(s['estimate_s'])} on this machine, "
                 f"more than was left of the {_minutes(s['budget_s'])} budget." for s in outcome["skipped_icl"]]
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
