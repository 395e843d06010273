"""Quality metrics per task, and the registry `TASK_METRICS[task] -> fn(MetricInputs) -> dict`.

- classify:  accuracy, macro-F1, per-label precision/recall/F1, confusion matrix (labels in the given order),
             computed by `sklearn.metrics`.
- summarize: ROUGE-L (LCS F1 on lower-cased word tokens) and factual consistency (`facts`).
- extract:   JSON validity rate and field-level exact match.
- instruct / continue: token-level perplexity of the reference under the model.

`PRIMARY_METRICS[task]` names the one number the comparison ranks methods by, and how to read it.
Every task's result also holds `items`, the per-record numbers (label indices or scores, never text) from
which `appliance.evaluate.intervals` computes bootstrap intervals and paired tests.

Conventions (stated because papers and libraries differ):
- Macro-F1 averages over the labels that occur in the references or the predictions; a label absent
  from both says nothing about the model and is not counted as F1 = 0. A prediction outside the given
  label set is wrong and appears in an extra confusion column "(other)".
- ROUGE-L is the F1 of LCS precision and recall (beta = 1, as in Google's `rouge-score`), averaged over
  examples; tokens are runs of word characters after lower-casing, so punctuation is ignored.
- Field exact match compares JSON values after collapsing whitespace in strings; non-string values are
  compared by their canonical JSON text, so 5 and "5" match. A prediction that is not a JSON object
  scores 0 on every field.
- Perplexity is exp(total NLL / total scored tokens) over all examples (token-level, not an average of
  per-example perplexities), scoring exactly the tokens whose label is not IGNORE_INDEX.

Hazard: predictions and references can hold PHI; nothing here logs them, and returned dicts hold numbers
and labels only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from appliance.data.tasks import IGNORE_INDEX, Example
from appliance.errors import UsageError
from appliance.evaluate.facts import factual_consistency

OTHER = "(other)"
_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------------------------------------------
# classify


def classification_metrics(
    predictions: Sequence[str], references: Sequence[str], labels: Sequence[str] = ()
) -> dict[str, Any]:
    """Accuracy, macro-F1 and a confusion matrix (rows: reference, columns: prediction, both in `labels` order).

    Without `labels`, the labels are the sorted union of references and predictions. The figures come from
    `sklearn.metrics`; `items` holds each record's reference and predicted label index for the intervals
    and paired tests of `appliance.evaluate.intervals` (index len(labels) = a reply outside the label set).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    if len(predictions) != len(references):
        raise UsageError(f"{len(predictions)} predictions for {len(references)} references")
    order = list(labels) if labels else sorted(set(references) | set(predictions))
    index = {label: i for i, label in enumerate(order)}
    extra_refs = sorted({r for r in references if r not in index})
    if extra_refs:
        raise UsageError(f"{len(extra_refs)} reference label(s) are not in the label set")
    outside = any(p not in index for p in predictions)
    columns = [*order, OTHER] if outside else list(order)
    predicted = [p if p in index else OTHER for p in predictions]
    n = len(references)
    if n == 0:
        confusion = [[0] * len(columns) for _ in order]
        precision = recall = f1 = support = [0.0] * len(order)
    else:
        confusion = confusion_matrix(references, predicted, labels=columns)[: len(order)].tolist()
        precision, recall, f1, support = (
            list(v) for v in precision_recall_fscore_support(
                references, predicted, labels=order, average=None, zero_division=0.0)
        )  # fmt: skip
    per_label = {
        label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                "support": int(support[i])}
        for i, label in enumerate(order)
    }  # fmt: skip
    # Macro-F1 over the labels seen in the references or the predictions (see the module docstring).
    seen = [label for label in order if label in set(references) or label in set(predicted)]
    macro = float(sum(per_label[label]["f1"] for label in seen) / len(seen)) if seen else 0.0
    return {
        "n": n,
        "accuracy": float(accuracy_score(references, predicted)) if n else 0.0,
        "macro_f1": macro,
        "labels": order,
        "confusion_columns": columns,
        "confusion": confusion,
        "per_label": per_label,
        "items": {"kind": "labels", "labels": len(order), "reference": [index[r] for r in references],
                  "predicted": [index.get(p, len(order)) for p in predictions]},
    }


