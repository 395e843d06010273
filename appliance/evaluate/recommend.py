"""Which method to use: the cheapest one whose quality is within a tolerance of the best.

Rule (stated in every recommendation's text):
  Among the runs not flagged by the privacy audit and with a value of the task's primary metric
  (macro-F1 for classify, ROUGE-L for summarize, field exact match for extract, perplexity for
  instruct/continue), take the best value; every run within `tolerance` points of it qualifies; the
  qualifying run of the cheapest method wins (cost order icl < icl-calibrated < tfidf < qlora < lora <
  dora < full), then the better value, then the shorter training time, then the run id.
"Points" are percentage points for metrics in [0, 1] and percent of the best value for perplexity.

The text says in plain words whether prompting (zero-shot or k-shot in-context learning) is enough,
whether the classical TF-IDF baseline is the best or within the tolerance of it, whether an adapter is
enough or full fine-tuning is needed, and which runs were excluded and why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from appliance.errors import UsageError
from appliance.evaluate.metrics import PRIMARY_METRICS, PrimaryMetric
from appliance.evaluate.runs import METHODS, RunId, check_runs, flagged, method_label, number

DEFAULT_TOLERANCE = 2.0
_EPS = 1e-9  # "within 2 points" includes exactly 2 points despite float rounding


@dataclass(frozen=True)
class Candidate:
    """One run as the rule saw it."""

    run_id: RunId
    method: str
    primary: float | None
    points_behind: float | None  # from the best eligible run; None when excluded
    cost_rank: int
    eligible: bool  # not flagged and has a primary value
    within: bool  # eligible and within the tolerance
    note: str = ""  # why it was excluded, if it was


@dataclass(frozen=True)
class Recommendation:
    run_id: RunId | None  # None when no run qualifies
    method: str | None
    reason: str  # the sentences below, joined
    ranked: list[Candidate] = field(default_factory=list)
    metric: str = ""
    tolerance: float = DEFAULT_TOLERANCE
    best_run_id: RunId | None = None
    sentences: list[str] = field(default_factory=list)  # the verdict first, the rule last

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(metric: PrimaryMetric, value: float) -> str:
    return f"{value * metric.points_scale:.1f}" if metric.higher_is_better else f"{value:.2f}"


def _unit(metric: PrimaryMetric) -> str:
    return "points" if metric.higher_is_better else "percent"


def _quality_key(metric: PrimaryMetric, value: float) -> float:
    return -value if metric.higher_is_better else value


def recommend(runs: Sequence[Mapping[str, Any]], tolerance: float = DEFAULT_TOLERANCE) -> Recommendation:
    """Apply the rule of the module docstring to run summaries (see `appliance.evaluate.runs`)."""
    if not (tolerance >= 0 and math.isfinite(tolerance)):
        raise UsageError(f"tolerance must be a number >= 0, got {tolerance}")
    task = check_runs(runs)
    try:
        metric = PRIMARY_METRICS[task]
    except KeyError:
        raise UsageError(f"no primary metric for task {task!r}; known: {', '.join(PRIMARY_METRICS)}") from None
    by_id = {RunId(str(r["run_id"])): r for r in runs}
    values = {rid: number(r["metrics"].get(metric.key)) for rid, r in by_id.items()}
    excluded: dict[RunId, str] = {}
    for rid, run in by_id.items():
        if flagged(run):
            exposure = number(run["exposure"].get("max"))
            detail = f" (max exposure {exposure:.1f} bits)" if exposure is not None else ""
            excluded[rid] = f"flagged by the privacy audit{detail}"
        elif values[rid] is None:
            excluded[rid] = f"no {metric.label} value"
    eligible = [rid for rid in by_id if rid not in excluded]
    if not eligible:
        ranked = [_candidate(by_id[r], values[r], None, False, excluded[r]) for r in by_id]
        why = "; ".join(f"{r}: {n}" for r, n in excluded.items())
        sentences = [f"No run can be recommended: every run is excluded ({why}).", _rule(metric, tolerance)]
        return Recommendation(None, None, " ".join(sentences), ranked, metric.key, tolerance, None, sentences)

    def quality(rid: RunId) -> float:
        value = values[rid]
        return math.inf if value is None else _quality_key(metric, value)

    best_id = min(eligible, key=lambda r: (quality(r), METHODS[by_id[r]["method"]].cost_rank, r))
    best = values[best_id]
    assert best is not None
    behind = {r: metric.points_behind(values[r] or 0.0, best) for r in eligible}
    within = [r for r in eligible if behind[r] <= tolerance + _EPS]

    def order(rid: RunId) -> tuple[Any, ...]:
        run = by_id[rid]
        seconds = number(run.get("train_seconds"))
        return (METHODS[run["method"]].cost_rank, quality(rid), seconds if seconds is not None else math.inf, rid)

    def rank_key(rid: RunId) -> tuple[Any, ...]:
        # Qualifying runs in the order the rule picks them, then the others by quality, then the excluded.
        if rid in within:
            return (0, *order(rid))
        if rid not in excluded:
            return (1, quality(rid), *order(rid))
        return (2, 0.0, *order(rid))

    chosen = min(within, key=order)
    ranked = [
        _candidate(by_id[r], values[r], behind.get(r), r in within, excluded.get(r, ""))
        for r in sorted(by_id, key=rank_key)
    ]
    sentences = _explain(by_id, values, behind, excluded, chosen, best_id, metric, tolerance)
    return Recommendation(
        chosen, by_id[chosen]["method"], " ".join(sentences), ranked, metric.key, tolerance, best_id, sentences
    )


def _candidate(run: Mapping[str, Any], value: float | None, behind: float | None, within: bool, note: str) -> Candidate:
    return Candidate(
        run_id=RunId(str(run["run_id"])),
        method=str(run["method"]),
        primary=value,
        points_behind=behind,
        cost_rank=METHODS[run["method"]].cost_rank,
        eligible=not note,
        within=within,
        note=note,
    )


def _rule(metric: PrimaryMetric, tolerance: float) -> str:
    order = " < ".join(sorted(METHODS, key=lambda m: METHODS[m].cost_rank))
    return (
        f"Rule: the cheapest method whose {metric.label} is within {tolerance:g} {_unit(metric)} of the best run; "
        f"cost order {order}; runs flagged by the privacy audit are never recommended."
    )


def _best_of_kind(kind_ids: list[RunId], values: Mapping[RunId, float | None], metric: PrimaryMetric) -> RunId | None:
    scored = [r for r in kind_ids if values[r] is not None]
    return min(scored, key=lambda r: (_quality_key(metric, values[r] or 0.0), r)) if scored else None


def _explain(
    by_id: Mapping[RunId, Mapping[str, Any]],
    values: Mapping[RunId, float | None],
    behind: Mapping[RunId, float],
    excluded: Mapping[RunId, str],
    chosen: RunId,
    best_id: RunId,
    metric: PrimaryMetric,
    tolerance: float,
) -> list[str]:
    unit = _unit(metric)

    def v(rid: RunId) -> str:
        value = values[rid]
        return _fmt(metric, value) if value is not None else "n/a"

    def describe(rid: RunId) -> str:
        return f"{rid} ({method_label(by_id[rid])}, {metric.label} {v(rid)})"

    def of(*kinds: str) -> list[RunId]:
        return [r for r in behind if METHODS[by_id[r]["method"]].kind in kinds]

    chosen_kind = METHODS[by_id[chosen]["method"]].kind
    parts = []
    if chosen == best_id:
        parts.append(f"Recommended: {describe(chosen)}, the best run.")
    else:
        parts.append(
            f"Recommended: {describe(chosen)}, {behind[chosen]:.1f} {unit} behind the best, "
            f"{describe(best_id)}, and cheaper."
        )

    prompting = _best_of_kind(of("prompting"), values, metric)
    if chosen_kind == "prompting":
        parts.append(f"Prompting is enough: {method_label(by_id[chosen])} reaches {v(chosen)} with no training at all.")
    elif prompting is not None:
        parts.append(
            f"Prompting is not enough: the best in-context run ({method_label(by_id[prompting])}, {v(prompting)}) "
            f"is {behind[prompting]:.1f} {unit} behind the best."
        )

    classical = _best_of_kind(of("classical"), values, metric)
    if classical is not None:
        if classical == best_id:
            parts.append(f"The classical TF-IDF + logistic regression baseline is the best method ({v(classical)}).")
        elif behind[classical] <= tolerance + _EPS:
            parts.append(
                f"The classical TF-IDF + logistic regression baseline is within {tolerance:g} {unit} of the best "
                f"({v(classical)} vs {v(best_id)})"
                + ("; a language model is not needed for this task." if chosen_kind in ("classical", "prompting")
                   else ".")
            )  # fmt: skip
        else:
            parts.append(
                f"The classical TF-IDF baseline ({v(classical)}) is {behind[classical]:.1f} {unit} behind the best."
            )

    full = _best_of_kind(of("full"), values, metric)
    if chosen_kind == "adapter" and full is not None and full != chosen:
        parts.append(
            f"An adapter is enough: full fine-tuning ({v(full)}) is not more than {tolerance:g} {unit} better."
        )
    elif chosen_kind == "full":
        cheaper = [
            r for r in behind if METHODS[by_id[r]["method"]].cost_rank < METHODS[by_id[chosen]["method"]].cost_rank
        ]
        if cheaper:
            nearest = min(cheaper, key=lambda r: behind[r])
            parts.append(
                f"Full fine-tuning is needed: the closest cheaper run, {describe(nearest)}, is "
                f"{behind[nearest]:.1f} {unit} behind."
            )

    for rid, note in excluded.items():
        line = f"Excluded: {rid} ({method_label(by_id[rid])}): {note}."
        value, best = values[rid], values[best_id]
        if note.startswith("flagged") and value is not None and best is not None:
            if _quality_key(metric, value) < _quality_key(metric, best):
                line += f" It scored better ({v(rid)}) than every releasable run, but may not be released."
        parts.append(line)
    parts.append(_rule(metric, tolerance))
    return parts
