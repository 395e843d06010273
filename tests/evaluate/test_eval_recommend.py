"""The recommendation rule on synthetic score tables: per-record labels built to a chosen accuracy."""

from __future__ import annotations

import random

import pytest

from appliance.errors import UsageError
from appliance.evaluate.metrics import classification_metrics
from appliance.evaluate.recommend import recommend

LABELS = ["cardiology", "oncology", "neurology"]


def references(n):
    return [LABELS[i % len(LABELS)] for i in range(n)]


def scored(run_id, method, n, right, *, seed=0, snapshot="snap-1", **extra):
    """A run whose predictions are right on `right` of `n` records (which ones chosen by `seed`)."""
    refs = references(n)
    hits = set(random.Random(seed).sample(range(n), right))
    preds = [r if i in hits else LABELS[(LABELS.index(r) + 1) % len(LABELS)] for i, r in enumerate(refs)]
    metrics = classification_metrics(preds, refs, LABELS)
    items = metrics.pop("items")
    return {"run_id": run_id, "method": method, "task": "classify", "metrics": metrics, "items": items,
            "snapshot": snapshot, **extra}


def plain(run_id, method, f1, **extra):
    """A run with no per-record scores (an older evaluation)."""
    return {"run_id": run_id, "method": method, "task": "classify", "metrics": {"macro_f1": f1}, **extra}


CHEAP = {"train_seconds": 3.0, "infer_seconds_per_record": 0.001}
ICL = {"train_seconds": 0.0, "infer_seconds_per_record": 8.0, "k": 4}
FULL = {"train_seconds": 900.0, "infer_seconds_per_record": 0.05}
LORA = {"train_seconds": 900.0, "infer_seconds_per_record": 0.06}


def test_clear_winner_is_named():
    runs = [scored("full", "full", 400, 360, seed=1, **FULL), scored("lora", "lora", 400, 280, seed=2, **LORA),
            scored("tfidf", "tfidf", 400, 240, seed=3, **CHEAP)]
    rec = recommend(runs)
    assert rec.run_id == "full" and rec.tied == ["full"], rec.reason
    assert "better than every other run on 400 test records by a significant margin" in rec.reason
    assert "Full fine-tuning is needed" in rec.reason and "Warning" not in rec.reason
    assert all(c.distinguishable for c in rec.ranked if c.run_id != "full")
    low, high = rec.ranked[0].low, rec.ranked[0].high
    assert low < rec.ranked[0].primary < high and high - low < 0.1
    assert {p["first"] + "/" + p["second"] for p in rec.pairs} == {"full/lora", "full/tfidf", "lora/tfidf"}
    assert all(p["significant"] and p["accuracy"]["test"] == "McNemar (exact)" for p in rec.pairs)


def test_tie_recommends_the_cheapest_of_the_group():
    # 0.60 against 0.57 on 277 records: an interval of about ±0.06 cannot tell them apart.
    runs = [scored("full", "full", 277, 166, seed=1, **FULL), scored("tfidf", "tfidf", 277, 158, seed=2, **CHEAP),
            scored("zs", "icl", 277, 60, seed=3, **{**ICL, "k": 0})]
    rec = recommend(runs)
    assert rec.run_id == "tfidf" and set(rec.tied) == {"full", "tfidf"}, rec.reason
    assert rec.reason.startswith("Not distinguishable on 277 test records: full (full fine-tuning, macro-F1 0.")
    assert "Recommended: the cheapest of them, tfidf" in rec.reason
    assert "no language model did distinguishably better on these test records" in rec.reason
    assert "a language model is not needed" not in rec.reason  # a tie shows no need, it does not rule one out
    assert "Prompting is not enough" in rec.reason and "Full fine-tuning is needed" not in rec.reason
    pair = next(p for p in rec.pairs if {p["first"], p["second"]} == {"full", "tfidf"})
    assert not pair["significant"] and pair["low"] < 0 < pair["high"] and pair["p_value"] > 0.05


def test_tiny_test_set_warns_and_never_names_a_winner_on_noise():
    runs = [scored("icl", "icl", 3, 3, **ICL), scored("tfidf", "tfidf", 3, 2, seed=4, **CHEAP)]
    rec = recommend(runs)
    assert rec.test_size == 3 and set(rec.tied) == {"icl", "tfidf"}
    assert rec.sentences[0].startswith("Not distinguishable on 3 test records")
    assert rec.sentences[1].startswith("Warning: only 3 test records (fewer than 100)") and "--cv-folds" in rec.warning
    assert rec.run_id == "tfidf"  # 10,000 queries at 8 s each make in-context learning the dearest


