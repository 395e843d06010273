"""score() and risk() on hand-computed examples (golden numbers)."""

from __future__ import annotations

import pytest

from appliance.deid import Span, risk, score

TEXT = "John Smith was seen on 3/4/2021 at Mercy Hospital."
#       0    5     11  15   20 23      32 35    41
GOLD = [Span(0, 10, "NAME"), Span(23, 31, "DATE"), Span(35, 49, "LOCATION")]
PRED = [Span(0, 4, "NAME"), Span(11, 14, "NAME"), Span(23, 31, "DATE")]


def test_golden_numbers() -> None:
    # Tokens: John Smith was seen on 3 4 2021 at Mercy Hospital.
    # Gold-positive: John Smith 3 4 2021 Mercy Hospital (7); predicted: John was 3 4 2021 (5).
    # TP = John 3 4 2021 = 4, FP = was = 1, FN = Smith Mercy Hospital = 3.
    report = score([GOLD, []], [PRED, []], [TEXT, "Nothing to see here."])
    assert report["documents"] == 2
    assert report["token"] == {
        "tp": 4,
        "fp": 1,
        "fn": 3,
        "precision": 0.8,
        "recall": 0.571429,
        "f2": 0.606061,  # 5PR / (4P + R) with P = 4/5, R = 4/7 -> 560/924
    }
    assert report["per_label_recall"] == {
        "NAME": {"tokens": 2, "recall": 0.5},
        "DATE": {"tokens": 3, "recall": 1.0},
        "LOCATION": {"tokens": 2, "recall": 0.0},
    }
    assert report["entity"] == {
        "gold": 3,
        "predicted": 3,
        "strict": {"precision": 0.333333, "recall": 0.333333},  # only the date matches exactly
        "partial": {"precision": 0.666667, "recall": 0.666667},  # "was" and the hospital miss
    }


def test_label_mismatch_is_partial_not_strict() -> None:
    report = score([[Span(0, 4, "NAME")]], [[Span(0, 4, "LOCATION")]], ["Hope is a town."])
    assert report["token"]["recall"] == 1.0
    assert report["entity"]["strict"]["recall"] == 0.0
    assert report["entity"]["partial"]["recall"] == 1.0


def test_perfect_and_empty() -> None:
    report = score([GOLD], [GOLD], [TEXT])
    assert report["token"]["precision"] == report["token"]["recall"] == report["token"]["f2"] == 1.0
    empty = score([[]], [[]], ["No identifiers."])
    assert empty["token"] == {"tp": 0, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f2": 1.0}
    assert empty["per_label_recall"] == {}


def test_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="one gold list"):
        score([GOLD], [], [TEXT])


def test_risk_orders_the_review_queue() -> None:
    assert risk([]) == 0.0
    assert risk([Span(0, 1, "NAME", confidence=0.9), Span(2, 3, "ID", confidence=0.6)]) == pytest.approx(0.52)
    certain_many = [Span(i, i + 1, "DATE") for i in range(0, 20, 2)]
    certain_few = certain_many[:2]
    unsure_one = [Span(0, 1, "NAME", confidence=0.55)]
    assert risk(unsure_one) > risk(certain_many) > risk(certain_few) > 0


def test_span_validation() -> None:
    with pytest.raises(ValueError):
        Span(5, 5, "NAME")
    with pytest.raises(ValueError):
        Span(0, 3, "PERSON")
    with pytest.raises(ValueError):
        Span(0, 3, "NAME", confidence=1.5)
