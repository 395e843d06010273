"""Which method to use: a winner only when the test data can tell; otherwise the cheapest of the tied.

Rule (stated in every recommendation's text):
  Among the runs not flagged by the privacy audit and with a value of the task's primary metric
  (macro-F1 for classify, ROUGE-L for summarize, field exact match for extract, perplexity for
  instruct/continue), take the best value. A run is *distinguishable* from the best when the paired test
  on the same test records says so (paired bootstrap of the difference, 95 % interval excluding 0; see
  `appliance.evaluate.intervals`). The best run and every run not distinguishable from it form the tied
  group. One run alone: it is named the winner. Several: "not distinguishable on N test records", and the
  cheapest of the group is recommended.
  Cheapest = the lowest cost for `queries` future queries: training time + queries x inference time per
  record (both measured), then the method's cost rank, then the run id. Runs without a measured
  inference time are ordered by cost rank after the measured ones.
  Runs without per-record scores (older evaluations) cannot be paired; for them the fallback is the old
  tolerance rule (within `tolerance` points of the best counts as tied), and the text says so.
A test set of fewer than `MIN_TEST_SIZE` records gives a warning: the intervals are wide and the
cheap methods (TF-IDF) can be scored by cross-validation folds instead.

Scores are shown on one scale everywhere: 0-1 for proportions (3 decimals), with the 95 % interval in
brackets; perplexity as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from appliance.errors import UsageError
from appliance.evaluate.intervals import MIN_TEST_SIZE, half_width_for, intervals, item_table, pairwise
from appliance.evaluate.metrics import PRIMARY_METRICS, PrimaryMetric
from appliance.evaluate.runs import METHODS, RunId, check_runs, flagged, method_label, number

DEFAULT_TOLERANCE = 2.0  # only for runs without per-record scores
DEFAULT_QUERIES = 10_000  # future queries the cost order is computed for
_EPS = 1e-9


@dataclass(frozen=True)
class Candidate:
    """One run as the rule saw it."""

    run_id: RunId
    method: str
    primary: float | None
    points_behind: float | None  # from the best eligible run; None when excluded
    cost_rank: int
    eligible: bool  # not flagged and has a primary value
    within: bool  # in the tied group (not distinguishable from the best)
    note: str = ""  # why it was excluded, if it was
    low: float | None = None  # 95 % interval of the primary metric
    high: float | None = None
    cost_seconds: float | None = None  # training + inference for the stated query volume
    distinguishable: bool | None = None  # from the best, by the paired test (None: not paired / is the best)


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
    test_size: int | None = None
    tied: list[str] = field(default_factory=list)  # the best run and those not distinguishable from it
    warning: str = ""  # small test set
    queries: int = DEFAULT_QUERIES
    intervals: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # run -> metric -> interval
    pairs: list[dict[str, Any]] = field(default_factory=list)  # paired tests on the primary metric

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fmt_value(metric: PrimaryMetric, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if metric.higher_is_better else f"{value:.2f}"


def _quality_key(metric: PrimaryMetric, value: float) -> float:
    return -value if metric.higher_is_better else value


def cost_seconds(run: Mapping[str, Any], queries: int) -> float | None:
    """Training time plus `queries` times the measured inference time per record; None if not measured."""
    per_record = number(run.get("infer_seconds_per_record"))
    if per_record is None:
        return None
    train = number(run.get("train_seconds")) or 0.0
    return train + queries * per_record


def test_size(runs: Sequence[Mapping[str, Any]]) -> int | None:
    sizes = [number((r.get("metrics") or {}).get("n")) for r in runs]
    known = [int(s) for s in sizes if s is not None]
    return max(known) if known else None


def uncertainty(runs: Sequence[Mapping[str, Any]], key: str) -> tuple[dict[str, dict[str, dict[str, float]]],
                                                                    list[dict[str, Any]]]:
    """Intervals of every metric per run, and the paired tests of `key`, from the runs' per-record scores."""
    per_run = {}
    for run in runs:
        if isinstance(run.get("items"), Mapping):
            per_run[str(run["run_id"])] = intervals(item_table(run["items"]))
    return per_run, pairwise(runs, key)


