"""Scoring detections against gold spans, and ranking notes for human review.

Definitions (all denominators that are zero give 1.0: nothing to find means nothing was missed):

* Tokens are maximal runs of letters and digits (``[^\\W_]+``); punctuation and spaces do not count.
  A token is *positive* if any span overlaps it by at least one character.
* Token level (binary, label-agnostic): TP = gold- and pred-positive, FP = pred only, FN = gold only.
  precision = TP/(TP+FP), recall = TP/(TP+FN), F2 = 5PR/(4P+R) (recall weighs four times precision,
  because a missed identifier is a leak and an extra redaction only costs a word).
* Per-label recall: for each gold label, the share of its tokens covered by any predicted span,
  whatever the predicted label (a name redacted as a place is still redacted).
* Entity level: *strict* = same start, end and label; *partial* = at least one character of overlap,
  any label. Precision counts predicted entities, recall gold entities.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from appliance.deid.spans import LABELS, Span

_TOKEN = re.compile(r"[^\W_]+")


def _ratio(num: int, den: int) -> float:
    return round(num / den, 6) if den else 1.0


def _f(beta: float, precision: float, recall: float) -> float:
    b2 = beta * beta
    den = b2 * precision + recall
    return round((1 + b2) * precision * recall / den, 6) if den else 0.0


class _Index:
    """Spans sorted by start, with the running maximum of their ends, for overlap look-ups."""

    def __init__(self, spans: Sequence[Span]) -> None:
        self.spans = sorted(spans, key=lambda s: (s.start, s.end))
        self.starts = [s.start for s in self.spans]
        self.max_end: list[int] = []
        top = -1
        for span in self.spans:
            top = max(top, span.end)
            self.max_end.append(top)

    def covering(self, start: int, end: int) -> Span | None:
        """A span overlapping [start, end), or None."""
        for i in range(bisect_left(self.starts, end) - 1, -1, -1):
            if self.max_end[i] <= start:
                return None
            if self.spans[i].end > start:
                return self.spans[i]
        return None


def score(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], texts: Sequence[str]) -> dict[str, Any]:
    """Compare predicted spans with gold spans over the same texts; returns a JSON-able report."""
    if not len(gold) == len(pred) == len(texts):
        raise ValueError("score() needs one gold list and one prediction list per text")
    tp = fp = fn = 0
    label_total = dict.fromkeys(LABELS, 0)
    label_hit = dict.fromkeys(LABELS, 0)
    gold_n = pred_n = strict = gold_partial = pred_partial = 0
    for gold_spans, pred_spans, text in zip(gold, pred, texts, strict=True):
        g_index, p_index = _Index(gold_spans), _Index(pred_spans)
        g, p = g_index.spans, p_index.spans
        for m in _TOKEN.finditer(text):
            gs = g_index.covering(m.start(), m.end())
            ps = p_index.covering(m.start(), m.end())
            if gs and ps:
                tp += 1
            elif ps:
                fp += 1
            elif gs:
                fn += 1
            if gs:
                label_total[gs.label] = label_total.get(gs.label, 0) + 1
                if ps:
                    label_hit[gs.label] = label_hit.get(gs.label, 0) + 1
        gold_n += len(g)
        pred_n += len(p)
        exact = {(s.start, s.end, s.label) for s in p}
        strict += sum(1 for s in g if (s.start, s.end, s.label) in exact)
        gold_partial += sum(1 for s in g if any(s.overlaps(q) for q in p))
        pred_partial += sum(1 for q in p if any(q.overlaps(s) for s in g))
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    return {
        "documents": len(texts),
        "token": {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f2": _f(2.0, precision, recall),
        },
        "per_label_recall": {
            label: {"tokens": label_total[label], "recall": _ratio(label_hit[label], label_total[label])}
            for label in label_total
            if label_total[label]
        },
        "entity": {
            "gold": gold_n,
            "predicted": pred_n,
            "strict": {"precision": _ratio(strict, pred_n), "recall": _ratio(strict, gold_n)},
            "partial": {"precision": _ratio(pred_partial, pred_n), "recall": _ratio(gold_partial, gold_n)},
        },
    }


def risk(spans: Sequence[Span]) -> float:
    """Review priority of one note: higher means review first.

    risk = sum(1 - confidence) + 0.01 * len(spans). Uncertain findings dominate (a 0.55 guess adds
    0.45); the count term ranks notes dense with identifiers above sparse ones when all findings are
    certain. Zero for a note with no findings.
    """
    return round(sum(1.0 - s.confidence for s in spans) + 0.01 * len(spans), 6)
