"""Metrics by slice: note type, and sex and age band when the records have those fields.

A method can look good on average and fail on one kind of note or one group of patients. Each slicer
(`SLICERS`, add one with `register_slicer`) maps a record to a slice value or None (field absent); a
slicing is reported only when at least one record has a value, and records without one are left out
of that slicing rather than guessed.

Small slices are noisy: each slice reports its size `n`, and `small` is True below `min_count`
records, so the report can grey it out instead of over-reading it.

Hazard: slice values come from record metadata and are shown in reports; slicers must map them to a
small fixed vocabulary (age bands, not ages), never to free text or identifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Slicer = Callable[[Mapping[str, Any]], str | None]
SLICERS: dict[str, Slicer] = {}

_NOTE_TYPES = frozenset({"admission", "progress", "discharge", "radiology", "nursing", "consult", "operative", "ed"})
_SEX = {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female", "woman": "female"}
# Safe Harbor folds every age over 89 into one group; the bands keep that rule.
AGE_BANDS: tuple[tuple[int, int, str], ...] = ((0, 17, "0-17"), (18, 39, "18-39"), (40, 64, "40-64"),
                                               (65, 89, "65-89"), (90, 200, "90+"))  # fmt: skip


def register_slicer(name: str) -> Callable[[Slicer], Slicer]:
    def register(fn: Slicer) -> Slicer:
        if name in SLICERS:
            raise ValueError(f"slicer {name!r} is already registered")
        SLICERS[name] = fn
        return fn

    return register


@register_slicer("note_type")
def note_type(record: Mapping[str, Any]) -> str | None:
    value = str(record.get("note_type") or "").strip().lower()
    if not value:
        return None
    return value if value in _NOTE_TYPES else "other"


@register_slicer("sex")
def sex(record: Mapping[str, Any]) -> str | None:
    value = record.get("sex", record.get("gender"))
    if value is None or not str(value).strip():
        return None
    return _SEX.get(str(value).strip().lower(), "other/unknown")


def age_band(age: Any) -> str | None:
    try:
        years = int(float(str(age).strip().rstrip("+")))
    except ValueError:
        return None
    return next((label for lo, hi, label in AGE_BANDS if lo <= years <= hi), None)


@register_slicer("age_band")
def age_band_of(record: Mapping[str, Any]) -> str | None:
    value = record.get("age_band")
    if value is not None and str(value).strip():
        return str(value).strip()
    age = record.get("age")
    return None if age is None else age_band(age)


def group(records: Sequence[Mapping[str, Any]], slicer: Slicer) -> dict[str, list[int]]:
    """Slice value -> indices of the records in it (records without a value are left out)."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        value = slicer(record)
        if value is not None:
            groups.setdefault(value, []).append(i)
    return dict(sorted(groups.items()))


def slice_metrics(
    records: Sequence[Mapping[str, Any]],
    score: Callable[[Sequence[int]], Mapping[str, Any]],
    *,
    slicers: Sequence[str] = ("note_type", "sex", "age_band"),
    min_count: int = 10,
) -> dict[str, dict[str, dict[str, Any]]]:
    """{slicing: {value: {n, small, **score(indices)}}} for every slicing some record has a value for.

    `score(indices)` computes the metrics on the records at `indices` (e.g. a closure over predictions
    and references calling `metrics.classification_metrics`).
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in slicers:
        groups = group(records, SLICERS[name])
        if groups:
            out[name] = {
                value: {"n": len(idx), "small": len(idx) < min_count, **score(idx)} for value, idx in groups.items()
            }
    return out


def task_slices(
    task: str,
    records: Sequence[Mapping[str, Any]],
    predictions: Sequence[str],
    references: Sequence[Any],
    *,
    labels: Sequence[str] = (),
    fields: Sequence[str] = (),
    min_count: int = 10,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Slices of the task's scalar metrics (for classify, summarize, extract) keyed like `slice_metrics`."""
    from appliance.evaluate.metrics import MetricInputs, compute

    def score(idx: Sequence[int]) -> dict[str, Any]:
        inputs = MetricInputs(
            predictions=[predictions[i] for i in idx],
            references=[references[i] for i in idx],
            labels=labels,
            fields=fields,
        )
        result = compute(task, inputs)
        return {k: v for k, v in result.items() if isinstance(v, int | float) and not isinstance(v, bool) and k != "n"}

    return slice_metrics(records, score, min_count=min_count)