def recommend(runs: Sequence[Mapping[str, Any]], tolerance: float = DEFAULT_TOLERANCE, *,
              queries: int = DEFAULT_QUERIES, min_test_size: int = MIN_TEST_SIZE) -> Recommendation:
    """Apply the rule of the module docstring to run summaries (see `appliance.evaluate.runs`)."""
    if not (tolerance >= 0 and math.isfinite(tolerance)):
        raise UsageError(f"tolerance must be a number >= 0, got {tolerance}")
    if queries < 0:
        raise UsageError(f"the query volume must be >= 0, got {queries}")
    task = check_runs(runs)
    try:
        metric = PRIMARY_METRICS[task]
    except KeyError:
        raise UsageError(f"no primary metric for task {task!r}; known: {', '.join(PRIMARY_METRICS)}") from None
    by_id = {RunId(str(r["run_id"])): r for r in runs}
    values = {rid: number(r["metrics"].get(metric.key)) for rid, r in by_id.items()}
    spans, pairs = uncertainty(runs, metric.key)
    n = test_size(runs)
    excluded: dict[RunId, str] = {}
    for rid, run in by_id.items():
        if flagged(run):
            exposure = number(run["exposure"].get("max"))
            detail = f" (max exposure {exposure:.1f} bits)" if exposure is not None else ""
            excluded[rid] = f"flagged by the privacy audit{detail}"
        elif values[rid] is None:
            excluded[rid] = f"no {metric.label} value"
    costs = {rid: cost_seconds(run, queries) for rid, run in by_id.items()}

    def interval(rid: RunId) -> tuple[float | None, float | None]:
        span = spans.get(rid, {}).get(metric.key)
        return (span["low"], span["high"]) if span else (None, None)

    def candidate(rid: RunId, behind: float | None, within: bool, distinct: bool | None) -> Candidate:
        low, high = interval(rid)
        return Candidate(rid, str(by_id[rid]["method"]), values[rid], behind, METHODS[by_id[rid]["method"]].cost_rank,
                         rid not in excluded, within, excluded.get(rid, ""), low, high, costs[rid], distinct)

    eligible = [rid for rid in by_id if rid not in excluded]
    warning = _warning(n, min_test_size)
    if not eligible:
        ranked = [candidate(r, None, False, None) for r in by_id]
        why = "; ".join(f"{r}: {note}" for r, note in excluded.items())
        sentences = [f"No run can be recommended: every run is excluded ({why}).", *([warning] if warning else []),
                     _rule(metric, tolerance, queries)]
        return Recommendation(None, None, " ".join(sentences), ranked, metric.key, tolerance, None, sentences, n,
                              [], warning, queries, spans, pairs)

    def quality(rid: RunId) -> float:
        value = values[rid]
        return math.inf if value is None else _quality_key(metric, value)

    def cheapness(rid: RunId) -> tuple[Any, ...]:
        cost = costs[rid]
        return (cost if cost is not None else math.inf, METHODS[by_id[rid]["method"]].cost_rank, rid)

    best_id = min(eligible, key=lambda r: (quality(r), cheapness(r)))
    best = values[best_id]
    assert best is not None
    behind = {r: metric.points_behind(values[r] or 0.0, best) for r in eligible}
    tests = {frozenset((p["first"], p["second"])): p for p in pairs}
    distinct: dict[RunId, bool | None] = {}
    unpaired: list[RunId] = []
    for rid in eligible:
        if rid == best_id:
            continue
        test = tests.get(frozenset((rid, best_id)))
        if test is not None:
            distinct[rid] = bool(test["significant"])
        else:
            distinct[rid] = None
            unpaired.append(rid)
    tied = [r for r in eligible if r == best_id or distinct[r] is False
            or (distinct[r] is None and behind[r] <= tolerance + _EPS)]  # fmt: skip
    chosen = min(tied, key=cheapness)

    def rank_key(rid: RunId) -> tuple[Any, ...]:
        # The tied group in the order the rule picks them, then the others by quality, then the excluded.
        if rid in tied:
            return (0, *cheapness(rid))
        if rid not in excluded:
            return (1, quality(rid), *cheapness(rid))
        return (2, 0.0, *cheapness(rid))

    ranked = [candidate(r, behind.get(r), r in tied, distinct.get(r)) for r in sorted(by_id, key=rank_key)]
    sentences = _explain(by_id, values, interval, behind, excluded, tied, chosen, best_id, metric, n, costs,
                         queries, unpaired, tolerance)  # fmt: skip
    if warning:
        sentences.insert(1, warning)
    sentences.append(_rule(metric, tolerance, queries))
    return Recommendation(chosen, by_id[chosen]["method"], " ".join(sentences), ranked, metric.key, tolerance, best_id,
                          sentences, n, [str(t) for t in tied], warning, queries, spans, pairs)


def _warning(n: int | None, min_test_size: int) -> str:
    if n is None or n >= min_test_size:
        return ""
    return (f"Warning: only {n} test records (fewer than {min_test_size}); a 95 % interval on a proportion is up "
            f"to ±{half_width_for(n):.2f} wide here, so small differences cannot be told apart. Label more records, "
            "or score the cheap methods by cross-validation folds (--cv-folds).")