# ---------------------------------------------------------------------------------------------------
# summarize


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a) x len(b)) time, O(len(b)) memory)."""
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of the LCS of the word tokens; all 0 when either side has no words."""
    p, r = words(prediction), words(reference)
    if not p or not r:
        return 0.0, 0.0, 0.0
    lcs = lcs_length(p, r)
    precision, recall = lcs / len(p), lcs / len(r)
    f1 = 2 * precision * recall / (precision + recall) if lcs else 0.0
    return precision, recall, f1


def summarization_metrics(
    predictions: Sequence[str], references: Sequence[str], sources: Sequence[str] = ()
) -> dict[str, Any]:
    """Mean ROUGE-L over examples; with `sources`, factual consistency of the predictions against them."""
    if len(predictions) != len(references):
        raise UsageError(f"{len(predictions)} predictions for {len(references)} references")
    scores = [rouge_l(p, r) for p, r in zip(predictions, references, strict=True)]
    n = len(scores)
    result: dict[str, Any] = {
        "n": n,
        "rouge_l": sum(s[2] for s in scores) / n if n else 0.0,
        "rouge_l_precision": sum(s[0] for s in scores) / n if n else 0.0,
        "rouge_l_recall": sum(s[1] for s in scores) / n if n else 0.0,
        "items": {"kind": "mean", "key": "rouge_l", "scores": [round(s[2], 6) for s in scores]},
    }
    if sources:
        if len(sources) != n:
            raise UsageError(f"{len(sources)} sources for {n} predictions")
        result.update(factual_consistency(predictions, sources))
    return result


# ---------------------------------------------------------------------------------------------------
# extract