def test_a_run_right_on_all_of_three_records_is_not_distinguishable_from_one_wrong_on_all():
    # Every bootstrap replicate of these 3 records differs by exactly 1: the interval looks certain,
    # yet no exact test reaches p < 0.05 on 3 records, and the report must not call either run better.
    runs = [scored("icl", "icl", 3, 3, **ICL), scored("tfidf", "tfidf", 3, 0, **CHEAP)]
    rec = recommend(runs)
    pair = rec.pairs[0]
    assert pair["low"] == pair["high"] == pytest.approx(1.0) and pair["differing_records"] == 3
    assert not pair["significant"] and not pair["accuracy"]["significant"]
    assert set(rec.tied) == {"icl", "tfidf"} and rec.run_id == "tfidf", rec.reason
    assert "distinguishably behind" not in rec.reason


def test_cost_order_follows_the_query_volume():
    runs = [scored("icl", "icl", 150, 100, seed=1, **ICL), scored("tfidf", "tfidf", 150, 101, seed=2, **CHEAP)]
    assert recommend(runs, queries=10_000).run_id == "tfidf"
    assert recommend(runs, queries=0).run_id == "icl"  # nothing trained, no queries: in-context costs nothing
    assert "inference time for 0 queries" in recommend(runs, queries=0).reason


def test_flagged_run_is_never_recommended():
    runs = [scored("full", "full", 200, 190, seed=1, exposure={"max": 10.4, "flagged": True}, **FULL),
            scored("lora", "lora", 200, 150, seed=2, **LORA), scored("icl", "icl", 200, 70, seed=3, **ICL)]
    rec = recommend(runs)
    assert rec.run_id == "lora" and [c.run_id for c in rec.ranked][-1] == "full"
    assert "Excluded: full (full fine-tuning): flagged by the privacy audit (max exposure 10.4 bits)" in rec.reason
    assert "scored better (0." in rec.reason and "may not be released" in rec.reason


def test_runs_on_other_test_records_are_not_paired():
    runs = [scored("a", "lora", 200, 150, seed=1, **LORA), scored("b", "full", 200, 150, seed=2, snapshot="other")]
    assert recommend(runs).pairs == []


def test_runs_without_per_record_scores_fall_back_to_the_tolerance():
    rec = recommend([plain("full", "full", 0.90), plain("lora", "lora", 0.89), plain("icl", "icl", 0.5, k=0)])
    assert rec.run_id == "lora" and set(rec.tied) == {"full", "lora"}
    assert "No paired test for" in rec.reason and "within 2 points of the best counted as tied" in rec.reason
    assert recommend([plain("full", "full", 0.90), plain("lora", "lora", 0.879)]).run_id == "full"


def test_all_flagged_gives_no_recommendation():
    rec = recommend([plain("full", "full", 0.99, exposure={"flagged": True})])
    assert rec.run_id is None and rec.method is None
    assert rec.reason.startswith("No run can be recommended")


def test_missing_metric_is_excluded():
    rec = recommend([plain("lora", "lora", None), plain("full", "full", 0.8)])
    assert rec.run_id == "full" and "Excluded: lora (LoRA adapter): no macro-F1 value" in rec.reason


@pytest.mark.parametrize(
    "runs",
    [
        [],
        [{"run_id": "a", "method": "lora", "task": "classify"}],
        [plain("a", "magic", 0.5)],
        [plain("a", "lora", 0.5), plain("a", "full", 0.6)],
        [plain("a", "lora", 0.5), {**plain("b", "full", 0.6), "task": "summarize"}],
    ],
)
def test_bad_run_lists_are_refused(runs):
    with pytest.raises(UsageError):
        recommend(runs)


def test_bad_settings_are_refused():
    with pytest.raises(UsageError):
        recommend([plain("a", "lora", 0.5)], -1)
    with pytest.raises(UsageError):
        recommend([plain("a", "lora", 0.5)], queries=-5)


def test_a_lone_classical_baseline_does_not_claim_a_language_model_is_not_needed():
    rec = recommend([scored("tfidf", "tfidf", 277, 170, **CHEAP)])
    assert rec.run_id == "tfidf" and "the only run that can be recommended" in rec.reason
    assert "whether a language model does better is not known" in rec.reason
    assert "a language model is not needed" not in rec.reason
