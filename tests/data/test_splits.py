"""Patient-level splits: deterministic, stable when patients are added, never leaking a patient."""

from __future__ import annotations

from collections import Counter

import pytest

from appliance.data.splits import (
    SPLIT_NAMES,
    check_no_leakage,
    patient_majority_labels,
    patient_splits,
    split_records,
    stratified_patient_splits,
)
from appliance.errors import InvalidInput
from appliance.synthetic import generate, to_record_dict

PATIENTS = [f"P{i:05d}" for i in range(2000)]


@pytest.mark.parametrize("method", ["hash", "exact"])
def test_deterministic_and_seed_dependent(method):
    a = patient_splits(PATIENTS, seed=1, method=method)
    assert a == patient_splits(reversed(PATIENTS), seed=1, method=method)
    assert set(a) == set(PATIENTS) and set(a.values()) == set(SPLIT_NAMES)
    assert a != patient_splits(PATIENTS, seed=2, method=method)


def test_hash_split_is_stable_when_patients_are_added():
    before = patient_splits(PATIENTS[:500], seed=7)
    after = patient_splits(PATIENTS, seed=7)
    assert all(after[p] == s for p, s in before.items())


@pytest.mark.parametrize("fractions", [(0.8, 0.1, 0.1), (0.6, 0.2, 0.2), (1.0, 0.0, 0.0)])
def test_proportions(fractions):
    counts = Counter(patient_splits(PATIENTS, seed=3, fractions=fractions).values())
    for name, f in zip(SPLIT_NAMES, fractions, strict=True):
        assert abs(counts[name] / len(PATIENTS) - f) < 0.03
    exact = Counter(patient_splits(PATIENTS, seed=3, fractions=fractions, method="exact").values())
    assert [exact[n] for n in SPLIT_NAMES] == [round(f * len(PATIENTS)) for f in fractions]


def test_exact_split_fills_every_requested_split_for_tiny_populations():
    assert Counter(patient_splits(["a", "b", "c"], seed=0, method="exact").values()) == Counter(SPLIT_NAMES)
    ten = Counter(patient_splits([str(i) for i in range(10)], seed=0, method="exact").values())
    assert (ten["train"], ten["validation"], ten["test"]) == (8, 1, 1)


def test_invalid_arguments():
    with pytest.raises(ValueError):
        patient_splits(PATIENTS, seed=0, fractions=(0.5, 0.2, 0.2))
    with pytest.raises(ValueError):
        patient_splits(PATIENTS, seed=0, method="random")
    with pytest.raises(InvalidInput):
        patient_splits(["a", ""], seed=0)


def test_split_records_keeps_patients_together_and_order():
    records = [to_record_dict(n) for n in generate(200, seed=5)]
    splits = split_records(records, seed=11)
    check_no_leakage(splits)
    assert sum(len(v) for v in splits.values()) == len(records)
    for name, recs in splits.items():
        positions = [records.index(r) for r in recs]
        assert positions == sorted(positions), name
    by_patient = {r["patient_id"]: name for name, recs in splits.items() for r in recs}
    assert len(by_patient) == len({r["patient_id"] for r in records})


def test_stored_assignment_is_reused_and_extended():
    records = [{"patient_id": p, "text": "x"} for p in ("a", "b", "c", "d")]
    stored = {"a": "test", "b": "train"}
    splits = split_records(records, seed=0, assignment=stored)
    assert records[0] in splits["test"] and records[1] in splits["train"]
    fresh = patient_splits(["c", "d"], seed=0)
    assert records[2] in splits[fresh["c"]] and records[3] in splits[fresh["d"]]


def test_refusals():
    with pytest.raises(InvalidInput):
        split_records([{"text": "no patient"}], seed=0)
    with pytest.raises(InvalidInput):
        split_records([{"patient_id": "a"}], seed=0, assignment={"a": "holdout"})
    leaky = {"train": [{"patient_id": "a"}], "test": [{"patient_id": "a"}]}
    with pytest.raises(InvalidInput) as err:
        check_no_leakage(leaky)
    assert "'a'" not in str(err.value)  # messages never name a patient


def _labelled_notes(seed: int) -> list[dict[str, str]]:
    """Notes of 40 patients in 5 classes of unequal size (3 to 14 patients), 1 to 4 notes each; a patient's
    notes mostly carry their class, now and then another (what a majority label has to settle)."""
    import random

    rng = random.Random(seed)
    sizes = {"cardiology": 14, "neurology": 10, "orthopedics": 8, "gastroenterology": 5, "pulmonology": 3}
    notes, n = [], 0
    for label, count in sizes.items():
        for _ in range(count):
            n += 1
            for k in range(rng.randint(1, 4)):
                other = k == 3 and rng.random() < 0.5
                notes.append({"patient_id": f"P{n:03d}", "specialty": "neurology" if other else label})
    return notes


def test_majority_label_per_patient() -> None:
    notes = [{"patient_id": "A", "y": "b"}, {"patient_id": "A", "y": "a"}, {"patient_id": "A", "y": "b"},
             {"patient_id": "B", "y": "c"}, {"patient_id": "B", "y": "a"}, {"patient_id": "C", "y": ""}]
    assert patient_majority_labels(notes, "y") == {"A": "b", "B": "a", "C": ""}  # a tie goes to the first name


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_stratified_split_puts_every_class_in_every_split_and_never_splits_a_patient(seed: int) -> None:
    notes = _labelled_notes(seed)
    labels = patient_majority_labels(notes, "specialty")
    assignment = stratified_patient_splits(labels, seed)
    assert set(assignment) == set(labels)
    splits = split_records(notes, seed, assignment=assignment)
    check_no_leakage(splits)
    # Every class (each has at least three patients) has patients in each split, and each class keeps
    # roughly its share: its patients are cut at 80/10/10 as exactly as rounding allows.
    for label in set(labels.values()):
        patients = [p for p, y in labels.items() if y == label]
        per_split = Counter(assignment[p] for p in patients)
        assert all(per_split[name] >= 1 for name in SPLIT_NAMES), (label, per_split)
        assert per_split["train"] >= len(patients) * 0.8 - 2
    test_classes = {labels[str(r["patient_id"])] for r in splits["test"]}
    assert test_classes == set(labels.values())
    # A plain exact cut of the same 40 patients holds out 4 of them: at most 4 of the 5 classes.
    plain = patient_splits(labels, seed, method="exact")
    assert len({labels[p] for p, s in plain.items() if s == "test"}) <= 4


def test_stratified_split_is_deterministic_by_seed() -> None:
    labels = patient_majority_labels(_labelled_notes(3), "specialty")
    first = stratified_patient_splits(labels, seed=5)
    assert first == stratified_patient_splits(dict(reversed(list(labels.items()))), seed=5)
    assert first != stratified_patient_splits(labels, seed=6)


def test_a_class_of_fewer_than_three_patients_is_trained_on_not_held_out() -> None:
    labels = {"A1": "a", "A2": "a", "A3": "a", "B1": "b", "C1": "c", "C2": "c"}
    assignment = stratified_patient_splits(labels, seed=1)
    assert sorted(assignment[p] for p in ("A1", "A2", "A3")) == ["test", "train", "validation"]
    assert assignment["B1"] == assignment["C1"] == assignment["C2"] == "train"  # 80 % of 1 or 2 rounds to all