def _norm_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return " ".join(value.split())
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The prediction as a JSON object, or None. Only surrounding whitespace is forgiven."""
    try:
        value = json.loads(text.strip())
    except (json.JSONDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def extraction_metrics(
    predictions: Sequence[str], references: Sequence[Mapping[str, Any]], fields: Sequence[str]
) -> dict[str, Any]:
    """JSON validity rate, mean field exact match, per-field exact match and whole-record exact match."""
    if len(predictions) != len(references):
        raise UsageError(f"{len(predictions)} predictions for {len(references)} references")
    if not fields:
        raise UsageError("extraction metrics need at least one field")
    n = len(predictions)
    valid = 0
    hits = dict.fromkeys(fields, 0)
    records = 0
    per_record: list[float] = []  # share of fields right, per record: its mean is the field exact match
    for prediction, reference in zip(predictions, references, strict=True):
        parsed = parse_json_object(prediction)
        if parsed is None:
            per_record.append(0.0)
            continue
        valid += 1
        ok = [f in parsed and _norm_value(parsed[f]) == _norm_value(reference.get(f)) for f in fields]
        for f, good in zip(fields, ok, strict=True):
            hits[f] += good
        records += all(ok)
        per_record.append(round(sum(ok) / len(fields), 6))
    per_field = {f: hits[f] / n if n else 0.0 for f in fields}
    return {
        "n": n,
        "json_valid": valid / n if n else 0.0,
        "field_em": sum(per_field.values()) / len(fields),
        "record_em": records / n if n else 0.0,
        "per_field": per_field,
        "items": {"kind": "mean", "key": "field_em", "scores": per_record},
    }


# ---------------------------------------------------------------------------------------------------
# instruct / continue


def nll_per_example(
    model: Any, examples: Sequence[Example], *, pad_id: int = 0, max_batch_tokens: int = 2048
) -> list[tuple[float, int]]:
    """Per example: (sum of token NLLs, number of scored tokens), over the labels that are not IGNORE_INDEX."""
    # Imported here so that reports and recommendations can be made without loading torch.
    from appliance.evaluate.likelihood import token_log_probs

    lps = token_log_probs(model, [ex.input_ids for ex in examples], pad_id=pad_id, max_batch_tokens=max_batch_tokens)
    out = []
    for ex, lp in zip(examples, lps, strict=True):
        # Position t of lp predicts token t+1, so the mask is the labels shifted by one.
        scored = [i for i, label in enumerate(ex.labels[1:]) if label != IGNORE_INDEX]
        out.append((-float(sum(lp[i] for i in scored)), len(scored)))
    return out


def nll_totals(
    model: Any, examples: Sequence[Example], *, pad_id: int = 0, max_batch_tokens: int = 2048
) -> tuple[float, int]:
    """(sum of token NLLs, number of scored tokens) over the tokens whose label is not IGNORE_INDEX."""
    each = nll_per_example(model, examples, pad_id=pad_id, max_batch_tokens=max_batch_tokens)
    return sum(t for t, _ in each), sum(c for _, c in each)


def perplexity(model: Any, examples: Sequence[Example], *, pad_id: int = 0, max_batch_tokens: int = 2048) -> float:
    """exp(mean token NLL) over all scored tokens of `examples`; raises UsageError if none is scored."""
    total, count = nll_totals(model, examples, pad_id=pad_id, max_batch_tokens=max_batch_tokens)
    if count == 0:
        raise UsageError("no scored tokens: every label is IGNORE_INDEX")
    return math.exp(total / count)


# ---------------------------------------------------------------------------------------------------
# Registry


@dataclass
class MetricInputs:
    """Everything a task metric may need; each task reads only its own fields."""

    predictions: Sequence[str] = ()
    references: Sequence[Any] = ()  # labels / summaries (str) or extract records (mappings)
    sources: Sequence[str] = ()  # summarize: the notes, for factual consistency
    labels: Sequence[str] = ()  # classify: the label set, in display order
    fields: Sequence[str] = ()  # extract: the requested fields
    model: Any = None  # instruct / continue: the model to score
    examples: Sequence[Example] = ()  # instruct / continue: tokenised references
    pad_id: int = 0


MetricFn = Callable[[MetricInputs], dict[str, Any]]
TASK_METRICS: dict[str, MetricFn] = {}


def register_metric(task: str) -> Callable[[MetricFn], MetricFn]:
    def register(fn: MetricFn) -> MetricFn:
        if task in TASK_METRICS:
            raise ValueError(f"metrics for task {task!r} are already registered")
        TASK_METRICS[task] = fn
        return fn

    return register


def compute(task: str, inputs: MetricInputs) -> dict[str, Any]:
    try:
        fn = TASK_METRICS[task]
    except KeyError:
        raise UsageError(f"no metrics for task {task!r}; known: {', '.join(TASK_METRICS)}") from None
    return fn(inputs)


@register_metric("classify")
def _classify(inputs: MetricInputs) -> dict[str, Any]:
    return classification_metrics(inputs.predictions, inputs.references, inputs.labels)


@register_metric("summarize")
def _summarize(inputs: MetricInputs) -> dict[str, Any]:
    return summarization_metrics(inputs.predictions, inputs.references, inputs.sources)


@register_metric("extract")
def _extract(inputs: MetricInputs) -> dict[str, Any]:
    return extraction_metrics(inputs.predictions, inputs.references, inputs.fields)


def _perplexity_metrics(inputs: MetricInputs) -> dict[str, Any]:
    if inputs.model is None:
        raise UsageError("perplexity needs a model")
    each = nll_per_example(inputs.model, inputs.examples, pad_id=inputs.pad_id)
    total, count = sum(t for t, _ in each), sum(c for _, c in each)
    if count == 0:
        raise UsageError("no scored tokens: every label is IGNORE_INDEX")
    return {"n": len(inputs.examples), "tokens": count, "nll": total / count, "perplexity": math.exp(total / count),
            "items": {"kind": "ratio", "key": "perplexity", "nll": [round(t, 6) for t, _ in each],
                      "tokens": [c for _, c in each]}}


register_metric("instruct")(_perplexity_metrics)
register_metric("continue")(_perplexity_metrics)


@dataclass(frozen=True)
class PrimaryMetric:
    """The number methods are ranked by for a task.

    `points_scale` turns a difference into "points": 100 for metrics in [0, 1] (percentage points).
    For a lower-is-better metric such as perplexity, a difference in points is a relative difference in
    percent of the best value, since perplexity has no fixed scale.
    """

    key: str
    label: str
    higher_is_better: bool = True
    points_scale: float = 100.0

    def points_behind(self, value: float, best: float) -> float:
        """How many points `value` is behind `best` (0 for the best, positive when worse)."""
        if self.higher_is_better:
            return (best - value) * self.points_scale
        return (value - best) / best * 100.0 if best > 0 else math.inf


PRIMARY_METRICS: dict[str, PrimaryMetric] = {
    "classify": PrimaryMetric("macro_f1", "macro-F1"),
    "summarize": PrimaryMetric("rouge_l", "ROUGE-L"),
    "extract": PrimaryMetric("field_em", "field exact match"),
    "instruct": PrimaryMetric("perplexity", "perplexity", higher_is_better=False),
    "continue": PrimaryMetric("perplexity", "perplexity", higher_is_better=False),
}
