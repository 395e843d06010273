"""Cross-validation folds for the cheap methods, for when the test split is too small to decide on.

A method that fits in seconds (TF-IDF + logistic regression) can be scored on every labelled record
instead of the test split alone: k folds by patient, stratified by label (`StratifiedGroupKFold`,
seeded; no patient's notes sit on both sides of a fold), each fold predicted by a model fitted on
the others. The out-of-fold predictions give one score over all records, with the same bootstrap
interval as a test-split score. The result stands beside the test-split score; it is not paired with
the other methods, which saw only the test split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from appliance.data.tasks import TaskConfig
from appliance.errors import InvalidInput


def cross_validate_tfidf(records: Sequence[Mapping[str, Any]], label_field: str, task_config: TaskConfig,
                         config: Any, folds: int, seed: int) -> dict[str, Any]:
    """{folds, n, metrics {accuracy, macro_f1}, intervals} of out-of-fold TF-IDF predictions (numbers only)."""
    from sklearn.model_selection import StratifiedGroupKFold

    from appliance.evaluate.classical import fit_predict
    from appliance.evaluate.intervals import intervals, item_table
    from appliance.evaluate.metrics import classification_metrics

    groups = [str(r.get("patient_id") or i) for i, r in enumerate(records)]
    if len(set(groups)) < folds:
        raise InvalidInput(f"{folds} cross-validation folds need at least {folds} patients; "
                           f"the dataset has {len(set(groups))}")  # fmt: skip
    references = [str(r.get(label_field) or "").strip() for r in records]
    predictions: list[str] = [""] * len(records)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(list(range(len(records))), references, groups=groups):
        fitted, _ = fit_predict([records[i] for i in train_idx], [records[i] for i in test_idx], label_field, config)
        for i, label in zip(test_idx, fitted, strict=True):
            predictions[i] = label
    labels = list(task_config.label_set) or sorted(set(references))
    metrics = classification_metrics(predictions, references, labels)
    spans = intervals(item_table(metrics["items"]))
    return {"folds": folds, "n": len(records), "seed": seed, "grouped_by": "patient",
            "metrics": {k: metrics[k] for k in ("accuracy", "macro_f1")}, "intervals": spans}
