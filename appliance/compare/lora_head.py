"""LoRA with a classification head as a run: in a comparison (`run_lora_head`), trained on the training
split within the request's budget, scored on the test split, its adapter and head sealed as a blob (named
in the run's figures as `artifact_blob`), one registry run (see `appliance.evaluate.lora_head`); or by
`appliance tune --method lora-head` (`train_head_run`), the same training and sealing on a run that
`appliance evaluate` then scores. Registered as method `lora-head` in `appliance.tune.methods.lora_head`.

Training settings: the shared `overrides` of the comparison or the tune request that this method also
has (seed, epochs, max_steps, batch_size, lora_r, lora_alpha, lora_dropout, dtype; max_seq_len as
max_tokens) apply, and so does the wall-clock budget; its learning rate is its own (a new head learns at
a higher rate than adapters under a generative loss).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from appliance.compare.baselines import baseline_evaluation, register_baseline, task_config_for
from appliance.compare.request import CompareRequest, Event, PhaseProgress, PhaseStopped
from appliance.data.snapshots import load_split
from appliance.data.tasks import TaskConfig, get_task
from appliance.errors import InvalidInput
from appliance.runtime.bases import open_base
from appliance.workspace import Workspace

METHOD = "lora-head"
SHARED = ("seed", "epochs", "max_steps", "batch_size", "lora_r", "lora_alpha", "lora_dropout", "dtype")


def head_config(request: CompareRequest | Any, text_field: str) -> Any:
    """The head's settings from a comparison's or a tune request's `overrides` and `budget_seconds`."""
    from appliance.evaluate.lora_head import HeadConfig

    shared = {k: v for k, v in request.overrides.items() if k in SHARED and v is not None}
    if request.overrides.get("max_seq_len"):
        shared["max_tokens"] = request.overrides["max_seq_len"]
    return HeadConfig.from_mapping({**shared, "text_field": text_field, "budget_seconds": request.budget_seconds})


def tune_defaults() -> dict[str, Any]:
    """The head's default settings under the `TuneConfig` names a tune request's `overrides` use for them
    (the shared settings, learning_rate, and max_seq_len for max_tokens): what `appliance tune --method
    lora-head` trains with when nothing is overridden."""
    from appliance.evaluate.lora_head import HeadConfig

    config = HeadConfig()
    return {**{k: getattr(config, k) for k in SHARED}, "learning_rate": config.learning_rate,
            "max_seq_len": config.max_tokens}


def check_tune_overrides(overrides: dict[str, Any]) -> None:
    """Raise UsageError when a tune request's `overrides` make no valid head settings (as `train_head_run`
    reads them)."""
    from types import SimpleNamespace

    config = head_config(SimpleNamespace(overrides=overrides, budget_seconds=None), "text")
    if overrides.get("learning_rate"):
        replace(config, learning_rate=float(overrides["learning_rate"]))


