"""LoRA with a classification head: sequence classification instead of label likelihood.

The base model reads the note once; a linear head over the last hidden state of the note's final token
(transformers' `*ForSequenceClassification`, e.g. `LlamaForSequenceClassification`) scores the classes,
and LoRA adapters on the attention and MLP projections (Hu et al. 2021, arXiv:2106.09685) let the
features adapt to the task (peft's `task_type="SEQ_CLS"`, which trains and saves the head with the
adapters). The loss is cross-entropy weighted by class, `n / (k * count)` as scikit-learn's
"balanced", so a rare class weighs as much as a common one: what macro-F1 rewards. A query costs one
forward pass and no generated tokens.

Training runs on the CPU as the tuning engine does: the frozen base in bfloat16 on CPUs with native
bfloat16 (`appliance.tune.loading.resolve_dtype`), trainable weights in float32, the forward and backward
under bfloat16 autocast. It stops at its planned steps (epochs or max_steps) or when its wall-clock
budget is spent, whichever comes first, and checks `should_stop` between steps.

Hazards:
- Note text lives in memory only; `train` and `predict` return figures and labels, never text.
- The model is a classifier, not a generator: it cannot be exported as merged weights or ONNX for the
  chat API; its artifact (adapter + head) is sealed in the workspace for the record.
- Adapter and head initialisation draw from torch's global generator, seeded with `config.seed`.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from appliance.errors import UsageError
from appliance.fieldhelp import help_of
from appliance.fieldhelp import help_text as _help

Progress = Callable[..., None]  # progress(step, total, loss=...)
Clock = Callable[[], float]


@dataclass
class HeadConfig:
    """Settings of LoRA with a classification head."""

    text_field: str = field(default="text", metadata=_help("Record field that holds the note text."))
    max_tokens: int = field(default=256, metadata=_help("Tokens of each note read (the rest is cut)."))
    batch_size: int = field(default=8, metadata=_help("Notes per optimizer step."))
    learning_rate: float = field(default=5e-4, metadata=_help("Peak learning rate of the adapters and the head."))
    epochs: int = field(default=2, metadata=_help("Passes over the training notes (ignored if max_steps > 0)."))
    max_steps: int = field(default=0, metadata=_help("Optimizer steps to run; 0 means epochs x steps per epoch."))
    budget_seconds: float | None = field(default=None, metadata=_help(
        "Wall-clock training budget: training stops when it is spent (empty = no limit)."))
    lora_r: int = field(default=16, metadata=_help("Rank of the LoRA adapters."))
    lora_alpha: int = field(default=32, metadata=_help("LoRA scaling numerator (scale = alpha / r)."))
    lora_dropout: float = field(default=0.05, metadata=_help("Dropout on the adapters' input while training."))
    balanced: bool = field(default=True, metadata=_help("Weight the loss of each class inversely to its frequency."))
    warmup_fraction: float = field(default=0.05, metadata=_help("Share of the planned steps spent warming up."))
    seed: int = field(default=42, metadata=_help("Seed of adapter and head initialisation and data order."))
    dtype: str = field(default="auto", metadata=_help(
        "Compute dtype: auto (bfloat16 on a CUDA GPU that supports it and on a CPU with native bfloat16, "
        "else float32), float32 or bfloat16."))

    def __post_init__(self) -> None:
        if self.max_tokens < 8 or self.batch_size < 1 or self.learning_rate <= 0 or self.epochs < 1:
            raise UsageError("LoRA head: max_tokens >= 8, batch_size >= 1, learning_rate > 0, epochs >= 1")
        if self.max_steps < 0 or self.lora_r < 1 or self.lora_alpha < 1 or not 0 <= self.lora_dropout < 1:
            raise UsageError("LoRA head: max_steps >= 0, lora_r >= 1, lora_alpha >= 1, 0 <= lora_dropout < 1")
        if self.budget_seconds is not None and self.budget_seconds <= 0:
            raise UsageError("LoRA head: the budget must be a positive number of seconds")
        if not 0 <= self.warmup_fraction < 1 or self.dtype not in ("auto", "float32", "bfloat16"):
            raise UsageError("LoRA head: 0 <= warmup_fraction < 1; dtype auto, float32 or bfloat16")

    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> HeadConfig:
        """Take the fields this config knows from `values` (shared training settings carry others)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def class_weights(labels: Sequence[str], classes: Sequence[str]) -> list[float]:
    """Loss weight per class, `n / (k * count)` (scikit-learn's "balanced"): 1.0 each when balanced."""
    counts = Counter(labels)
    n, k = len(labels), len(classes)
    return [n / (k * counts[c]) if counts[c] else 0.0 for c in classes]


