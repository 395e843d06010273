"""The linear-probe baseline of a comparison: logistic regression on the frozen base model's pooled
hidden states, fitted on the training split and scored on the test split (see `appliance.evaluate.probe`).
Registered as method `probe` in `appliance.tune.methods.probe`, which names this runner."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from appliance.compare.baselines import baseline_evaluation, register_baseline, task_config_for
from appliance.compare.request import CompareRequest, Event
from appliance.data.snapshots import load_split
from appliance.data.tasks import get_task
from appliance.runtime.bases import open_base
from appliance.runtime.loading import load_causal_lm
from appliance.workspace import Workspace


def run_probe_baseline(ws: Workspace, request: CompareRequest, snapshot: str, *, event: Event | None = None,
                       should_stop: Callable[[], bool] | None = None,
                       skipped_passes: list[dict[str, Any]] | None = None) -> str | None:
    """Encode the training and test notes with the base model, fit, score; one registry run. None when
    cancelled before it started (encoding a split is one pass of minutes at most)."""
    import torch

    from appliance.evaluate.probe import ProbeConfig, fit_predict

    emit = event or (lambda name, **fields: None)
    if should_stop and should_stop():
        return None
    train = load_split(ws, snapshot, "train")
    test = load_split(ws, snapshot, "test")[: request.max_test or None]
    task_config = task_config_for(request.task, request.task_config, train + test)
    label_field = task_config.label_field or get_task(request.task).default_label_field or "label"
    config = ProbeConfig(text_field=task_config.text_field)
    with ws.scratch() as scratch, torch.no_grad():
        base_dir, tokenizer = open_base(ws, request.base, scratch, progress=lambda m: emit("stage", stage=m))
        model = load_causal_lm(base_dir)
        model.eval()
        emit("stage", stage="probe: encoding the notes and fitting", method="probe", phase="encoding and fitting")
        started = time.monotonic()
        predictions, info = fit_predict(model, tokenizer, train, test, label_field, config,
                                        progress=lambda done, total: emit("progress", step=done, total=total))
        seconds = time.monotonic() - started
        tokens = [min(config.max_tokens, len(tokenizer(str(r.get(config.text_field) or ""),
                                                       add_special_tokens=False)["input_ids"])) for r in test]
    figures = {"train_seconds": round(info["fit_seconds"], 3), "steps": None, "features": info["features"],
               "trainable_params": (info["features"] + 1) * max(1, len(info["classes"])),
               "train_size": info["train_size"],
               "infer_seconds_per_record": info["predict_seconds"] / max(1, len(test)),
               "tokens_per_query": sum(tokens) / max(1, len(tokens))}
    evaluation = baseline_evaluation(request.task, task_config, test, predictions, seconds)
    run_id = register_baseline(ws, "probe", request, snapshot,
                               {"probe": config.to_dict(), "task": asdict(task_config)}, figures, evaluation)
    emit("run", run_id=run_id, method="probe", primary_metric=evaluation["primary_metric"])
    return run_id
