"""Bootstrap intervals and paired tests (appliance.evaluate.intervals), and ROUGE-L against rouge-score."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from appliance.errors import UsageError
from appliance.evaluate.intervals import (
    intervals,
    item_table,
    mcnemar_p,
    min_differing_records,
    paired_test,
    resample_weights,
)
from appliance.evaluate.metrics import classification_metrics, extraction_metrics, summarization_metrics

LABELS = ["a", "b", "c", "d"]


def labelled(n, right, seed=0, weights=(5, 3, 1, 1)):
    rng = random.Random(seed)
    refs = rng.choices(LABELS, weights=weights, k=n)
    hits = set(rng.sample(range(n), right))
    preds = [r if i in hits else rng.choice([x for x in [*LABELS, "stray"] if x != r]) for i, r in enumerate(refs)]
    return preds, refs


def test_point_values_from_items_equal_sklearn():
    from sklearn.metrics import accuracy_score, f1_score

    preds, refs = labelled(300, 200, seed=1)
    metrics = classification_metrics(preds, refs, LABELS)
    table = item_table(metrics["items"])
    assert table.point("accuracy") == pytest.approx(accuracy_score(refs, preds))
    seen = sorted(set(refs) | (set(preds) & set(LABELS)))
    assert table.point("macro_f1") == pytest.approx(f1_score(refs, preds, labels=seen, average="macro"))
    assert metrics["macro_f1"] == pytest.approx(table.point("macro_f1"))


def test_interval_is_seeded_and_about_the_normal_width():
    preds, refs = labelled(400, 240, seed=2)
    table = item_table(classification_metrics(preds, refs, LABELS)["items"])
    first, again = intervals(table), intervals(table)
    assert first == again
    acc = first["accuracy"]
    assert acc["value"] == pytest.approx(0.6) and acc["low"] < acc["value"] < acc["high"]
    expected = 1.96 * math.sqrt(0.6 * 0.4 / 400)  # the normal approximation, ±0.048
    assert (acc["high"] - acc["low"]) / 2 == pytest.approx(expected, rel=0.2)
    assert intervals(table, seed=7) != first  # another seed, another draw


def test_resampling_keeps_each_label_count_and_pools_tiny_strata():
    strata = np.array([0] * 6 + [1] * 10 + [2] * 2 + [3])
    for weights in resample_weights(strata, resamples=50, seed=3):
        assert (weights[:, strata == 0].sum(axis=1) == 6).all()
        assert (weights[:, strata == 1].sum(axis=1) == 10).all()
        assert (weights[:, strata >= 2].sum(axis=1) == 3).all()  # pooled: 2 + 1 records
        assert not (weights[:, strata == 3] == 1).all()  # the lone record varies


def test_paired_test_separates_a_real_difference_from_noise():
    preds_a, refs = labelled(300, 270, seed=4)
    better = item_table(classification_metrics(preds_a, refs, LABELS)["items"])
    rng = random.Random(5)
    worse_preds = [p if rng.random() < 0.75 else "stray" for p in preds_a]
    worse = item_table(classification_metrics(worse_preds, refs, LABELS)["items"])
    test = paired_test(better, worse, "macro_f1")
    assert test["significant"] and test["low"] > 0 and test["p_value"] < 0.01
    assert paired_test(better, better, "macro_f1")["difference"] == 0.0
    assert not paired_test(better, better, "accuracy")["significant"]
    with pytest.raises(UsageError):
        paired_test(better, item_table(classification_metrics(*labelled(10, 5), LABELS)["items"]), "accuracy")


def test_no_difference_is_significant_on_fewer_records_than_an_exact_test_can_resolve():
    from scipy.stats import binomtest

    need = min_differing_records()
    assert binomtest(need, need, 0.5).pvalue < 0.05 <= binomtest(need - 1, need - 1, 0.5).pvalue
    refs = ["a", "b", "c", "d"] * 5
    for differing in (need - 1, need):
        wrong = [("b" if r == "a" else "a") if i < differing else r for i, r in enumerate(refs)]
        right = item_table(classification_metrics(refs, refs, LABELS)["items"])
        other = item_table(classification_metrics(wrong, refs, LABELS)["items"])
        test = paired_test(right, other, "accuracy")
        assert test["differing_records"] == differing and test["low"] > 0  # the bootstrap alone says "better"
        assert test["significant"] is (differing >= need)


def test_mcnemar_matches_scipy():
    from scipy.stats import binomtest

    a = np.array([True] * 30 + [False] * 10 + [True] * 50)
    b = np.array([False] * 30 + [True] * 10 + [True] * 50)
    only_a, only_b, p = mcnemar_p(a, b)
    assert (only_a, only_b) == (30, 10)
    assert p == pytest.approx(binomtest(10, 40, 0.5).pvalue)


def test_mean_and_ratio_items():
    summary = summarization_metrics(["the cat sat", "a dog ran off"], ["the cat sat down", "dog ran"])
    table = item_table(summary["items"])
    assert table.point("rouge_l") == pytest.approx(summary["rouge_l"])
    extract = extraction_metrics(['{"a": 1, "b": 2}', "not json", '{"a": 3}'],
                                 [{"a": 1, "b": 2}, {"a": 1, "b": 1}, {"a": 3, "b": 5}], ["a", "b"])
    assert item_table(extract["items"]).point("field_em") == pytest.approx(extract["field_em"])
    ratio = item_table({"kind": "ratio", "key": "perplexity", "nll": [2.0, 6.0], "tokens": [1, 3]})
    assert ratio.point("perplexity") == pytest.approx(math.exp(8 / 4))
    assert intervals(ratio)["perplexity"]["low"] <= math.exp(2) + 1e-9


@pytest.mark.parametrize("items", [{"kind": "labels", "labels": 2, "reference": [0, 5], "predicted": [0, 1]},
                                   {"kind": "ratio", "key": "perplexity", "nll": [1.0], "tokens": []},
                                   {"kind": "mystery"}])  # fmt: skip
def test_malformed_items_are_refused(items):
    with pytest.raises(UsageError):
        item_table(items)


SENTENCES = [
    ("The patient was admitted with chest pain.", "Patient admitted for chest pain and dyspnoea."),
    ("no acute distress", "the patient is in no acute distress today"),
    ("Metformin 500 mg twice daily, continue", "continue metformin 500 mg bid"),
    ("", "something"),
    ("a a a b", "a b a b a"),
]


def test_rouge_l_agrees_with_the_reference_rouge_score():
    """Development check against Google's rouge-score (a dev dependency; skipped where it is absent)."""
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    from appliance.evaluate.metrics import rouge_l

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    for prediction, reference in SENTENCES:
        ours = rouge_l(prediction, reference)
        theirs = scorer.score(reference, prediction)["rougeL"]
        assert ours == pytest.approx((theirs.precision, theirs.recall, theirs.fmeasure))