def build_model(base_dir: Path, num_labels: int, pad_token_id: int, config: HeadConfig) -> Any:
    """A sequence classifier on the base model in `base_dir` with LoRA adapters and a trainable head.

    The head (`score` on Llama-like models) is new and initialised from `config.seed`; peft's SEQ_CLS
    task trains it in full beside the adapters and saves it with them.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    from appliance.tune.loading import resolve_dtype
    from appliance.tune.methods.lora import default_target_modules

    torch.manual_seed(config.seed)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "score.weight newly initialised": that is the point
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            base_dir, num_labels=num_labels, dtype=resolve_dtype(config.dtype), local_files_only=True)
    finally:
        hf_logging.set_verbosity(verbosity)
    model.config.pad_token_id = pad_token_id  # the head reads the last token that is not padding
    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=default_target_modules(model), bias="none", task_type="SEQ_CLS")
    model = get_peft_model(model, lora)
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()  # fp32 trainable weights; the frozen base stays in its dtype
    return model


def load_model(base_dir: Path, artifact_dir: Path, num_labels: int, pad_token_id: int, config: HeadConfig) -> Any:
    """The classifier a run sealed: the model `build_model` makes with the run's settings, its adapters and
    head replaced by those saved in `artifact_dir` (by `model.save_pretrained`), in the same dtypes as when
    it was trained and scored."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    model = build_model(base_dir, num_labels, pad_token_id, config)
    state = load_file(str(artifact_dir / "adapter_model.safetensors"))
    result = set_peft_model_state_dict(model, state)
    unexpected = list(getattr(result, "unexpected_keys", ()) or ())
    if unexpected:
        raise UsageError(f"LoRA head: the saved weights do not fit this model ({len(unexpected)} unknown tensors)")
    model.eval()
    return model


def encode(tokenizer: Any, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
    """Token ids per note, cut to `max_tokens`, ending with the end-of-sequence token when it differs from
    padding (the head then always reads the same closing position)."""
    eos, pad = tokenizer.eos_token_id, pad_id(tokenizer)
    closing = [eos] if eos is not None and eos != pad else []
    out = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False, truncation=True,
                        max_length=max_tokens - len(closing))["input_ids"]
        out.append([i for i in ids if i != pad] + closing or [eos if eos is not None else 0])
    return out


def pad_id(tokenizer: Any) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise UsageError("LoRA head: the tokenizer has neither a padding nor an end-of-sequence token")
    return int(pad)


def _batch(rows: Sequence[list[int]], pad: int, device: Any) -> tuple[Any, Any]:
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):  # right padding: positions of the real tokens are unaffected
        ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
    return ids.to(device), mask.to(device)


