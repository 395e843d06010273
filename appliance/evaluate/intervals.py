"""How sure a test-set score is: bootstrap intervals, and paired tests between two runs on the same items.

A score on n test records is one draw; on 40 records a 95 % interval on accuracy is about ±15 points.
Every metric the comparison shows therefore carries a 95 % percentile bootstrap interval, and every pair
of runs scored on the same test items carries a paired test of their difference.

Per-item data (`items`, built by `appliance.evaluate.metrics` with each task's metrics) holds numbers
and label indices only, never text:

- ``{"kind": "labels", "labels": L, "reference": [...], "predicted": [...]}`` (classify): label indices;
  a predicted index >= L is a reply outside the label set. Accuracy and macro-F1 are recomputed from
  the resampled confusion counts with the conventions of `metrics.classification_metrics`.
- ``{"kind": "mean", "key": K, "scores": [...]}`` (summarize ROUGE-L, extract field exact match): the
  metric is the mean of the per-record scores.
- ``{"kind": "ratio", "key": "perplexity", "nll": [...], "tokens": [...]}`` (instruct, continue):
  perplexity is exp(sum NLL / sum tokens), so records are resampled with their token counts.

Method (stated so that a reader can check it):
- Resampling is stratified by reference label for classify (each label keeps its test count, so a rare
  label cannot vanish from a replicate; labels with fewer than `MIN_STRATUM` records are pooled, since a
  stratum of one record never varies), plain otherwise; `DEFAULT_RESAMPLES` replicates drawn with a
  fixed seed, so the same runs always give the same intervals. The interval is the 2.5th and 97.5th
  percentile of the replicates (percentile bootstrap, Efron & Tibshirani 1993, ch. 13).
- Paired test: the same resampled items score both runs; the difference's 95 % interval is the
  percentiles of the replicate differences and the two-sided p-value is twice the smaller share of
  replicates on either side of 0. The difference is significant when its interval excludes 0.
- For accuracy, McNemar's exact test on the discordant records (one run right, the other wrong) is
  reported beside it (McNemar 1947; exact binomial form, Dietterich 1998).
- Small-sample guard: when the two runs differ on only a few records, every replicate draws the same
  few differences and the percentile interval looks certain (on 3 records where one run is always right,
  every replicate differs by exactly 1). No exact test can reach p < 0.05 on fewer than
  `min_differing_records` records (the smallest two-sided sign-test p-value on d records is 2 / 2**d), so
  a difference is called significant only when the runs differ on at least that many records (for
  classify: records with different predicted labels).
- Pairs are formed only between runs scored on the same test items: the same snapshot, the same number of
  records and, for classify, the same reference labels in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.errors import UsageError

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 2024
CONFIDENCE = 0.95
MIN_TEST_SIZE = 100  # below this the report warns that intervals are wide
MIN_STRATUM = 5  # smaller strata are pooled for resampling
_CHUNK = 200  # replicates resampled at once (bounds memory: chunk x records weights)


@dataclass(frozen=True)
class ItemTable:
    """Per-record data of one run, ready for resampling."""

    kind: str
    keys: tuple[str, ...]  # the metrics this data can recompute
    n: int
    strata: np.ndarray  # stratum per record (reference label for classify, 0 otherwise)
    reference: np.ndarray | None = None
    predicted: np.ndarray | None = None
    n_labels: int = 0
    values: np.ndarray | None = None  # mean: scores; ratio: NLL sums
    tokens: np.ndarray | None = None

    def statistic(self, key: str, weights: np.ndarray) -> np.ndarray:
        """Metric `key` under each row of `weights` (replicates x records: how often each record is drawn)."""
        if key not in self.keys:
            raise UsageError(f"per-record data of kind {self.kind!r} cannot recompute {key!r}")
        if self.kind == "labels":
            return _label_metric(key, self, weights)
        assert self.values is not None
        if self.kind == "mean":
            return np.asarray(weights @ self.values / weights.sum(axis=1))
        assert self.tokens is not None
        return np.asarray(np.exp((weights @ self.values) / np.maximum(weights @ self.tokens, 1e-12)))

    def point(self, key: str) -> float:
        return float(self.statistic(key, np.ones((1, self.n)))[0])

    def correct(self) -> np.ndarray | None:
        """Per record: was the label right (classify only)."""
        if self.kind != "labels" or self.reference is None or self.predicted is None:
            return None
        return np.asarray(self.reference == self.predicted)

    def differing_records(self, other: ItemTable) -> int:
        """How many records the two runs score differently (classify: a different predicted label)."""
        if self.kind == "labels":
            assert self.predicted is not None and other.predicted is not None
            return int(np.sum(self.predicted != other.predicted))
        assert self.values is not None and other.values is not None
        if self.kind == "mean":
            return int(np.sum(~np.isclose(self.values, other.values)))
        assert self.tokens is not None and other.tokens is not None
        per_token = self.values / np.maximum(self.tokens, 1e-12)
        return int(np.sum(~np.isclose(per_token, other.values / np.maximum(other.tokens, 1e-12))))

    def same_items(self, other: ItemTable) -> bool:
        if self.kind != other.kind or self.n != other.n:
            return False
        if self.kind == "labels" and self.reference is not None and other.reference is not None:
            return bool(np.array_equal(self.reference, other.reference))
        return self.kind != "labels"


def item_table(items: Mapping[str, Any]) -> ItemTable:
    """Parse stored per-record data (see the module docstring); UsageError when malformed."""
    kind = items.get("kind")
    try:
        if kind == "labels":
            ref = np.asarray(items["reference"], dtype=np.int64)
            pred = np.asarray(items["predicted"], dtype=np.int64)
            n_labels = int(items["labels"])
            if ref.shape != pred.shape or ref.ndim != 1 or (ref.size and (ref.min() < 0 or ref.max() >= n_labels)):
                raise ValueError("reference and predicted must be label indices of equal length")
            return ItemTable("labels", ("accuracy", "macro_f1"), int(ref.size), ref, ref, pred, n_labels)
        if kind == "mean":
            scores = np.asarray(items["scores"], dtype=np.float64)
            return ItemTable("mean", (str(items["key"]),), int(scores.size), np.zeros(scores.size, np.int64),
                             values=scores)  # fmt: skip
        if kind == "ratio":
            nll = np.asarray(items["nll"], dtype=np.float64)
            tokens = np.asarray(items["tokens"], dtype=np.float64)
            if nll.shape != tokens.shape:
                raise ValueError("nll and tokens differ in length")
            return ItemTable("ratio", (str(items["key"]),), int(nll.size), np.zeros(nll.size, np.int64),
                             values=nll, tokens=tokens)  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"per-record scores are malformed ({exc})") from None
    raise UsageError(f"unknown kind of per-record scores: {kind!r}")


def _label_metric(key: str, table: ItemTable, weights: np.ndarray) -> np.ndarray:
    assert table.reference is not None and table.predicted is not None
    n_labels = table.n_labels
    total = weights.sum(axis=1)
    hit = table.reference == table.predicted
    if key == "accuracy":
        return np.asarray((weights @ hit.astype(np.float64)) / total)
    # Per label: true positives, support (reference count) and predicted count under each replicate.
    tp = np.zeros((weights.shape[0], n_labels))
    support = np.zeros_like(tp)
    predicted = np.zeros_like(tp)
    for label in range(n_labels):
        tp[:, label] = weights @ (hit & (table.reference == label)).astype(np.float64)
        support[:, label] = weights @ (table.reference == label).astype(np.float64)
        predicted[:, label] = weights @ (table.predicted == label).astype(np.float64)
    denominator = support + predicted
    counted = denominator > 0  # a label absent from both references and predictions is not counted
    f1 = np.where(counted, 2 * tp / np.where(counted, denominator, 1.0), 0.0)
    return np.asarray(f1.sum(axis=1) / np.maximum(counted.sum(axis=1), 1))


def resample_weights(strata: np.ndarray, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
                     ) -> Iterator[np.ndarray]:
    """Bootstrap draw counts (replicates x records) in chunks, stratified: each stratum keeps its size."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    # A stratum of one record would be drawn identically in every replicate and look certain: strata
    # under MIN_STRATUM records are pooled and resampled together.
    small = [g for g in groups if g.size < MIN_STRATUM]
    groups = [g for g in groups if g.size >= MIN_STRATUM] + ([np.concatenate(small)] if small else [])
    done = 0
    while done < resamples:
        size = min(_CHUNK, resamples - done)
        weights = np.zeros((size, strata.size))
        for members in groups:
            weights[:, members] = rng.multinomial(members.size, np.full(members.size, 1.0 / members.size), size=size)
        done += size
        yield weights


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def intervals(table: ItemTable, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
              confidence: float = CONFIDENCE) -> dict[str, dict[str, float]]:
    """{metric: {value, low, high}} for every metric the per-record data can recompute."""
    if table.n == 0:
        return {}
    draws: dict[str, list[np.ndarray]] = {key: [] for key in table.keys}
    for weights in resample_weights(table.strata, resamples, seed):
        for key in table.keys:
            draws[key].append(table.statistic(key, weights))
    out = {}
    for key in table.keys:
        low, high = _percentiles(np.concatenate(draws[key]), confidence)
        out[key] = {"value": table.point(key), "low": low, "high": high}
    return out


