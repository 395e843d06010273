"""The linear probe: logistic regression on the frozen base model's pooled hidden states.

The cheapest way to use a language model as a classifier (Alain & Bengio 2016, "Understanding
intermediate layers using linear classifier probes", arXiv:1610.01644): run each note once through the
base model, average the last layer's hidden states over the note's tokens, and fit a logistic
regression on those vectors. Nothing in the model changes; one forward pass per note is the whole
training cost, and answering a query costs one forward pass and a dot product, with no prompt and no
generated tokens. Classes are weighted inversely to their frequency, which is what macro-F1 rewards.

Defaults, chosen by 5-fold cross-validation on the training split of the public medical abstracts
(2,216 abstracts, SmolLM2-135M, one CPU thread; `tests/benchmarks/probe_bench.py`, figures in the README):
- the first 128 tokens of a note: 0.058 CPU-s per note, macro-F1 0.600; 256 tokens cost twice that for
  +0.014, 512 tokens 3.6 times for +0.009;
- bfloat16 autocast where the CPU computes it natively (`dtype` "auto"): 0.058 against 0.221 CPU-s per
  note in float32, the same macro-F1 (0.601 in float32);
- the last layer: the middle layer alone did worse (0.556), both side by side no better (0.597);
- strong regularisation, C = 0.003: the 576 averaged states are many, alike and correlated; at C = 1 the
  probe scored 0.512, at 0.003 0.600.

Hazards:
- The hidden states are computed from note text; they live in memory only and are never returned or
  written. `fit_predict` returns predictions and figures, never the features or the fitted model.
- A probe answers the classify task only, and it has no model artifact: it cannot be exported as
  merged weights or ONNX (the export refuses runs without an artifact).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from appliance.errors import UsageError
from appliance.fieldhelp import help_of
from appliance.fieldhelp import help_text as _help

Progress = Callable[[int, int], None]
LAYER_CHOICES = ("last", "middle", "middle+last")


@dataclass
class ProbeConfig:
    """Settings of the linear probe."""

    text_field: str = field(default="text", metadata=_help("Record field that holds the note text."))
    max_tokens: int = field(default=128, metadata=_help("Tokens of each note read (the rest is cut)."))
    batch_size: int = field(default=8, metadata=_help("Notes per forward pass."))
    c: float = field(default=0.003, metadata=_help(
        "Inverse regularisation strength of the logistic regression (small: the features are many and alike)."))
    balanced: bool = field(default=True, metadata=_help("Weight classes inversely to their frequency."))
    layers: str = field(default="last", metadata=_help(
        "Hidden states averaged: 'last' layer, the 'middle' layer, or 'middle+last' side by side."))
    dtype: str = field(default="auto", metadata=_help(
        "Encoding precision: 'float32'; 'auto' = bfloat16 autocast where the hardware computes it natively "
        "(a GPU with bfloat16, a CPU with AVX512-BF16 or AMX), float32 elsewhere; 'bfloat16'."))

    def __post_init__(self) -> None:
        if self.max_tokens < 8 or self.batch_size < 1 or self.c <= 0:
            raise UsageError("linear probe: max_tokens >= 8, batch_size >= 1, c > 0")
        if self.layers not in LAYER_CHOICES:
            raise UsageError(f"linear probe: layers must be one of {', '.join(LAYER_CHOICES)}, got {self.layers!r}")
        if self.dtype not in ("float32", "auto", "bfloat16"):
            raise UsageError(f"linear probe: dtype must be float32, auto or bfloat16, got {self.dtype!r}")

    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def layer_means(model: Any, tokenizer: Any, texts: Sequence[str], layers: Sequence[int], *, max_tokens: int,
                batch_size: int, dtype: str = "float32", progress: Progress | None = None) -> list[Any]:
    """For each index in `layers` (into the model's hidden states: 0 the embeddings, i the output of
    layer i, -1 the last layer after the final norm), a (len(texts), hidden) float32 numpy array of that
    layer's states averaged over each text's tokens. One forward pass per batch serves every layer.

    Texts are batched in order of length, so a batch pads to a similar length and no pass runs over
    padding it does not need; rows come back in the order of `texts`. `dtype` "auto" runs the pass
    under bfloat16 autocast where the hardware computes it natively (`scoring_autocast`)."""
    import numpy as np
    import torch

    from appliance.runtime.device import scoring_autocast

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = getattr(base, "model", base)  # the transformer below the output head, when there is one
    device = next(base.parameters()).device
    encoded = [tokenizer(t, add_special_tokens=False, truncation=True, max_length=max_tokens)["input_ids"]
               or [tokenizer.eos_token_id or 0] for t in texts]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    width_of = getattr(getattr(base, "config", None), "hidden_size", None)
    out = [np.zeros((len(texts), width_of or 0), dtype=np.float32) for _ in layers]
    with torch.no_grad(), scoring_autocast(base, dtype):
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encoded[i]) for i in rows)
            ids = torch.zeros((len(rows), width), dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for j, i in enumerate(rows):  # right padding: positions are unaffected
                ids[j, :len(encoded[i])] = torch.tensor(encoded[i])
                mask[j, :len(encoded[i])] = 1
            hidden = decoder(input_ids=ids.to(device), attention_mask=mask.to(device),
                             output_hidden_states=True).hidden_states
            weights = mask.to(device).unsqueeze(-1).float()
            for k, layer in enumerate(layers):
                pooled = ((hidden[layer].float() * weights).sum(1) / weights.sum(1)).cpu().numpy()
                if out[k].shape[1] != pooled.shape[1]:
                    out[k] = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
                out[k][rows] = pooled
            if progress:
                progress(min(start + batch_size, len(texts)), len(texts))
    return out



def layer_indices(model: Any, layers: str) -> list[int]:
    """Hidden-state indices for a `ProbeConfig.layers` choice on `model` (see `layer_means`)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    depth = int(getattr(getattr(base, "config", None), "num_hidden_layers", 0) or 0)
    middle = max(1, depth // 2)
    return {"last": [-1], "middle": [middle], "middle+last": [middle, -1]}[layers]


def pooled_states(model: Any, tokenizer: Any, texts: Sequence[str], config: ProbeConfig,
                  progress: Progress | None = None) -> Any:
    """A (len(texts), features) float32 numpy array: the hidden states of `config.layers` averaged over each
    text's tokens (two layers side by side for "middle+last")."""
    import numpy as np

    parts = layer_means(model, tokenizer, texts, layer_indices(model, config.layers), max_tokens=config.max_tokens,
                        batch_size=config.batch_size, dtype=config.dtype, progress=progress)
    return np.concatenate(parts, axis=1) if texts else np.zeros((0, 0), dtype=np.float32)


@dataclass
class FittedProbe:
    """The scaler and logistic regression fitted on pooled states (held in memory only, never written)."""

    classes: list[str]
    scaler: Any
    classifier: Any  # None when the training notes carry one class: that class is every answer
    features: int

    def probabilities(self, states: Any) -> Any:
        """(len(states), len(classes)) class probabilities, columns in `classes` order."""
        import numpy as np

        if self.classifier is None:
            return np.ones((len(states), 1))
        return self.classifier.predict_proba(self.scaler.transform(states))


def fit_states(states: Any, labels: Sequence[str], config: ProbeConfig) -> FittedProbe:
    """Standardise the pooled states and fit the logistic regression on them."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    classes = sorted(set(labels))
    scaler = StandardScaler().fit(states)
    classifier = None
    if len(classes) > 1:
        classifier = LogisticRegression(C=config.c, max_iter=3000, class_weight="balanced" if config.balanced else None)
        classifier.fit(scaler.transform(states), list(labels))
    return FittedProbe(classes, scaler, classifier, int(states.shape[1]))


def training_labels(records: Sequence[Mapping[str, Any]], label_field: str) -> list[str]:
    """Each training record's label; a `UsageError` when there is none or one lacks its label."""
    labels = [str(r.get(label_field) or "") for r in records]
    if not records or any(not label for label in labels):
        raise UsageError(f"every training record needs a value in {label_field!r}")
    return labels


def relay(progress: Progress | None, offset: int, total: int) -> Progress | None:
    """`progress` counting from `offset` of `total` (training notes first, then test notes)."""
    return None if progress is None else (lambda done, _n: progress(offset + done, total))


def fit_predict(model: Any, tokenizer: Any, train_records: Sequence[Mapping[str, Any]],
                test_records: Sequence[Mapping[str, Any]], label_field: str, config: ProbeConfig | None = None,
                progress: Progress | None = None) -> tuple[list[str], dict[str, Any]]:
    """Fit on `train_records[label_field]`, predict `test_records`; returns (predictions, info).

    info: fit_seconds (encoding the training notes and fitting), predict_seconds (encoding and scoring
    the test notes), features (pooled state width), classes, train_size. `progress(done, total)` counts
    notes encoded, training then test.
    """
    config = config or ProbeConfig()
    labels = training_labels(train_records, label_field)
    total = len(train_records) + len(test_records)
    started = time.perf_counter()
    fitted = fit_states(pooled_states(model, tokenizer, [str(r.get(config.text_field) or "") for r in train_records],
                                      config, relay(progress, 0, total)), labels, config)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predictions: list[str] = []
    if test_records:
        x_test = pooled_states(model, tokenizer, [str(r.get(config.text_field) or "") for r in test_records], config,
                               relay(progress, len(train_records), total))
        predictions = [fitted.classes[i] for i in fitted.probabilities(x_test).argmax(axis=1)]
    info = {"fit_seconds": fit_seconds, "predict_seconds": time.perf_counter() - started,
            "features": fitted.features, "classes": fitted.classes, "train_size": len(train_records)}
    return predictions, info
