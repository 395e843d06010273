"""The recommendation rule on hand-made run lists."""

from __future__ import annotations

import pytest

from appliance.errors import UsageError
from appliance.evaluate.recommend import recommend


def run(run_id, method, f1, **extra):
    return {"run_id": run_id, "method": method, "task": "classify", "metrics": {"macro_f1": f1}, **extra}


def ids(rec):
    return [c.run_id for c in rec.ranked]


CASES = [
    # (name, runs, tolerance, expected run, phrases that must appear, phrases that must not)
    (
        "cheapest within tolerance wins",
        [run("r-full", "full", 0.90), run("r-lora", "lora", 0.89), run("r-qlora", "qlora", 0.885),
         run("r-icl", "icl", 0.70, k=4)],
        2.0, "r-qlora",
        ["Recommended: r-qlora", "1.5 points behind the best", "Prompting is not enough",
         "An adapter is enough"],
        ["TF-IDF"],
    ),
    (
        "tolerance boundary is inclusive",
        [run("full", "full", 0.90), run("lora", "lora", 0.88)],
        2.0, "lora", ["2.0 points behind"], [],
    ),
    (
        "just outside tolerance needs full fine-tuning",
        [run("full", "full", 0.90), run("lora", "lora", 0.879)],
        2.0, "full", ["Full fine-tuning is needed", "closest cheaper run, lora"], [],
    ),
    (
        "tf-idf best is said plainly",
        [run("tfidf", "tfidf", 0.95), run("lora", "lora", 0.90), run("icl", "icl", 0.60, k=0)],
        2.0, "tfidf",
        ["The classical TF-IDF + logistic regression baseline is the best method (95.0)",
         "Prompting is not enough"],
        [],
    ),
    (
        "tf-idf within tolerance is said plainly",
        [run("tfidf", "tfidf", 0.905), run("lora", "lora", 0.92)],
        2.0, "tfidf",
        ["within 2 points of the best (90.5 vs 92.0); a language model is not needed"],
        [],
    ),
    (
        "zero-shot is enough",
        [run("zs", "icl", 0.91, k=0), run("tfidf", "tfidf", 0.915), run("full", "full", 0.92)],
        2.0, "zs",
        ["Prompting is enough: zero-shot in-context learning reaches 91.0",
         "TF-IDF + logistic regression baseline is within 2 points"],
        [],
    ),
    (
        "calibrated k-shot is enough",
        [run("icl4", "icl", 0.70, k=4), run("icl4c", "icl-calibrated", 0.85, k=4), run("lora", "lora", 0.86)],
        2.0, "icl4c", ["Prompting is enough: 4-shot in-context learning, calibrated"], [],
    ),
    (
        "flagged run is never recommended",
        [run("full", "full", 0.99, exposure={"max": 10.4, "mean": 6.0, "flagged": True}),
         run("lora", "lora", 0.90, exposure={"max": 1.2, "mean": 0.9, "flagged": False}),
         run("icl", "icl", 0.50, k=2)],
        2.0, "lora",
        ["Excluded: full (full fine-tuning): flagged by the privacy audit (max exposure 10.4 bits)",
         "It scored better (99.0) than every releasable run, but may not be released",
         "Recommended: lora (LoRA adapter, macro-F1 90.0), the best run"],
        [],
    ),
    (
        "zero tolerance picks the best, cheaper first on ties",
        [run("dora", "dora", 0.90), run("lora", "lora", 0.90), run("qlora", "qlora", 0.899)],
        0.0, "lora", [], [],
    ),
    (
        "missing metric is excluded",
        [run("lora", "lora", None), run("full", "full", 0.8)],
        2.0, "full", ["Excluded: lora (LoRA adapter): no macro-F1 value"], [],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "runs", "tolerance", "expected", "says", "never"), CASES, ids=[c[0] for c in CASES])
def test_recommendation_rule(name, runs, tolerance, expected, says, never):
    rec = recommend(runs, tolerance)
    assert rec.run_id == expected, rec.reason
    assert rec.method == next(r["method"] for r in runs if r["run_id"] == expected)
    for phrase in says:
        assert phrase in rec.reason, rec.reason
    for phrase in never:
        assert phrase not in rec.reason, rec.reason
    assert "Rule: the cheapest method whose macro-F1 is within" in rec.reason
    assert "icl < icl-calibrated < tfidf < qlora < lora < dora < full" in rec.reason
    assert ids(rec)[0] == expected and sorted(ids(rec)) == sorted(r["run_id"] for r in runs)


def test_ranked_puts_excluded_runs_last():
    runs = [run("full", "full", 0.99, exposure={"flagged": True}), run("lora", "lora", 0.9), run("icl", "icl", 0.5)]
    rec = recommend(runs)
    assert ids(rec) == ["lora", "icl", "full"]
    assert [c.eligible for c in rec.ranked] == [True, True, False]
    assert rec.ranked[0].within and not rec.ranked[1].within
    assert rec.best_run_id == "lora" and rec.to_dict()["ranked"][2]["note"].startswith("flagged")


def test_all_flagged_gives_no_recommendation():
    rec = recommend([run("full", "full", 0.99, exposure={"flagged": True})])
    assert rec.run_id is None and rec.method is None
    assert rec.reason.startswith("No run can be recommended")


def test_perplexity_tolerance_is_relative():
    runs = [
        {"run_id": "full", "method": "full", "task": "continue", "metrics": {"perplexity": 10.0}},
        {"run_id": "lora", "method": "lora", "task": "continue", "metrics": {"perplexity": 10.15}},
        {"run_id": "qlora", "method": "qlora", "task": "continue", "metrics": {"perplexity": 10.3}},
    ]
    rec = recommend(runs, 2.0)
    assert rec.run_id == "lora" and "1.5 percent behind" in rec.reason


@pytest.mark.parametrize(
    "runs",
    [
        [],
        [{"run_id": "a", "method": "lora", "task": "classify"}],
        [run("a", "magic", 0.5)],
        [run("a", "lora", 0.5), run("a", "full", 0.6)],
        [run("a", "lora", 0.5), {**run("b", "full", 0.6), "task": "summarize"}],
    ],
)
def test_bad_run_lists_are_refused(runs):
    with pytest.raises(UsageError):
        recommend(runs)


def test_negative_tolerance_is_refused():
    with pytest.raises(UsageError):
        recommend([run("a", "lora", 0.5)], -1)