def _rule(metric: PrimaryMetric, tolerance: float, queries: int) -> str:
    return (
        f"Rule: a winner is named only when its {metric.label} is better than every other run's by a paired test "
        "on the same test records (paired bootstrap, 95 %); otherwise the cheapest run that is not distinguishable "
        f"from the best is recommended, cheapest meaning training time plus inference time for {queries:,} "
        f"queries; runs without per-record scores count as tied within {tolerance:g} points; runs flagged by the "
        "privacy audit are never recommended."
    )


def fmt_cost(seconds: float | None) -> str:
    if seconds is None:
        return "cost not measured"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _explain(
    by_id: Mapping[RunId, Mapping[str, Any]],
    values: Mapping[RunId, float | None],
    interval: Any,
    behind: Mapping[RunId, float],
    excluded: Mapping[RunId, str],
    tied: Sequence[RunId],
    chosen: RunId,
    best_id: RunId,
    metric: PrimaryMetric,
    n: int | None,
    costs: Mapping[RunId, float | None],
    queries: int,
    unpaired: Sequence[RunId],
    tolerance: float,
) -> list[str]:
    def v(rid: RunId) -> str:
        low, high = interval(rid)
        span = f" [{fmt_value(metric, low)}, {fmt_value(metric, high)}]" if low is not None else ""
        return fmt_value(metric, values[rid]) + span

    def describe(rid: RunId) -> str:
        return f"{rid} ({method_label(by_id[rid])}, {metric.label} {v(rid)})"

    def kind(rid: RunId) -> str:
        return METHODS[by_id[rid]["method"]].kind

    records = f"{n} test records" if n is not None else "the test records"
    cost = f"cost {fmt_cost(costs[chosen])} for {queries:,} queries"
    parts = []
    if len(tied) == 1:
        others = [r for r in behind if r != chosen]
        if others:
            parts.append(f"Recommended: {describe(chosen)}: better than every other run on {records} "
                         f"by a significant margin ({cost}).")  # fmt: skip
        else:
            parts.append(f"Recommended: {describe(chosen)}, the only run that can be recommended ({cost}).")
    else:
        group = ", ".join(describe(r) for r in sorted(tied, key=lambda r: -(values[r] or 0.0)
                                                      if metric.higher_is_better else values[r] or 0.0))
        parts.append(f"Not distinguishable on {records}: {group}. Recommended: the cheapest of them, {chosen} "
                     f"({method_label(by_id[chosen])}, {cost}).")  # fmt: skip

    prompting = [r for r in tied if kind(r) == "prompting"]
    if kind(chosen) == "prompting":
        parts.append(f"Prompting is enough: {method_label(by_id[chosen])} needs no training; each query pays its "
                     "inference time again.")  # fmt: skip
    elif not prompting and any(kind(r) == "prompting" for r in behind):
        parts.append("Prompting is not enough: every in-context run is distinguishably worse than the best.")

    classical = [r for r in behind if kind(r) == "classical"]
    if classical and all(kind(r) == "classical" for r in behind):
        parts.append("Only the classical baseline was compared: whether a language model does better is not known "
                     "from this comparison.")  # fmt: skip
    elif classical:
        c = min(classical, key=lambda r: _quality_key(metric, values[r] or 0.0))
        if c == best_id and len(tied) == 1:
            parts.append("The classical TF-IDF + logistic regression baseline is the best method; a language model "
                         "is not needed for this task.")  # fmt: skip
        elif c in tied:
            tail = "; no language model did distinguishably better on these test records." \
                if kind(chosen) == "classical" else "."
            parts.append(f"The classical TF-IDF + logistic regression baseline ({v(c)}) is not distinguishable "
                         f"from the best ({v(best_id)}){tail}")
        else:
            parts.append(f"The classical TF-IDF baseline ({v(c)}) is distinguishably behind the best ({v(best_id)}).")

    if kind(chosen) == "full" and len(tied) == 1:
        parts.append("Full fine-tuning is needed: every cheaper run is distinguishably worse.")
    elif kind(chosen) == "adapter" and any(kind(r) == "full" for r in tied if r != chosen):
        parts.append("An adapter is enough: full fine-tuning is not distinguishably better.")

    if unpaired:
        parts.append(f"No paired test for {', '.join(unpaired)} (no per-record scores on the same test records); "
                     f"within {tolerance:g} points of the best counted as tied.")  # fmt: skip
    for rid, note in excluded.items():
        line = f"Excluded: {rid} ({method_label(by_id[rid])}): {note}."
        value, best = values[rid], values[best_id]
        if note.startswith("flagged") and value is not None and best is not None:
            if _quality_key(metric, value) < _quality_key(metric, best):
                line += (f" It scored better ({fmt_value(metric, value)}) than every releasable run, but may not be "
                         "released.")
        parts.append(line)
    return parts