def min_differing_records(confidence: float = CONFIDENCE) -> int:
    """The fewest differing records on which an exact two-sided test can reach ``1 - confidence``."""
    return math.floor(math.log2(2 / (1 - confidence))) + 1


def mcnemar_p(a_right: np.ndarray, b_right: np.ndarray) -> tuple[int, int, float]:
    """(records only A got right, records only B got right, exact two-sided McNemar p-value)."""
    only_a = int(np.sum(a_right & ~b_right))
    only_b = int(np.sum(~a_right & b_right))
    discordant = only_a + only_b
    if discordant == 0:
        return only_a, only_b, 1.0
    tail = sum(math.comb(discordant, i) for i in range(min(only_a, only_b) + 1)) / 2**discordant
    return only_a, only_b, min(1.0, 2 * tail)


def paired_test(a: ItemTable, b: ItemTable, key: str, *, resamples: int = DEFAULT_RESAMPLES,
                seed: int = DEFAULT_SEED, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Difference a - b in `key` on the same items: value, 95 % interval, p-value, significant; McNemar for accuracy."""
    if not a.same_items(b):
        raise UsageError("a paired test needs both runs scored on the same test records")
    differences = np.concatenate([a.statistic(key, w) - b.statistic(key, w)
                                  for w in resample_weights(a.strata, resamples, seed)])  # fmt: skip
    low, high = _percentiles(differences, confidence)
    share_below = (np.sum(differences <= 0) + 1) / (differences.size + 1)
    share_above = (np.sum(differences >= 0) + 1) / (differences.size + 1)
    result: dict[str, Any] = {
        "metric": key, "difference": a.point(key) - b.point(key), "low": low, "high": high,
        "p_value": float(min(1.0, 2 * min(share_below, share_above))),
        "significant": bool(low > 0 or high < 0), "n": a.n, "test": "paired bootstrap",
        "differing_records": a.differing_records(b),
    }  # fmt: skip
    a_right, b_right = a.correct(), b.correct()
    if key == "accuracy" and a_right is not None and b_right is not None:
        only_a, only_b, p = mcnemar_p(a_right, b_right)
        result.update(test="McNemar (exact)", p_value=p, significant=bool(p < 1 - confidence),
                      only_first_right=only_a, only_second_right=only_b)
    if result["differing_records"] < min_differing_records(confidence):
        result["significant"] = False  # the small-sample guard (module docstring)
    return result


def pairwise(runs: Sequence[Mapping[str, Any]], key: str, *, resamples: int = DEFAULT_RESAMPLES,
             seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Paired tests of `key` for every pair of runs scored on the same items (first minus second).

    Runs are summaries with `run_id`, `snapshot` and `items`; runs without per-record data or scored on
    other items are left out of the pairs.
    """
    tables = {}
    for run in runs:
        if isinstance(run.get("items"), Mapping):
            table = item_table(run["items"])
            if key in table.keys and table.n:
                tables[str(run["run_id"])] = (run.get("snapshot"), table)
    out = []
    ids = list(tables)
    for i, first in enumerate(ids):
        for second in ids[i + 1:]:
            (snap_a, a), (snap_b, b) = tables[first], tables[second]
            if snap_a != snap_b or not a.same_items(b):
                continue
            out.append({"first": first, "second": second,
                        **paired_test(a, b, key, resamples=resamples, seed=seed)})
            if key != "accuracy" and "accuracy" in a.keys:
                out[-1]["accuracy"] = paired_test(a, b, "accuracy", resamples=resamples, seed=seed)
    return out


def half_width_for(n: int, p: float = 0.5, confidence: float = CONFIDENCE) -> float:
    """Normal-approximation half-width of an interval on a proportion p from n records (for warnings)."""
    if n <= 0:
        return math.inf
    z = {0.95: 1.959964}.get(confidence, 1.959964)
    return z * math.sqrt(p * (1 - p) / n)
