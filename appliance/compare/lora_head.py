"""LoRA with a classification head in a comparison: trained on the training split within the request's
budget, scored on the test split, its adapter and head sealed as a blob (named in the run's figures as
`artifact_blob`), one registry run (see `appliance.evaluate.lora_head`). Registered as method `lora-head`
in `appliance.tune.methods.lora_head`.

Training settings: the request's shared `overrides` that this method also has (seed, epochs, max_steps,
batch_size, lora_r, lora_alpha, lora_dropout, dtype; max_seq_len as max_tokens) apply; its learning rate
is its own (a new head
learns at a higher rate than adapters under a generative loss).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from appliance.compare.baselines import baseline_evaluation, register_baseline, task_config_for
from appliance.compare.request import CompareRequest, Event, PhaseProgress, PhaseStopped
from appliance.data.snapshots import load_split
from appliance.data.tasks import get_task
from appliance.runtime.bases import open_base
from appliance.workspace import Workspace

METHOD = "lora-head"
SHARED = ("seed", "epochs", "max_steps", "batch_size", "lora_r", "lora_alpha", "lora_dropout", "dtype")


def head_config(request: CompareRequest, text_field: str) -> Any:
    from appliance.evaluate.lora_head import HeadConfig

    shared = {k: v for k, v in request.overrides.items() if k in SHARED and v is not None}
    if request.overrides.get("max_seq_len"):
        shared["max_tokens"] = request.overrides["max_seq_len"]
    return HeadConfig.from_mapping({**shared, "text_field": text_field, "budget_seconds": request.budget_seconds})


def run_lora_head(ws: Workspace, request: CompareRequest, snapshot: str, *, event: Event | None = None,
                  should_stop: Callable[[], bool] | None = None,
                  skipped_passes: list[dict[str, Any]] | None = None) -> str | None:
    """Train, score, seal, register; returns the run id, or None when cancelled (nothing is registered)."""
    import torch

    from appliance.evaluate import lora_head

    emit = event or (lambda name, **fields: None)
    if should_stop and should_stop():
        return None
    train = load_split(ws, snapshot, "train")[: request.max_train_examples or None]
    test = load_split(ws, snapshot, "test")[: request.max_test or None]
    task_config = task_config_for(request.task, request.task_config, train + test)
    label_field = task_config.label_field or get_task(request.task).default_label_field or "label"
    classes = sorted({str(r.get(label_field) or "") for r in train} | set(task_config.label_set or ()))
    classes = [c for c in classes if c]
    config = head_config(request, task_config.text_field)
    with ws.scratch() as scratch:
        base_dir, tokenizer = open_base(ws, request.base, scratch, progress=lambda m: emit(
            "stage", stage=f"{METHOD}: {m}", method=METHOD, phase="loading the base model"))
        model = lora_head.build_model(base_dir, len(classes), lora_head.pad_id(tokenizer), config)
        training = PhaseProgress(emit, METHOD, "training")

        def trained(step: int, total: int, loss: float | None = None) -> None:
            elapsed = time.monotonic() - training.started
            eta = elapsed / step * (total - step) if step else None
            if config.budget_seconds is not None:
                eta = min(eta if eta is not None else config.budget_seconds, config.budget_seconds - elapsed)
            training.relay("progress", step=step, total=total, loss=loss,
                           eta_s=None if eta is None else round(max(0.0, eta), 1))

        info = lora_head.train(model, tokenizer, train, label_field, classes, config, progress=trained,
                               should_stop=should_stop)
        if info["stopped_by"] == "cancelled":
            return None
        scoring = PhaseProgress(emit, METHOD, "evaluating on the test records", should_stop=should_stop)
        started = time.monotonic()
        try:
            with torch.no_grad():
                predictions = lora_head.predict(model, tokenizer, test, classes, config, progress=scoring)
        except PhaseStopped:
            return None  # cancelled between batches: nothing is registered
        infer_seconds = time.monotonic() - started
        tokens = [len(ids) for ids in lora_head.encode(tokenizer, [str(r.get(config.text_field) or "")
                                                                   for r in test], config.max_tokens)]
        emit("stage", stage=f"{METHOD}: sealing the adapter and head", method=METHOD, phase="sealing")
        artifact = scratch / "artifact"
        model.save_pretrained(artifact)
        (artifact / "classes.json").write_text(json.dumps({"classes": classes, "label_field": label_field}))
        blob = ws.put_dir(artifact, "classifier", "baseline.artifact", details={"method": METHOD})
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    figures = {"train_seconds": info["train_seconds"], "steps": info["steps"], "epochs": info["epochs"],
               "planned_steps": info["planned_steps"], "stopped_by": info["stopped_by"],
               "losses": info["losses"], "tokens_per_s": info["tokens_per_s"], "trainable_params": trainable,
               "train_size": info["train_size"], "class_weights": info["class_weights"],
               "infer_seconds_per_record": infer_seconds / max(1, len(test)),
               "tokens_per_query": sum(tokens) / max(1, len(tokens)),
               "artifact_blob": blob.blob_id, "artifact_bytes": blob.size}
    evaluation = baseline_evaluation(request.task, task_config, test, predictions,
                                     info["train_seconds"] + infer_seconds, inference_seconds=round(infer_seconds, 3))
    evaluation["exposure"] = {"measured": False, "reason": "a classifier does not generate text"}
    run_id = register_baseline(ws, METHOD, request, snapshot,
                               {"lora_head": config.to_dict(), "task": asdict(task_config), "classes": classes},
                               figures, evaluation)
    emit("run", run_id=run_id, method=METHOD, primary_metric=evaluation["primary_metric"])
    return run_id
