"""Evaluating a tuned run on the workspace: held-out metrics, forgetting, stored with the run.

The run's base model and artifact are unpacked into a private scratch directory; the test split of
the run's own snapshot is scored exactly as the task defines (classification by label likelihood,
never by parsing); general-text perplexity is measured before (base) and after (tuned) for the
forgetting check. The evaluation is stored on the run, which becomes ``evaluated`` (audited).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from appliance import base_models, registry
from appliance.data.snapshots import load_split
from appliance.data.tasks import TaskConfig
from appliance.errors import ApplianceError
from appliance.jobs import JobContext, register_job
from appliance.workspace import Workspace


def _task_config(config: dict[str, Any]) -> TaskConfig:
    values = dict(config.get("task") or {})
    if "label_set" in values:
        values["label_set"] = tuple(values["label_set"])
    if "extract_fields" in values:
        values["extract_fields"] = tuple(values["extract_fields"])
    return TaskConfig(**values)


def evaluate_run(ws: Workspace, run_id: str, *, limit: int | None = None,
                 progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Score run ``run_id`` on its snapshot's test split and store the evaluation. Returns it."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from appliance.evaluate.forgetting import forgetting_summary, general_perplexity
    from appliance.evaluate.metrics import PRIMARY_METRICS
    from appliance.evaluate.predict import evaluate_model
    from appliance.tune.loading import load_tokenizer

    ws.require("admin", "informaticist", "reviewer")
    run = registry._run(ws, run_id)
    if run["status"] != "done":
        raise ApplianceError(f"run '{run_id}' is {run['status']}; only finished runs can be evaluated")
    artifact = ws.read().execute("SELECT artifact_blob FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]
    task_config = _task_config(run["config"] or {})
    records = load_split(ws, run["snapshot"], "test")[:limit] if limit else load_split(ws, run["snapshot"], "test")
    if not records:
        raise ApplianceError(f"snapshot '{run['snapshot']}' has no test records")
    started = time.monotonic()
    with ws.scratch() as scratch, torch.no_grad():
        base_dir = base_models.hf_dir(ws, run["base"], scratch)
        tokenizer = load_tokenizer(base_dir)
        base_models.fix_chatml_special_tokens(tokenizer)
        base = AutoModelForCausalLM.from_pretrained(base_dir, local_files_only=True)
        base.eval()
        before = general_perplexity(base, tokenizer)
        artifact_dir = ws.get_dir(artifact, scratch / "artifact")
        model: Any
        if run["method"] == "full":
            del base
            model = AutoModelForCausalLM.from_pretrained(artifact_dir, local_files_only=True)
        else:
            model = PeftModel.from_pretrained(base, artifact_dir)
        model.eval()
        evaluation = evaluate_model(model, tokenizer, run["task"], task_config, records, progress=progress)
        after = general_perplexity(model, tokenizer)
    primary = PRIMARY_METRICS[run["task"]]
    metrics = evaluation.metrics
    result = {
        "run_id": run_id, "split": "test", "records": len(records), "metrics": metrics,
        "metric_name": primary.key, "primary_metric": metrics.get(primary.key),
        "forgetting": forgetting_summary(before, after),
        # Canary exposure needs canaries planted before training; none were in this run.
        "exposure": {"measured": False, "reason": "no canaries were planted in this run's training data"},
        "seconds": round(time.monotonic() - started, 1),
        "generation": {"classify": "label log-likelihood, no sampling", "other": "greedy"},
    }
    registry.record_evaluation(ws, run_id, result)
    return result


@register_job("evaluate")
def evaluate_job(ctx: JobContext) -> dict[str, Any]:
    def progress(done: int, total: int, *args: Any, **kwargs: Any) -> None:
        ctx.progress(done, total)
        ctx.check_stop()

    return evaluate_run(ctx.ws, ctx.params["run"], limit=ctx.params.get("limit"), progress=progress)
