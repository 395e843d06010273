"""The classical baseline: TF-IDF features and logistic regression, trained on the same train split.

If this beats or matches a language model, the hospital does not need the language model for the task,
and the report says so. It trains in seconds on a CPU and is deterministic (liblinear-free `lbfgs`
solver, no random state involved).

Features: word unigrams and bigrams, lower-cased, sublinear tf, terms in at least `min_df` notes, at
most `max_features` of them. Classes are balanced by weight so a rare label is not ignored, which is
what macro-F1 rewards.

Hazard: the fitted vocabulary holds words and word pairs from the notes, which can include surrogate
identifiers; `fit_predict` returns only the feature count, never the vocabulary or the model.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from appliance.errors import UsageError
from appliance.fieldhelp import help_of
from appliance.fieldhelp import help_text as _help


@dataclass
class ClassicalConfig:
    """Settings of the TF-IDF + logistic regression baseline."""

    text_field: str = field(default="text", metadata=_help("Record field that holds the note text."))
    max_features: int = field(default=50_000, metadata=_help("Largest vocabulary kept (most frequent terms)."))
    min_df: int = field(default=2, metadata=_help("A term must occur in at least this many training notes."))
    ngram_max: int = field(default=2, metadata=_help("Longest word n-gram used as a feature (1 or 2)."))
    c: float = field(default=10.0, metadata=_help("Inverse regularisation strength of the logistic regression."))
    balanced: bool = field(default=True, metadata=_help("Weight classes inversely to their frequency."))

    def __post_init__(self) -> None:
        if self.max_features < 1 or self.min_df < 1 or self.ngram_max not in (1, 2, 3) or self.c <= 0:
            raise UsageError("classical baseline: max_features, min_df >= 1, ngram_max in 1..3, c > 0")

    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _texts(records: Sequence[Mapping[str, Any]], text_field: str) -> list[str]:
    return [str(r.get(text_field) or "") for r in records]


def fit_predict(
    train_records: Sequence[Mapping[str, Any]],
    test_records: Sequence[Mapping[str, Any]],
    label_field: str,
    config: ClassicalConfig | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """Fit on `train_records[label_field]`, predict `test_records`; returns (predictions, info).

    info: fit_seconds (vectorising and fitting), predict_seconds, features (vocabulary size),
    classes, train_size. A training split with one class predicts that class (nothing to learn).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    config = config or ClassicalConfig()
    labels = [str(r.get(label_field) or "") for r in train_records]
    if not train_records or any(not label for label in labels):
        raise UsageError(f"every training record needs a value in {label_field!r}")
    started = time.perf_counter()
    min_df = min(config.min_df, len(train_records))
    vectorizer = TfidfVectorizer(
        lowercase=True,
        ngram_range=(1, config.ngram_max),
        sublinear_tf=True,
        min_df=min_df,
        max_features=config.max_features,
    )
    x_train = vectorizer.fit_transform(_texts(train_records, config.text_field))
    classes = sorted(set(labels))
    model = None
    if len(classes) > 1:
        model = LogisticRegression(C=config.c, max_iter=2000, class_weight="balanced" if config.balanced else None)
        model.fit(x_train, labels)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if model is None:
        predictions = [classes[0]] * len(test_records)
    else:
        predictions = [str(p) for p in model.predict(vectorizer.transform(_texts(test_records, config.text_field)))]
    info = {
        "fit_seconds": fit_seconds,
        "predict_seconds": time.perf_counter() - started,
        "features": int(x_train.shape[1]),
        "classes": classes,
        "train_size": len(train_records),
    }
    return predictions, info
