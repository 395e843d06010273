"""Recall on the project's synthetic notes (PHI planted at known offsets)."""

from __future__ import annotations

import pytest

from appliance.deid import DeidEngine, Span, score

synthetic = pytest.importorskip("appliance.synthetic")


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    notes = synthetic.generate(300, 20240607, caps_fraction=0.2)
    engine = DeidEngine()
    gold = [[Span(g.start, g.end, g.label, g.subtype) for g in note.spans] for note in notes]
    pred = [engine.detect(note.text) for note in notes]
    return score(gold, pred, [note.text for note in notes])


def test_token_recall_at_least_99_percent(report: dict[str, object]) -> None:
    token = report["token"]
    assert isinstance(token, dict)
    assert token["recall"] >= 0.99, token
    assert token["precision"] >= 0.9, token


def test_every_label_recalled(report: dict[str, object]) -> None:
    per_label = report["per_label_recall"]
    assert isinstance(per_label, dict)
    assert set(per_label) == {"NAME", "LOCATION", "DATE", "AGE", "CONTACT", "ID"}
    for label, row in per_label.items():
        assert row["recall"] >= 0.97, (label, row)
