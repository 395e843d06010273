"""A model's answers on held-out records, and its task metrics: one call per evaluated run.

- classify:  labels are scored (`label_scoring`), with the training prompt; optionally calibrated.
- summarize, extract, instruct: greedy replies to the training prompt, `max_new_tokens` reserved.
- instruct, continue: perplexity of the reference under the model (continue has no prompt to answer).

The prompts are the training prompts (`build_prompt`), so a tuned model is asked exactly what it was
trained on, and the in-context baseline (`icl`) asks the same question after its examples.

Hazard: the returned predictions can contain PHI the model reproduced; pass them to
`privacy.scan_outputs` and the metrics, never to logs or reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from appliance.data.tasks import TaskConfig, build_example, build_prompt, get_task
from appliance.errors import UsageError
from appliance.evaluate.metrics import MetricInputs, compute

ProgressFn = Callable[[int, int], None]


@dataclass
class ModelEvaluation:
    predictions: list[str]  # empty for perplexity-only tasks
    metrics: dict[str, Any]


def references(task: str, records: Sequence[Mapping[str, Any]], config: TaskConfig) -> list[Any]:
    """What each record should be answered with: its label or summary, or the record itself for extract."""
    t = get_task(task)
    if t.name == "extract":
        return list(records)
    field = config.label_field or t.default_label_field
    if not field:
        raise UsageError(f"task {t.name!r} needs label_field to be set")
    return [str(r.get(field) or "").strip() for r in records]


def predict(
    model: Any,
    tokenizer: Any,
    task: str,
    task_config: TaskConfig,
    records: Sequence[Mapping[str, Any]],
    *,
    calibrate: bool = False,
    max_new_tokens: int = 128,
    progress: ProgressFn | None = None,
) -> list[str]:
    """The model's answer to the training prompt of each record."""
    t = get_task(task)
    if not t.supervised:
        raise UsageError(f"task {t.name!r} has no prompt to answer; it is scored by perplexity only")
    if t.name == "classify":
        from appliance.evaluate.label_scoring import LabelScorer

        if not task_config.label_set:
            raise UsageError("classify needs task_config.label_set to score labels")
        scorer = LabelScorer(model, tokenizer, t.name, task_config, task_config.label_set)
        return scorer.predict(records, calibrate, progress)
    from appliance.evaluate.generation import greedy_replies

    prompts = [build_prompt(t.name, r, tokenizer, task_config, reserve=max_new_tokens) for r in records]
    return greedy_replies(model, tokenizer, prompts, max_new_tokens=max_new_tokens, progress=progress)


class PredictOptions(TypedDict, total=False):
    """The keyword options of `predict`, which `evaluate_model` passes on (defaults are `predict`'s)."""

    calibrate: bool
    max_new_tokens: int
    progress: ProgressFn | None


def evaluate_model(
    model: Any,
    tokenizer: Any,
    task: str,
    task_config: TaskConfig,
    records: Sequence[Mapping[str, Any]],
    **options: Unpack[PredictOptions],
) -> ModelEvaluation:
    """Predictions (where the task has answers) and the task's metrics on `records`; `options` are
    `predict`'s."""
    from appliance.evaluate.likelihood import pad_id_of

    t = get_task(task)
    if t.name in ("instruct", "continue"):
        examples = [build_example(t.name, r, tokenizer, task_config) for r in records]
        inputs = MetricInputs(model=model, examples=examples, pad_id=pad_id_of(tokenizer))
        return ModelEvaluation([], compute(t.name, inputs))
    predictions = predict(model, tokenizer, t.name, task_config, records, **options)
    inputs = MetricInputs(
        predictions=predictions,
        references=references(t.name, records, task_config),
        sources=[str(r.get(task_config.text_field) or "") for r in records] if t.name == "summarize" else (),
        labels=task_config.label_set,
        fields=task_config.extract_fields,
    )
    return ModelEvaluation(predictions, compute(t.name, inputs))
