"""Evaluating a tuned run on the workspace: held-out metrics, forgetting, stored with the run.

The run's base model and artifact are unpacked into a private scratch directory; the test split of
the run's own snapshot is scored exactly as the task defines (classification by label likelihood,
never by parsing); general-text perplexity is measured before (base) and after (tuned) for the
forgetting check. The evaluation is stored on the run, which becomes ``evaluated`` (audited).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from appliance import registry
from appliance.catalog import runs
from appliance.data.snapshots import load_split
from appliance.data.tasks import TaskConfig
from appliance.errors import ApplianceError
from appliance.evaluate.privacy import DEFAULT_CANDIDATES
from appliance.jobs import JobContext, register_job
from appliance.runtime.bases import open_base
from appliance.runtime.loading import apply_adapter, load_causal_lm
from appliance.workspace import Workspace


def _task_config(config: dict[str, Any]) -> TaskConfig:
    values = dict(config.get("task") or {})
    if "label_set" in values:
        values["label_set"] = tuple(values["label_set"])
    if "extract_fields" in values:
        values["extract_fields"] = tuple(values["extract_fields"])
    return TaskConfig(**values)


def evaluate_run(ws: Workspace, run_id: str, *, limit: int | None = None,
                 progress: Callable[..., None] | None = None,
                 audit_candidates: int = DEFAULT_CANDIDATES) -> dict[str, Any]:
    """Score run ``run_id`` on its snapshot's test split and store the evaluation. Returns it."""
    import torch

    from appliance.evaluate.forgetting import forgetting_summary, general_perplexity
    from appliance.evaluate.metrics import PRIMARY_METRICS
    from appliance.evaluate.predict import evaluate_model
    from appliance.tune.methods import method_of_run
    from appliance.tune.methods.registry import resolve

    ws.require("admin", "informaticist", "reviewer")
    run = runs.get(ws, run_id)
    if run.status != "done":
        raise ApplianceError(f"run '{run_id}' is {run.status}; only finished runs can be evaluated")
    method = method_of_run(run.method)
    if method.evaluator is not None:  # a method with its own way of being scored (e.g. a classifier head)
        scored: dict[str, Any] = resolve(method.evaluator)(ws, run, limit=limit, progress=progress)
        return scored
    artifact = run.artifact_blob
    if artifact is None:
        raise ApplianceError(f"run '{run_id}' is a {run.method} baseline with no trained weights; it was evaluated "
                             "when it ran (re-run it with 'appliance compare')")
    task_config = _task_config(run.config)
    records = load_split(ws, run.snapshot_id, "test")[:limit] if limit else load_split(ws, run.snapshot_id, "test")
    if not records:
        raise ApplianceError(f"snapshot '{run.snapshot_id}' has no test records")
    started = time.monotonic()
    with ws.scratch() as scratch, torch.no_grad():
        base_dir, tokenizer = open_base(ws, run.base_model, scratch)
        base = load_causal_lm(base_dir)
        base.eval()
        before = general_perplexity(base, tokenizer)
        artifact_dir = ws.get_dir(artifact, scratch / "artifact")
        model: Any
        if method.artifact == "full":
            del base
            model = load_causal_lm(artifact_dir)
        else:
            model = apply_adapter(base, artifact_dir)
        model.eval()
        scoring_started = time.monotonic()
        evaluation = evaluate_model(model, tokenizer, run.task, task_config, records, progress=progress)
        inference_seconds = time.monotonic() - scoring_started
        tokens_per_query = _tokens_per_query(tokenizer, run.task, task_config, records)
        after = general_perplexity(model, tokenizer)
        request = run.config.get("request") or {}
        exposure = _exposure(model, tokenizer, request, audit_candidates)
    primary = PRIMARY_METRICS[run.task]
    metrics = evaluation.metrics
    result = {
        "run_id": run_id, "split": "test", "records": len(records), "metrics": metrics,
        "metric_name": primary.key, "primary_metric": metrics.get(primary.key),
        "forgetting": forgetting_summary(before, after),
        "exposure": exposure,
        "slices": output_slices(run.task, task_config, records, evaluation.predictions),
        **output_leakage(run.task, task_config, load_split(ws, run.snapshot_id, "train"), evaluation.predictions),
        "seconds": round(time.monotonic() - started, 1),
        "inference_seconds": round(inference_seconds, 3), "tokens_per_query": tokens_per_query,
        "generation": {"classify": "label log-likelihood, no sampling", "other": "greedy"},
    }
    if run.task == "classify":
        # The labels predicted on records[i] of the test split (labels only, never text): what serving the
        # run must reproduce, checked by the serving parity test and the demo.
        result.update(predictions=list(evaluation.predictions), calibrated=False)
    registry.record_evaluation(ws, run_id, result)
    return result


