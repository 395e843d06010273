"""Patient-level train/validation/test splits.

Splitting by note would put notes of one patient on both sides of the evaluation: the model would be
scored on text that shares a name, history and phrasing with its training data, and held-out scores would
overstate what it does on new patients. Every function here assigns whole patients, so no patient can be
in two splits by construction.

Two methods:
- "hash" (default): each patient's split is a function of `(seed, patient_id)` alone, via SHA-256. Adding
  patients to a dataset never moves an existing patient to another split, so a re-frozen dataset
  version keeps its test patients. Proportions are only approximate for small populations, and with
  very few patients a split can even be empty.
- "exact": patients are ranked by the same hash and cut at the requested proportions, so counts are as
  close as rounding allows and every split with a positive fraction gets at least one patient when
  there are enough patients. Adding patients can move patients near the cut points.

`stratified_patient_splits` applies "exact" within each class (a patient's class is the label most of
their notes carry), so every class with at least three patients is in every split: on a small dataset a
plain cut can leave a test split of one class, where no comparison of methods means anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from appliance.errors import InvalidInput

SplitName = Literal["train", "validation", "test"]
SPLIT_NAMES: tuple[SplitName, SplitName, SplitName] = ("train", "validation", "test")
SplitMethod = Literal["hash", "exact"]


def _check_fractions(fractions: tuple[float, float, float]) -> None:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")


def _unit_hash(seed: int, patient_id: str) -> float:
    """A uniform number in [0, 1) determined by the seed and patient id only (stable across runs)."""
    digest = hashlib.sha256(f"appliance.splits.v1\x00{seed}\x00{patient_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def patient_splits(
    patient_ids: Iterable[str],
    seed: int,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    *,
    method: SplitMethod = "hash",
) -> dict[str, str]:
    """Map each distinct patient id to "train", "validation" or "test", deterministically from `seed`.

    Duplicate ids are collapsed (a patient appears once in the result). See the module docstring for
    the trade-off between the "hash" and "exact" methods.
    """
    _check_fractions(fractions)
    unique = list(dict.fromkeys(str(p) for p in patient_ids))
    if any(not p for p in unique):
        raise InvalidInput("a record has an empty patient id; patient-level splits need one on every record")
    hashes = {p: _unit_hash(seed, p) for p in unique}
    if method == "hash":
        cut_train, cut_val = fractions[0], fractions[0] + fractions[1]
        return {p: "train" if h < cut_train else "validation" if h < cut_val else "test" for p, h in hashes.items()}
    if method != "exact":
        raise ValueError(f"unknown split method {method!r}")
    ranked = sorted(unique, key=lambda p: (hashes[p], p))
    counts = _exact_counts(len(ranked), fractions)
    out: dict[str, str] = {}
    start = 0
    for name, count in zip(SPLIT_NAMES, counts, strict=True):
        for p in ranked[start : start + count]:
            out[p] = name
        start += count
    return out


def stratified_patient_splits(
    patient_labels: Mapping[str, str],
    seed: int,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> dict[str, str]:
    """Map each patient to a split, cutting each class's patients "exact"ly at `fractions`.

    `patient_labels` maps a patient id to that patient's class (see `patient_majority_labels`). Whole
    patients are assigned, so a patient never straddles splits; within a class patients are ranked by
    the same seeded hash as `patient_splits`, so the result is a function of the seed and the data.
    A class of n >= 3 patients has at least one patient in each split with a positive fraction.
    """
    strata: dict[str, list[str]] = {}
    for patient, label in patient_labels.items():
        strata.setdefault(str(label), []).append(str(patient))
    out: dict[str, str] = {}
    for label in sorted(strata):
        out.update(patient_splits(strata[label], seed, fractions, method="exact"))
    return out


def patient_majority_labels(records: Iterable[Mapping[str, Any]], label_field: str,
                            patient_field: str = "patient_id") -> dict[str, str]:
    """Each patient's class for stratifying: the label most of their notes carry (ties: the first by name);
    "" for a patient with no labelled note."""
    counts: dict[str, dict[str, int]] = {}
    for r in records:
        tally = counts.setdefault(str(r.get(patient_field) or ""), {})
        label = r.get(label_field)
        if label not in (None, ""):
            tally[str(label)] = tally.get(str(label), 0) + 1
    return {p: min(t, key=lambda label: (-t[label], label)) if t else "" for p, t in counts.items()}


def _exact_counts(n: int, fractions: tuple[float, float, float]) -> list[int]:
    """Largest-remainder rounding, then lend one patient to any empty split that asked for some."""
    raw = [n * f for f in fractions]
    counts = [int(x) for x in raw]
    order = sorted(range(3), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    wanted = [i for i in range(3) if fractions[i] > 0]
    if n >= len(wanted):
        for i in wanted:
            if counts[i] == 0:
                donor = max(range(3), key=lambda j: counts[j])
                counts[donor] -= 1
                counts[i] += 1
    return counts


def split_records(
    records: Iterable[Mapping[str, Any]],
    seed: int,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    *,
    patient_field: str = "patient_id",
    method: SplitMethod = "hash",
    assignment: Mapping[str, str] | None = None,
) -> dict[str, list[Mapping[str, Any]]]:
    """Group records into {"train": [...], "validation": [...], "test": [...]} by patient.

    Record order is preserved within each split. Pass `assignment` (from `patient_splits`, or stored with
    a dataset version) to reuse an existing split; patients missing from it are assigned by hash with
    `seed`, which never disturbs the stored ones. A record without a patient id is refused rather than
    guessed at, because guessing is how leakage happens.
    """
    records = list(records)
    for i, r in enumerate(records):
        if not str(r.get(patient_field) or ""):
            raise InvalidInput(f"record {i} has no {patient_field!r}; add patient ids before splitting")
    patients = [str(r[patient_field]) for r in records]
    mapping = dict(assignment or {})
    missing = [p for p in dict.fromkeys(patients) if p not in mapping]
    if missing:
        fresh = patient_splits(missing, seed, fractions, method="hash" if assignment else method)
        mapping.update(fresh)
    out: dict[str, list[Mapping[str, Any]]] = {name: [] for name in SPLIT_NAMES}
    for r, p in zip(records, patients, strict=True):
        split = mapping[p]
        if split not in out:
            raise InvalidInput(f"unknown split name {split!r} in the stored assignment")
        out[split].append(r)
    return out


def check_no_leakage(splits: Mapping[str, Iterable[Mapping[str, Any]]], patient_field: str = "patient_id") -> None:
    """Raise InvalidInput if any patient has records in more than one split."""
    seen: dict[str, str] = {}
    for name, recs in splits.items():
        for r in recs:
            p = str(r.get(patient_field) or "")
            if p in seen and seen[p] != name:
                raise InvalidInput(f"patient appears in both {seen[p]!r} and {name!r} splits")
            seen[p] = name
