"""The baselines a comparison runs beside the tuned methods: in-context learning (the base model
prompted zero-shot and with k examples) and TF-IDF + logistic regression. Each becomes a registry run
with its evaluation, like a tuned run, so gates, approval and the report treat them alike.

In-context learning trains nothing but pays its scoring time on every query, so its passes are
timed on their first records and skipped when they would overrun the comparison's budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from appliance import registry
from appliance.catalog import runs
from appliance.compare.crossval import cross_validate_tfidf
from appliance.compare.request import CompareRequest, Event, PhaseProgress, PhaseStopped
from appliance.data.snapshots import load_split
from appliance.data.tasks import TaskConfig, get_task
from appliance.runtime.bases import open_base
from appliance.runtime.loading import load_causal_lm
from appliance.tune.methods import method_of_run
from appliance.workspace import Workspace


def task_config_for(task: str, request_task: dict[str, Any], records: list[dict[str, Any]]) -> TaskConfig:
    """The task's settings for a baseline, resolved as a tuning run resolves them (the tuning service is
    imported here, on first use, so that reading a comparison does not load it)."""
    from appliance.tune import service as tune_service

    return tune_service.task_config_for(task, request_task, records)


def register_baseline(ws: Workspace, method: str, request: CompareRequest, snapshot: str,
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


def baseline_evaluation(task: str, task_config: TaskConfig, records: list[dict[str, Any]], predictions: list[str],
                        seconds: float, **extra: Any) -> dict[str, Any]:
    """The evaluation stored with a baseline run: metrics, slices and timing of its test predictions."""
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
    task_config = task_config_for(request.task, request.task_config, train + test)
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
            phase = PhaseProgress(emit, name, "scoring test records", should_stop=should_stop)
            started = time.monotonic()
            try:
                result = run_icl(model, tokenizer, request.task, task_config, train, test, config, progress=phase)
            except PhaseStopped:
                break  # cancelled between records: this pass is not registered
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
                evaluation = baseline_evaluation(request.task, task_config, test, predictions, seconds, k=k,
                                         **output_leakage(request.task, task_config, train, predictions))
                run_ids.append(register_baseline(ws, method, request, snapshot, stored, figures, evaluation))
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
    task_config = task_config_for(request.task, request.task_config, train + test)
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
    evaluation = baseline_evaluation(request.task, task_config, test, predictions, seconds, **extra)
    run_id = register_baseline(ws, "tfidf", request, snapshot,
                               {"classical": config.to_dict(), "task": asdict(task_config)}, figures, evaluation)
    emit("run", run_id=run_id, method="tfidf", primary_metric=evaluation["primary_metric"])
    return run_id


def skipped_notes(skipped: Sequence[dict[str, Any]]) -> list[str]:
    """The report's sentence for each in-context pass ``run_icl_baseline`` skipped."""
    return [f"In-context {s['k']}-shot pass skipped: estimated at {_minutes(s['estimate_s'])} on this machine, "
            f"more than was left of the {_minutes(s['budget_s'])} budget." for s in skipped]