def evaluate_head_run(ws: Workspace, run: Any, *, limit: int | None = None,
                      progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """A LoRA-with-head run: its sealed adapter and head on the base model, scored on the test split.

    The evaluator the `lora-head` registration names; the run carries `artifact_blob` in its figures and
    `lora_head`, `classes` and `task` in its config, whether a comparison or `appliance tune` trained it."""
    from appliance.evaluate import lora_head
    from appliance.evaluate.metrics import PRIMARY_METRICS, MetricInputs, compute
    from appliance.evaluate.predict import references

    blob = (run.result or {}).get("artifact_blob")
    if not blob:
        raise ApplianceError(f"run '{run.run_id}' has no sealed adapter and head to evaluate")
    task_config = _task_config(run.config)
    config = lora_head.HeadConfig.from_mapping(run.config.get("lora_head") or {})
    classes = [str(c) for c in run.config.get("classes") or ()]
    test = load_split(ws, run.snapshot_id, "test")
    records = test[:limit] if limit else test
    if not records:
        raise ApplianceError(f"snapshot '{run.snapshot_id}' has no test records")
    started = time.monotonic()
    with ws.scratch() as scratch:
        base_dir, tokenizer = open_base(ws, run.base_model, scratch)
        artifact_dir = ws.get_dir(blob, scratch / "artifact")
        model = lora_head.load_model(base_dir, artifact_dir, len(classes), lora_head.pad_id(tokenizer), config)
        scoring_started = time.monotonic()
        predictions = lora_head.predict(model, tokenizer, records, classes, config, progress=progress)
        inference_seconds = time.monotonic() - scoring_started
        tokens = lora_head.encode(tokenizer, [str(r.get(config.text_field) or "") for r in records], config.max_tokens)
    metrics = compute(run.task, MetricInputs(predictions=predictions, references=references(run.task, records,
                                                                                            task_config),
                                             labels=task_config.label_set))
    primary = PRIMARY_METRICS[run.task]
    result = {
        "run_id": run.run_id, "split": "test", "records": len(records), "metrics": metrics,
        "metric_name": primary.key, "primary_metric": metrics.get(primary.key),
        "exposure": {"measured": False, "reason": "a classifier does not generate text"},
        "slices": output_slices(run.task, task_config, records, predictions),
        "seconds": round(time.monotonic() - started, 1), "inference_seconds": round(inference_seconds, 3),
        "tokens_per_query": sum(len(t) for t in tokens) / len(tokens),
        "generation": {"classify": "a classification head over the note, no sampling"},
        "predictions": list(predictions), "calibrated": False,
    }
    registry.record_evaluation(ws, run.run_id, result)
    return result


def _tokens_per_query(tokenizer: Any, task: str, task_config: TaskConfig, records: list[dict[str, Any]]
                      ) -> float | None:
    """Mean prompt tokens per test record, as the model reads them when answering (a cost figure)."""
    from appliance.data.tasks import build_prompt, get_task

    if not records or not get_task(task).supervised:
        return None
    return sum(len(build_prompt(task, r, tokenizer, task_config)) for r in records) / len(records)


def _exposure(model: Any, tokenizer: Any, request: dict[str, Any], candidates: int) -> dict[str, Any]:
    """Canary exposure of the canaries planted in training (regenerated from the run's seed)."""
    from appliance.data.canaries import make_canaries
    from appliance.evaluate.privacy import DEFAULT_THRESHOLD_BITS, audit

    if not request.get("canaries"):
        return {"measured": False, "reason": "no canaries were planted in this run's training data"}
    canaries = make_canaries(int(request["canaries"]), int(request.get("canary_seed") or 0))
    threshold = min(DEFAULT_THRESHOLD_BITS, math.log2(candidates) - 0.5)
    result = audit(model, tokenizer, canaries, candidates=candidates, threshold_bits=threshold,
                   seed=int(request.get("canary_seed") or 0))
    return {"measured": True, "repeats": request.get("canary_repeats", 1), **result}


def output_slices(task: str, task_config: TaskConfig, records: list[dict[str, Any]], predictions: list[str]
            ) -> dict[str, Any]:
    from appliance.evaluate.predict import references
    from appliance.evaluate.slices import task_slices

    if not predictions:
        return {}
    return task_slices(task, records, predictions, references(task, records, task_config),
                       labels=task_config.label_set, fields=task_config.extract_fields)


def output_leakage(task: str, task_config: TaskConfig, train: list[dict[str, Any]], predictions: list[str]
                   ) -> dict[str, Any]:
    """Generated test outputs scanned for identifiers of the training notes (classify replies are labels)."""
    from appliance.evaluate.privacy import scan_outputs, surrogate_strings

    if task == "classify" or not predictions:
        return {}
    found = surrogate_strings(str(r.get(task_config.text_field) or "") for r in train)
    return {"leakage": scan_outputs(predictions, found)}


@register_job("evaluate")
def evaluate_job(ctx: JobContext) -> dict[str, Any]:
    def progress(done: int, total: int, *args: Any, **kwargs: Any) -> None:
        ctx.progress(done, total)
        ctx.check_stop()

    return evaluate_run(ctx.ws, ctx.params["run"], limit=ctx.params.get("limit"), progress=progress)
