"""Metrics by note type, sex and age band."""

from __future__ import annotations

import pytest

from appliance.evaluate.metrics import classification_metrics
from appliance.evaluate.slices import SLICERS, age_band, group, slice_metrics, task_slices

RECORDS = [
    {"note_type": "admission", "sex": "F", "age": "34"},
    {"note_type": "admission", "sex": "male", "age": 70},
    {"note_type": "discharge", "sex": "F", "age": "95"},
    {"note_type": "Discharge", "sex": "x", "age": "n/a"},
    {"note_type": "telephone"},
]
PREDS = ["a", "b", "a", "a", "b"]
REFS = ["a", "a", "a", "b", "b"]


@pytest.mark.parametrize(
    ("age", "band"), [(0, "0-17"), (17, "0-17"), (18, "18-39"), (64, "40-64"), (89, "65-89"), ("90", "90+"),
                      ("104", "90+"), ("unknown", None), (-3, None)],
)  # fmt: skip
def test_age_bands_fold_everyone_over_89(age, band):
    assert age_band(age) == band


def test_slicers_normalise_values_and_skip_missing_fields():
    assert group(RECORDS, SLICERS["note_type"]) == {"admission": [0, 1], "discharge": [2, 3], "other": [4]}
    assert group(RECORDS, SLICERS["sex"]) == {"female": [0, 2], "male": [1], "other/unknown": [3]}
    assert group(RECORDS, SLICERS["age_band"]) == {"18-39": [0], "65-89": [1], "90+": [2]}


def test_slice_metrics_golden():
    def score(idx):
        m = classification_metrics([PREDS[i] for i in idx], [REFS[i] for i in idx], ["a", "b"])
        return {"accuracy": m["accuracy"]}

    out = slice_metrics(RECORDS, score, min_count=2)
    assert out["note_type"]["admission"] == {"n": 2, "small": False, "accuracy": 0.5}
    assert out["note_type"]["discharge"] == {"n": 2, "small": False, "accuracy": 0.5}
    assert out["note_type"]["other"] == {"n": 1, "small": True, "accuracy": 1.0}
    assert out["sex"]["female"]["accuracy"] == 1.0
    assert set(out) == {"note_type", "sex", "age_band"}
    # A slicing no record has a value for is left out.
    assert set(slice_metrics([{"text": "x"}], score)) == set()


def test_task_slices_use_the_task_metrics(notes):
    refs = [r["specialty"] for r in notes]
    preds = refs[:60] + ["cardiology"] * (len(refs) - 60)
    out = task_slices("classify", notes, preds, refs, labels=sorted(set(refs)))
    assert set(out) == {"note_type"}  # synthetic records have no sex or age fields
    total = sum(s["n"] for s in out["note_type"].values())
    assert total == len(notes)
    assert all({"accuracy", "macro_f1"} <= set(s) for s in out["note_type"].values())
