"""Golden numbers for the task metrics on hand-made cases."""

from __future__ import annotations

import math

import pytest
import torch

from appliance.data.tasks import IGNORE_INDEX, TASKS, Example, TaskConfig, build_example
from appliance.errors import UsageError
from appliance.evaluate.facts import extract_facts, factual_consistency
from appliance.evaluate.metrics import (
    OTHER,
    PRIMARY_METRICS,
    TASK_METRICS,
    MetricInputs,
    classification_metrics,
    compute,
    extraction_metrics,
    lcs_length,
    perplexity,
    rouge_l,
    summarization_metrics,
)
from appliance.synthetic import SPECIALTIES

# --- classify ---------------------------------------------------------------------------------------


def test_classification_golden_table():
    refs = ["a", "a", "a", "b", "b", "c"]
    preds = ["a", "a", "b", "b", "c", "c"]
    m = classification_metrics(preds, refs, labels=["a", "b", "c"])
    assert m["confusion"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert m["confusion_columns"] == ["a", "b", "c"]
    assert m["accuracy"] == pytest.approx(4 / 6)
    # a: P 1, R 2/3, F1 0.8; b: P 1/2, R 1/2, F1 0.5; c: P 1/2, R 1, F1 2/3.
    assert m["per_label"]["a"]["f1"] == pytest.approx(0.8)
    assert m["per_label"]["b"]["f1"] == pytest.approx(0.5)
    assert m["per_label"]["c"]["f1"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_classification_agrees_with_sklearn():
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    refs = ["x", "y", "z", "x", "y", "z", "x", "x"]
    preds = ["x", "z", "z", "y", "y", "x", "x", "z"]
    m = classification_metrics(preds, refs, labels=["z", "y", "x"])
    assert m["accuracy"] == pytest.approx(accuracy_score(refs, preds))
    assert m["macro_f1"] == pytest.approx(f1_score(refs, preds, average="macro"))
    assert m["confusion"] == confusion_matrix(refs, preds, labels=["z", "y", "x"]).tolist()


def test_prediction_outside_label_set_is_wrong_and_counted_apart():
    m = classification_metrics(["a", "banana", "b"], ["a", "b", "b"], labels=["a", "b"])
    assert m["confusion_columns"] == ["a", "b", OTHER]
    assert m["confusion"] == [[1, 0, 0], [0, 1, 1]]
    assert m["accuracy"] == pytest.approx(2 / 3)


def test_label_absent_from_refs_and_preds_is_not_averaged():
    m = classification_metrics(["a", "b"], ["a", "b"], labels=["a", "b", "never"])
    assert m["macro_f1"] == 1.0
    assert m["per_label"]["never"]["support"] == 0


def test_unknown_reference_label_is_refused():
    with pytest.raises(UsageError):
        classification_metrics(["a"], ["zzz"], labels=["a"])


# --- summarize --------------------------------------------------------------------------------------


def test_lcs_length():
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert lcs_length([], ["a"]) == 0


@pytest.mark.parametrize(
    ("prediction", "reference", "expected"),
    [
        # LCS "the cat on the mat" = 5 of 6 words each side.
        ("the cat sat on the mat", "the cat is on the mat", (5 / 6, 5 / 6, 5 / 6)),
        # Lin (2004): LCS "police the gunman" = 3 of 4.
        ("police killed the gunman", "police kill the gunman", (0.75, 0.75, 0.75)),
        # P 2/4, R 2/2, F1 2/3.
        ("a b c d", "a c", (0.5, 1.0, 2 / 3)),
        # Lower-cased, punctuation ignored.
        ("The CAT, sat.", "the cat sat", (1.0, 1.0, 1.0)),
        ("", "the cat", (0.0, 0.0, 0.0)),
    ],
)
def test_rouge_l_hand_computed(prediction, reference, expected):
    assert rouge_l(prediction, reference) == pytest.approx(expected)


def test_summarization_metrics_average_over_examples():
    m = summarization_metrics(["the cat sat on the mat", "a b c d"], ["the cat is on the mat", "a c"])
    assert m["rouge_l"] == pytest.approx((5 / 6 + 2 / 3) / 2)
    assert m["n"] == 2 and "factual_consistency" not in m


SOURCE = "Started metoprolol 25 mg PO BID for atrial fibrillation. BP 120/80. K 0.40, platelets 1,000."


def test_facts_found_in_generated_text():
    facts = extract_facts("Atrial fibrillation on metoprolol 25 mg; also started warfarin 5 mg for pneumonia.")
    assert [(f.kind, f.text) for f in facts] == [
        ("problem", "atrial fibrillation"),
        ("medication", "metoprolol"),
        ("number", "25"),
        ("medication", "warfarin"),
        ("number", "5"),
        ("problem", "pneumonia"),
    ]


def test_factual_consistency_golden():
    generated = "Atrial fibrillation on metoprolol 25 mg; also started warfarin 5 mg for pneumonia."
    m = factual_consistency([generated], [SOURCE])
    assert m["factual_consistency"] == pytest.approx(3 / 6)
    assert m["facts_total"] == 6 and m["facts_supported"] == 3
    for kind in ("medication", "problem", "number"):
        assert m["facts_by_kind"][kind] == {"supported": 1, "total": 2, "rate": 0.5}


def test_drug_like_tokens_and_number_normalisation():
    # "Lasix" is not in the lexicon but precedes a dose; "canagliflozin" has a drug-name ending.
    facts = extract_facts("Lasix 40 mg and canagliflozin; K 0.4; platelets 1000.")
    assert ("medication", "lasix") in [(f.kind, f.text) for f in facts]
    assert ("medication", "canagliflozin") in [(f.kind, f.text) for f in facts]
    m = factual_consistency(["K 0.4, platelets 1000, BP 120/80."], [SOURCE])
    assert m["factual_consistency"] == 1.0  # 0.40 == 0.4 and 1,000 == 1000


def test_no_checkable_fact_is_none_not_perfect():
    m = factual_consistency(["The patient is doing well."], [SOURCE])
    assert m["factual_consistency"] is None and m["facts_total"] == 0


def test_synthetic_reference_summaries_are_consistent_with_their_notes(notes):
    m = factual_consistency([r["summary"] for r in notes[:30]], [r["text"] for r in notes[:30]])
    assert m["facts_total"] > 60
    assert m["factual_consistency"] > 0.95


# --- extract ----------------------------------------------------------------------------------------


def test_extraction_golden():
    refs = [{"specialty": "cardiology", "triage": "urgent"}] * 4
    preds = [
        '{"specialty": "cardiology", "triage": "urgent"}',
        ' {"specialty": "cardiology",  "triage": "routine"} ',
        "specialty: cardiology, triage: urgent",
        "[1, 2]",
    ]
    m = extraction_metrics(preds, refs, ["specialty", "triage"])
    assert m["json_valid"] == pytest.approx(2 / 4)
    assert m["per_field"] == {"specialty": pytest.approx(2 / 4), "triage": pytest.approx(1 / 4)}
    assert m["field_em"] == pytest.approx(3 / 8)
    assert m["record_em"] == pytest.approx(1 / 4)


def test_extraction_value_normalisation():
    m = extraction_metrics(['{"a": 5, "b": "x  y"}'], [{"a": "5", "b": "x y"}], ["a", "b"])
    assert m["field_em"] == 1.0


# --- perplexity -------------------------------------------------------------------------------------


def _hand_perplexity(model, examples):
    total, count = 0.0, 0
    with torch.no_grad():
        for ex in examples:
            logits = model(input_ids=torch.tensor([ex.input_ids])).logits[0]
            logp = torch.log_softmax(logits.double(), dim=-1)
            for t in range(1, len(ex.input_ids)):
                if ex.labels[t] != IGNORE_INDEX:
                    total -= float(logp[t - 1, ex.input_ids[t]])
                    count += 1
    return math.exp(total / count)


@pytest.mark.parametrize("task", ["classify", "summarize"])
def test_perplexity_equals_exp_mean_nll_by_hand(task, tokenizer, tiny_model, notes):
    config = TaskConfig(max_length=256, label_set=SPECIALTIES if task == "classify" else ())
    examples = [build_example(task, r, tokenizer, config) for r in notes[:5]]
    expected = _hand_perplexity(tiny_model, examples)
    # A small token budget forces several padded batches; the result must not depend on batching.
    for budget in (300, 100_000):
        got = perplexity(tiny_model, examples, pad_id=tokenizer.pad_token_id, max_batch_tokens=budget)
        assert got == pytest.approx(expected, rel=1e-5)


def test_perplexity_without_scored_tokens_is_refused(tiny_model):
    with pytest.raises(UsageError):
        perplexity(tiny_model, [Example([1, 2, 3], [IGNORE_INDEX] * 3)])


# --- registry ---------------------------------------------------------------------------------------


def test_every_task_has_metrics_and_a_primary_metric():
    assert set(TASK_METRICS) == set(TASKS) == set(PRIMARY_METRICS)


def test_registry_dispatch(tiny_model, tokenizer, notes):
    m = compute("classify", MetricInputs(predictions=["a", "b"], references=["a", "a"], labels=["a", "b"]))
    assert m["accuracy"] == 0.5
    config = TaskConfig(max_length=256)
    examples = [build_example("continue", r, tokenizer, config) for r in notes[:2]]
    m = compute("continue", MetricInputs(model=tiny_model, examples=examples, pad_id=tokenizer.pad_token_id))
    assert m["perplexity"] == pytest.approx(math.exp(m["nll"])) and m["tokens"] > 0
    with pytest.raises(UsageError):
        compute("poetry", MetricInputs())
