"""The linear-probe baselines of a comparison, fitted on the training split and scored on the test
split: `probe` (logistic regression on the frozen base model's pooled hidden states, see
`appliance.evaluate.probe`) and `tfidf-probe` (the average of the probe's and the TF-IDF model's class
probabilities, see `appliance.evaluate.hybrid`). Registered in `appliance.tune.methods.probe` and
`appliance.tune.methods.tfidf_probe`, which name these runners."""

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

# fit(model, tokenizer, train, test, label_field, text_field, progress) -> (predictions, info, stored configs)
Fit = Callable[..., tuple[list[str], dict[str, Any], dict[str, Any]]]


def _run(ws: Workspace, request: CompareRequest, snapshot: str, method: str, fit: Fit, *, event: Event | None,
         should_stop: Callable[[], bool] | None) -> str | None:
    """Open the base, fit and score with `fit`, register one run of `method`; None when cancelled first."""
    import torch

    from appliance.evaluate.probe import ProbeConfig

    emit = event or (lambda name, **fields: None)
    if should_stop and should_stop():
        return None
    train = load_split(ws, snapshot, "train")
    test = load_split(ws, snapshot, "test")[: request.max_test or None]
    task_config = task_config_for(request.task, request.task_config, train + test)
    label_field = task_config.label_field or get_task(request.task).default_label_field or "label"
    max_tokens = ProbeConfig().max_tokens
    with ws.scratch() as scratch, torch.no_grad():
        base_dir, tokenizer = open_base(ws, request.base, scratch, progress=lambda m: emit("stage", stage=m))
        model = load_causal_lm(base_dir)
        model.eval()
        emit("stage", stage=f"{method}: encoding the notes and fitting", method=method, phase="encoding and fitting")
        started = time.monotonic()
        predictions, info, stored = fit(model, tokenizer, train, test, label_field, task_config.text_field,
                                        lambda done, total: emit("progress", step=done, total=total))
        seconds = time.monotonic() - started
        tokens = [min(max_tokens, len(tokenizer(str(r.get(task_config.text_field) or ""),
                                                add_special_tokens=False)["input_ids"])) for r in test]
    figures = {"train_seconds": round(info["fit_seconds"], 3), "steps": None, "features": info["features"],
               "trainable_params": (info["features"] + 1) * max(1, len(info["classes"])),
               "train_size": info["train_size"],
               "infer_seconds_per_record": info["predict_seconds"] / max(1, len(test)),
               "tokens_per_query": sum(tokens) / max(1, len(tokens))}
    evaluation = baseline_evaluation(request.task, task_config, test, predictions, seconds)
    run_id = register_baseline(ws, method, request, snapshot, {**stored, "task": asdict(task_config)}, figures,
                               evaluation)
    emit("run", run_id=run_id, method=method, primary_metric=evaluation["primary_metric"])
    return run_id


def run_probe_baseline(ws: Workspace, request: CompareRequest, snapshot: str, *, event: Event | None = None,
                       should_stop: Callable[[], bool] | None = None,
                       skipped_passes: list[dict[str, Any]] | None = None) -> str | None:
    """Encode the training and test notes with the base model, fit, score; one registry run. None when
    cancelled before it started (encoding a split is one pass of minutes at most)."""
    from appliance.evaluate.probe import ProbeConfig, fit_predict

    def fit(model: Any, tokenizer: Any, train: list[dict[str, Any]], test: list[dict[str, Any]], label_field: str,
            text_field: str, progress: Any) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
        config = ProbeConfig(text_field=text_field)
        predictions, info = fit_predict(model, tokenizer, train, test, label_field, config, progress=progress)
        return predictions, info, {"probe": config.to_dict()}

    return _run(ws, request, snapshot, "probe", fit, event=event, should_stop=should_stop)


def run_tfidf_probe_baseline(ws: Workspace, request: CompareRequest, snapshot: str, *, event: Event | None = None,
                             should_stop: Callable[[], bool] | None = None,
                             skipped_passes: list[dict[str, Any]] | None = None) -> str | None:
    """The probe and the TF-IDF model fitted on the training split, the test split predicted by the average of
    their class probabilities; one registry run. None when cancelled before it started."""
    from appliance.evaluate.classical import ClassicalConfig
    from appliance.evaluate.hybrid import HybridConfig, fit_predict
    from appliance.evaluate.probe import ProbeConfig

    def fit(model: Any, tokenizer: Any, train: list[dict[str, Any]], test: list[dict[str, Any]], label_field: str,
            text_field: str, progress: Any) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
        config, probe = HybridConfig(text_field=text_field), ProbeConfig(text_field=text_field)
        classical = ClassicalConfig(text_field=text_field)
        predictions, info = fit_predict(model, tokenizer, train, test, label_field, config, probe, classical,
                                        progress=progress)
        return predictions, info, {"hybrid": config.to_dict(), "probe": probe.to_dict(),
                                   "classical": classical.to_dict()}

    return _run(ws, request, snapshot, "tfidf-probe", fit, event=event, should_stop=should_stop)