def _autocast(model: Any) -> Any:
    import contextlib

    import torch

    device = next(model.parameters()).device
    if any(p.dtype == torch.bfloat16 for p in model.parameters()):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch's batches of indices: shuffled, then grouped by length within windows of 16 batches so
    little compute goes to padding, then the batches shuffled again."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 16
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def train(model: Any, tokenizer: Any, records: Sequence[Mapping[str, Any]], label_field: str,
          classes: Sequence[str], config: HeadConfig, *, progress: Progress | None = None,
          should_stop: Callable[[], bool] | None = None, clock: Clock = time.monotonic) -> dict[str, Any]:
    """Train `model` (from `build_model`) on `records[label_field]`; returns the training figures.

    Figures: steps, planned_steps, epochs (fraction of passes done), losses (per step), stopped_by
    ("steps", "budget" or "cancelled"), train_seconds, tokens, tokens_per_s, class_weights, train_size.
    The budget is read from `clock` before every step: a step is started only when, at the mean pace so
    far, it would end within the budget (the first step always runs).
    """
    import torch
    import torch.nn.functional as F

    labels = [str(r.get(label_field) or "") for r in records]
    if not records or any(not label for label in labels):
        raise UsageError(f"every training record needs a value in {label_field!r}")
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise UsageError(f"training labels not among the classes: {', '.join(unknown[:5])}")
    weights = class_weights(labels, classes) if config.balanced else [1.0] * len(classes)
    rows = encode(tokenizer, [str(r.get(config.text_field) or "") for r in records], config.max_tokens)
    targets = [index[label] for label in labels]
    per_epoch = math.ceil(len(rows) / config.batch_size)
    planned = config.max_steps or config.epochs * per_epoch
    warmup = int(planned * config.warmup_fraction)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
    device = next(model.parameters()).device
    weight = torch.tensor(weights, dtype=torch.float32, device=device)
    pad, rng = pad_id(tokenizer), random.Random(config.seed)
    started = clock()
    losses: list[float] = []
    queue: list[list[int]] = []
    tokens, stopped_by = 0, "steps"
    model.train()
    while len(losses) < planned:
        if should_stop and should_stop():
            stopped_by = "cancelled"
            break
        elapsed = clock() - started
        pace = elapsed / len(losses) if losses else 0.0  # a step is not started that would end past the budget
        if config.budget_seconds is not None and elapsed + pace > config.budget_seconds:
            stopped_by = "budget"
            break
        if not queue:
            queue = _batches([len(r) for r in rows], config.batch_size, rng)
        chosen = queue.pop()
        step = len(losses)
        # Linear warm-up, then linear decay over whichever runs out first: the planned steps or the budget.
        done = step / planned
        if config.budget_seconds is not None:
            done = max(done, elapsed / config.budget_seconds)
        scale = min(1.0, (step + 1) / warmup) if warmup else 1.0
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * scale * max(0.05, 1.0 - done)
        ids, mask = _batch([rows[i] for i in chosen], pad, device)
        with _autocast(model):
            logits = model(input_ids=ids, attention_mask=mask).logits
        loss = F.cross_entropy(logits.float(), torch.tensor([targets[i] for i in chosen], device=device),
                               weight=weight)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(round(float(loss.detach()), 5))
        tokens += int(mask.sum())
        if progress:
            progress(len(losses), planned, loss=losses[-1])
    model.eval()
    seconds = clock() - started
    return {"steps": len(losses), "planned_steps": planned, "epochs": round(len(losses) / per_epoch, 3),
            "losses": losses, "stopped_by": stopped_by, "train_seconds": round(seconds, 3), "tokens": tokens,
            "tokens_per_s": round(tokens / seconds, 1) if seconds > 0 else None,
            "class_weights": dict(zip(classes, (round(w, 4) for w in weights), strict=True)),
            "train_size": len(records)}


def predict_logits(model: Any, tokenizer: Any, texts: Sequence[str], config: HeadConfig,
                   progress: Progress | None = None) -> Any:
    """A (len(texts), classes) float32 numpy array of the head's scores, in the order of `texts`."""
    import numpy as np
    import torch

    rows = encode(tokenizer, texts, config.max_tokens)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))  # similar lengths together: less padding
    device = next(model.parameters()).device
    out: dict[int, Any] = {}
    model.eval()
    with torch.no_grad():
        for start in range(0, len(order), config.batch_size):
            chosen = order[start:start + config.batch_size]
            ids, mask = _batch([rows[i] for i in chosen], pad_id(tokenizer), device)
            with _autocast(model):
                logits = model(input_ids=ids, attention_mask=mask).logits.float().cpu().numpy()
            for i, row in zip(chosen, logits, strict=True):
                out[i] = row
            if progress:
                progress(min(start + config.batch_size, len(order)), len(order))
    n_classes = int(model.config.num_labels) if hasattr(model, "config") else 0
    return np.stack([out[i] for i in range(len(rows))]) if rows else np.zeros((0, n_classes), dtype=np.float32)


def predict(model: Any, tokenizer: Any, records: Sequence[Mapping[str, Any]], classes: Sequence[str],
            config: HeadConfig, progress: Progress | None = None) -> list[str]:
    """The highest-scoring class per record."""
    logits = predict_logits(model, tokenizer, [str(r.get(config.text_field) or "") for r in records], config,
                            progress)
    return [str(classes[int(i)]) for i in logits.argmax(axis=1)] if len(records) else []
