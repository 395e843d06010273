"""The linear probe: logistic regression on the frozen base model's pooled hidden states.

The cheapest way to use a language model as a classifier (Alain & Bengio 2016, "Understanding
intermediate layers using linear classifier probes", arXiv:1610.01644): run each note once through the
base model, average the last layer's hidden states over the note's tokens, and fit a logistic
regression on those vectors. Nothing in the model changes; one forward pass per note is the whole
training cost, and answering a query costs one forward pass and a dot product, with no prompt and no
generated tokens. Classes are weighted inversely to their frequency, which is what macro-F1 rewards.

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


@dataclass
class ProbeConfig:
    """Settings of the linear probe."""

    text_field: str = field(default="text", metadata=_help("Record field that holds the note text."))
    max_tokens: int = field(default=512, metadata=_help("Tokens of each note read (the rest is cut)."))
    batch_size: int = field(default=8, metadata=_help("Notes per forward pass."))
    c: float = field(default=1.0, metadata=_help("Inverse regularisation strength of the logistic regression."))
    balanced: bool = field(default=True, metadata=_help("Weight classes inversely to their frequency."))

    def __post_init__(self) -> None:
        if self.max_tokens < 8 or self.batch_size < 1 or self.c <= 0:
            raise UsageError("linear probe: max_tokens >= 8, batch_size >= 1, c > 0")

    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pooled_states(model: Any, tokenizer: Any, texts: Sequence[str], config: ProbeConfig,
                  progress: Progress | None = None) -> Any:
    """A (len(texts), hidden) float32 numpy array: the last hidden layer averaged over each text's tokens."""
    import numpy as np
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = getattr(base, "model", base)  # the transformer below the output head, when there is one
    device = next(base.parameters()).device
    out: list[Any] = []
    with torch.no_grad():
        for start in range(0, len(texts), config.batch_size):
            chunk = [tokenizer(t, add_special_tokens=False, truncation=True, max_length=config.max_tokens)["input_ids"]
                     or [tokenizer.eos_token_id or 0] for t in texts[start:start + config.batch_size]]
            width = max(len(ids) for ids in chunk)
            ids = torch.zeros((len(chunk), width), dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for i, row in enumerate(chunk):  # right padding: positions are unaffected
                ids[i, :len(row)] = torch.tensor(row)
                mask[i, :len(row)] = 1
            hidden = decoder(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state.float()
            weights = mask.to(device).unsqueeze(-1).float()
            out.append(((hidden * weights).sum(1) / weights.sum(1)).cpu().numpy())
            if progress:
                progress(min(start + config.batch_size, len(texts)), len(texts))
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


def fit_predict(model: Any, tokenizer: Any, train_records: Sequence[Mapping[str, Any]],
                test_records: Sequence[Mapping[str, Any]], label_field: str, config: ProbeConfig | None = None,
                progress: Progress | None = None) -> tuple[list[str], dict[str, Any]]:
    """Fit on `train_records[label_field]`, predict `test_records`; returns (predictions, info).

    info: fit_seconds (encoding the training notes and fitting), predict_seconds (encoding and scoring
    the test notes), features (hidden size), classes, train_size. `progress(done, total)` counts notes
    encoded, training then test.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    config = config or ProbeConfig()
    labels = [str(r.get(label_field) or "") for r in train_records]
    if not train_records or any(not label for label in labels):
        raise UsageError(f"every training record needs a value in {label_field!r}")
    total = len(train_records) + len(test_records)

    def relay(offset: int) -> Progress | None:
        return None if progress is None else (lambda done, _n: progress(offset + done, total))

    started = time.perf_counter()
    x_train = pooled_states(model, tokenizer, [str(r.get(config.text_field) or "") for r in train_records], config,
                            relay(0))
    classes = sorted(set(labels))
    scaler = StandardScaler().fit(x_train)
    classifier = None
    if len(classes) > 1:
        classifier = LogisticRegression(C=config.c, max_iter=3000, class_weight="balanced" if config.balanced else None)
        classifier.fit(scaler.transform(x_train), labels)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    x_test = pooled_states(model, tokenizer, [str(r.get(config.text_field) or "") for r in test_records], config,
                           relay(len(train_records)))
    if classifier is None:
        predictions = [classes[0]] * len(test_records)
    else:
        predictions = [str(p) for p in classifier.predict(scaler.transform(x_test))]
    info = {"fit_seconds": fit_seconds, "predict_seconds": time.perf_counter() - started,
            "features": int(x_train.shape[1]), "classes": classes, "train_size": len(train_records)}
    return predictions, info
