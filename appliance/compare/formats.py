"""How the comparison report writes numbers: durations, sizes, counts, metric values with their
intervals, and the metrics' names; used by the report's JSON notes and its HTML sections.

Scores are on one scale everywhere: 0-1 for proportions (3 decimals), other metrics with 3
significant digits; a missing value is an em dash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from appliance.evaluate.runs import method_label, number

# Scalar metrics shown beside the primary one, in this order when present.
METRIC_ORDER = ("accuracy", "macro_f1", "rouge_l", "factual_consistency", "json_valid", "field_em", "record_em",
                 "perplexity")  # fmt: skip
_METRIC_LABELS = {
    "accuracy": "accuracy", "macro_f1": "macro-F1", "rouge_l": "ROUGE-L", "rouge_l_precision": "ROUGE-L P",
    "rouge_l_recall": "ROUGE-L R", "factual_consistency": "factual consistency", "json_valid": "valid JSON",
    "field_em": "field EM", "record_em": "record EM", "perplexity": "perplexity", "nll": "NLL",
}  # fmt: skip
PROPORTIONS = {"accuracy", "macro_f1", "rouge_l", "rouge_l_precision", "rouge_l_recall", "factual_consistency",
                "json_valid", "field_em", "record_em"}  # fmt: skip


def fmt_seconds(value: Any) -> str:
    s = number(value)
    if s is None:
        return "—"
    if s < 90:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def fmt_bytes(value: Any) -> str:
    b = number(value)
    if b is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(b) < 1000 or unit == "TB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1000
    return "—"


def fmt_count(value: Any) -> str:
    n = number(value)
    if n is None:
        return "—"
    for div, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}"
    return f"{n:.0f}"


def fmt_metric(key: str, value: Any) -> str:
    v = number(value)
    if v is None:
        return "—"
    return f"{v:.3f}" if key in PROPORTIONS else f"{v:.3g}"


def fmt_interval(key: str, span: Mapping[str, Any] | None) -> str:
    """' [low, high]' of a 95 % interval, or '' without one."""
    if not isinstance(span, Mapping):
        return ""
    return f" [{fmt_metric(key, span.get('low'))}, {fmt_metric(key, span.get('high'))}]"


def fmt_per_record(value: Any) -> str:
    s = number(value)
    if s is None:
        return "—"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def metric_label(key: str) -> str:
    """The name a metric goes by in the report ('macro_f1' -> 'macro-F1')."""
    return _METRIC_LABELS.get(key, key.replace("_", " "))


def cross_validation_notes(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """One sentence per run also scored by cross-validation folds (see `appliance.compare.crossval`)."""
    out = []
    for run in runs:
        cv = run.get("cross_validation")
        if not isinstance(cv, Mapping) or not isinstance(cv.get("metrics"), Mapping):
            continue
        spans = cv.get("intervals") or {}
        scores = "; ".join(f"{metric_label(k)} {fmt_metric(k, v)}{fmt_interval(k, spans.get(k))}"
                           for k, v in cv["metrics"].items())  # fmt: skip
        out.append(f"{run['run_id']} ({method_label(run)}) by {cv.get('folds')}-fold cross-validation over "
                   f"{cv.get('n')} records, grouped by patient: {scores}. Not paired with the other runs.")
    return out
