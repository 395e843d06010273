"""One call per evaluated run: a model's answers to the training prompts and the task metrics."""

from __future__ import annotations

import math

import pytest

from appliance.data.tasks import TaskConfig
from appliance.errors import UsageError
from appliance.evaluate.predict import evaluate_model, predict, references
from appliance.synthetic import SPECIALTIES


def test_classify_scores_labels_and_reports_metrics(tokenizer, tiny_model, notes):
    config = TaskConfig(label_set=SPECIALTIES, max_length=512)
    result = evaluate_model(tiny_model, tokenizer, "classify", config, notes[:4], calibrate=True)
    assert len(result.predictions) == 4 and set(result.predictions) <= set(SPECIALTIES)
    assert 0.0 <= result.metrics["macro_f1"] <= 1.0 and result.metrics["n"] == 4
    assert result.metrics["labels"] == list(SPECIALTIES)


@pytest.mark.parametrize(("task", "key"), [("summarize", "rouge_l"), ("extract", "json_valid")])
def test_generative_tasks_answer_greedily(task, key, tokenizer, tiny_model, notes):
    config = TaskConfig(max_length=512)
    result = evaluate_model(tiny_model, tokenizer, task, config, notes[:2], max_new_tokens=4)
    assert len(result.predictions) == 2 and key in result.metrics
    # Greedy decoding is deterministic.
    assert predict(tiny_model, tokenizer, task, config, notes[:2], max_new_tokens=4) == result.predictions


def test_continue_is_perplexity_only(tokenizer, tiny_model, notes):
    result = evaluate_model(tiny_model, tokenizer, "continue", TaskConfig(max_length=128), notes[:2])
    assert result.predictions == [] and math.isfinite(result.metrics["perplexity"])
    with pytest.raises(UsageError):
        predict(tiny_model, tokenizer, "continue", TaskConfig(), notes[:1])


def test_references_follow_the_task(notes):
    assert references("classify", notes[:2], TaskConfig()) == [r["specialty"] for r in notes[:2]]
    assert references("classify", notes[:2], TaskConfig(label_field="triage")) == [r["triage"] for r in notes[:2]]
    assert references("extract", notes[:2], TaskConfig()) == notes[:2]