def head_classes(task: str, task_config: TaskConfig, train: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The label column and the classes the head scores: the training split's labels and the label set."""
    label_field = task_config.label_field or get_task(task).default_label_field or "label"
    classes = sorted({str(r.get(label_field) or "") for r in train} | set(task_config.label_set or ()))
    return label_field, [c for c in classes if c]


def _fit(ws: Workspace, base: str, train: list[dict[str, Any]], label_field: str, classes: list[str], config: Any,
         scratch: Any, *, stage: Callable[[str, str], None], progress: Callable[..., None],
         should_stop: Callable[[], bool] | None) -> tuple[Any, Any, dict[str, Any]]:
    """Build the adapters and head on the base model and train them; returns (model, tokenizer, figures).

    `stage(text, phase)` announces loading ("loading the base model") and then "training", right before
    the first step; `progress(step=, total=, loss=, eta_s=)` follows each step, the ETA bounded by the budget.
    """
    from appliance.evaluate import lora_head

    base_dir, tokenizer = open_base(ws, base, scratch, progress=lambda m: stage(m, "loading the base model"))
    model = lora_head.build_model(base_dir, len(classes), lora_head.pad_id(tokenizer), config)
    stage("training", "training")
    started = time.monotonic()

    def trained(step: int, total: int, loss: float | None = None) -> None:
        elapsed = time.monotonic() - started
        eta = elapsed / step * (total - step) if step else None
        if config.budget_seconds is not None:
            eta = min(eta if eta is not None else config.budget_seconds, config.budget_seconds - elapsed)
        progress(step=step, total=total, loss=loss, eta_s=None if eta is None else round(max(0.0, eta), 1))

    info = lora_head.train(model, tokenizer, train, label_field, classes, config, progress=trained,
                           should_stop=should_stop)
    return model, tokenizer, info


def _seal(ws: Workspace, model: Any, classes: list[str], label_field: str, scratch: Any, action: str,
          object_ids: list[str]) -> Any:
    """The adapters, head and class names sealed as one encrypted blob (kind "classifier")."""
    artifact = scratch / "artifact"
    model.save_pretrained(artifact)
    (artifact / "classes.json").write_text(json.dumps({"classes": classes, "label_field": label_field}))
    return ws.put_dir(artifact, "classifier", action, object_ids, details={"method": METHOD})


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
    label_field, classes = head_classes(request.task, task_config, train)
    config = head_config(request, task_config.text_field)
    phases: dict[str, PhaseProgress] = {}

    def stage(text: str, phase: str) -> None:
        if phase == "training":
            phases["training"] = PhaseProgress(emit, METHOD, "training")
        else:
            emit("stage", stage=f"{METHOD}: {text}", method=METHOD, phase=phase)

    with ws.scratch() as scratch:
        model, tokenizer, info = _fit(ws, request.base, train, label_field, classes, config, scratch, stage=stage,
                                      progress=lambda **f: phases["training"].relay("progress", **f),
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
        blob = _seal(ws, model, classes, label_field, scratch, "baseline.artifact", [])
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    figures = {**_figures(info, trainable, blob),
               "infer_seconds_per_record": infer_seconds / max(1, len(test)),
               "tokens_per_query": sum(tokens) / max(1, len(tokens))}
    evaluation = baseline_evaluation(request.task, task_config, test, predictions,
                                     info["train_seconds"] + infer_seconds, inference_seconds=round(infer_seconds, 3))
    evaluation["exposure"] = {"measured": False, "reason": "a classifier does not generate text"}
    run_id = register_baseline(ws, METHOD, request, snapshot,
                               {"lora_head": config.to_dict(), "task": asdict(task_config), "classes": classes},
                               figures, evaluation)
    emit("run", run_id=run_id, method=METHOD, primary_metric=evaluation["primary_metric"])
    return run_id


def _figures(info: dict[str, Any], trainable: int, blob: Any) -> dict[str, Any]:
    return {"train_seconds": info["train_seconds"], "steps": info["steps"], "epochs": info["epochs"],
            "planned_steps": info["planned_steps"], "stopped_by": info["stopped_by"],
            "losses": info["losses"], "tokens_per_s": info["tokens_per_s"], "trainable_params": trainable,
            "train_size": info["train_size"], "class_weights": info["class_weights"],
            "artifact_blob": blob.blob_id, "artifact_bytes": blob.size}


def train_head_run(ws: Workspace, run_id: str, *, event: Event | None = None,
                   should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """`appliance tune --method lora-head`: train run `run_id` (made by `start_run`) and seal its adapter and head.

    The run ends ``done``/``trained`` with the head's settings, classes and task settings in its config and
    `artifact_blob` in its figures: what `appliance evaluate` (`evaluate_head_run`) reads. Cancelled, it
    ends ``cancelled`` with nothing sealed. No checkpoints are kept: training is minutes, and a killed run
    is started again rather than resumed. Raises `InvalidInput` when the training split has under two classes.
    """
    from appliance.catalog import runs
    from appliance.tune.service import TuneRequest, library_versions, task_config_for

    emit = event or (lambda name, **fields: None)
    run = runs.get(ws, run_id)
    request = TuneRequest(**run.config["request"])
    started = time.monotonic()
    train = load_split(ws, run.snapshot_id, "train")[: request.max_train_examples or None]
    everything = train + load_split(ws, run.snapshot_id, "validation") + load_split(ws, run.snapshot_id, "test")
    task_config = task_config_for(request.task, request.task_config, everything)
    label_field, classes = head_classes(request.task, task_config, train)
    present = {str(r.get(label_field)) for r in train if r.get(label_field) not in (None, "")}
    if len(present) < 2:  # a head that never saw a second class can only ever answer the first
        raise InvalidInput(f"the training split has {len(present)} class in column '{label_field}'; a classification "
                           "head needs at least two: check --label-field or add notes of another class")
    config = head_config(request, task_config.text_field)
    if request.overrides.get("learning_rate"):  # asked for this run alone (a comparison's is shared, so not read)
        config = replace(config, learning_rate=float(request.overrides["learning_rate"]))
    with ws.transaction("tune.config", [run_id], {"lora_head": config.to_dict(), "task": asdict(task_config)}) as tx:
        runs.set_config(tx, run_id, {"request": asdict(request), "lora_head": config.to_dict(),
                                     "task": asdict(task_config), "classes": classes})
    with ws.scratch() as scratch:
        model, _, info = _fit(ws, request.base, train, label_field, classes, config, scratch,
                              stage=lambda text, phase: emit("stage", stage=text),
                              progress=lambda **f: emit("progress", **f), should_stop=should_stop)
        summary = {"steps": info["steps"], "epochs": info["epochs"], "planned_steps": info["planned_steps"],
                   "stopped_by": info["stopped_by"], "losses": info["losses"],
                   "final_loss": info["losses"][-1] if info["losses"] else None, "eval_loss": None,
                   "tokens_per_s": info["tokens_per_s"], "wall_time_s": info["train_seconds"],
                   "train_seconds": info["train_seconds"], "train_size": info["train_size"],
                   "class_weights": info["class_weights"], "budget_seconds": request.budget_seconds,
                   "seed": config.seed, "library_versions": library_versions(), "labels": classes}
        if info["stopped_by"] == "cancelled":
            with ws.transaction("tune.cancelled", [run_id], {"steps": info["steps"]}) as tx:
                runs.cancel(tx, run_id, summary)
            return {"run_id": run_id, "status": "cancelled", **summary}
        emit("stage", stage="sealing the adapter and head")
        blob = _seal(ws, model, classes, label_field, scratch, "tune.artifact", [run_id])
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    summary = {**summary, **_figures(info, trainable, blob), "job_seconds": round(time.monotonic() - started, 1)}
    details = {"steps": info["steps"], "final_loss": summary["final_loss"], "artifact_sha256": blob.sha256,
               "artifact_bytes": blob.size}
    with ws.transaction("tune.complete", [run_id, blob.blob_id], details) as tx:
        runs.complete(tx, run_id, summary, blob.blob_id)
    return {"run_id": run_id, "status": "done", **summary}
