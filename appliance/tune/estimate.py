"""Before training: how much memory a run will need, how long it will take, and whether it fits.

Memory is a sum of parts, per process:
  weights      every parameter at its storage width (4-bit NF4 plus block constants for a QLoRA base;
               embeddings and norms are never quantised)
  gradients    one fp32 value per trainable parameter
  optimizer    AdamW's two fp32 moments per trainable parameter
  activations  what backward needs, per token and layer, times batch_size x max_seq_len; with gradient
               checkpointing only each layer's input plus one layer's worth; plus the output-head logits
  runtime      the framework itself (libraries, allocator slack, CUDA context)
The activation coefficients are empirical (measured on Llama-style models with sdpa attention) and
deliberately on the high side: the estimate exists to refuse runs that would crash, not to promise
that a borderline one fits.

Time comes from a calibration: a few real optimizer steps on a couple of real rows (`calibrate`), with a
zero learning rate so the weights do not change, scaled to the configured batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch

from appliance.data.packing import TokenExample
from appliance.errors import ApplianceError
from appliance.runtime.device import resolve_dtype
from appliance.tune import memory
from appliance.tune.attention import packed_attention
from appliance.tune.checkpoint import rng_state, set_rng_state
from appliance.tune.config import TuneConfig
from appliance.tune.methods.lora import lora_trainable_params as lora_trainable_params
from appliance.tune.methods.registry import MemoryModel, get_method, specific_settings
from appliance.tune.plan import build_rows, collate, make_collator
from appliance.tune.prepared import ModelInfo
from appliance.tune.steps import accepts_logits_to_keep, micro_loss

GB = 1024**3
# Activation bytes per token per layer = BYTES x (A_HIDDEN x hidden + A_INTER x intermediate), counted from
# what a Llama layer saves for backward (norm inputs, projections, rotary, attention output, MLP products).
# LoRA dropout adds its own dropped copy of the input for every adapted projection (DROPOUT_*); a method
# may add more (its `MemoryModel.extra_*`, e.g. the 4-bit path of bitsandbytes). SLACK covers backward
# temporaries and allocator fragmentation. Checked against peak RSS on SmolLM2-135M (CPU, fp32,
# 2 x 1024 tokens, GiB measured / estimated): lora 5.8 / 6.6, qlora 6.3 / 7.6, full 6.1 / 8.1.
A_HIDDEN = 16
A_INTER = 5
DROPOUT_HIDDEN = 8
DROPOUT_INTER = 2
SLACK = 1.3
RUNTIME_BYTES = {"cpu": 700 * 1024**2, "cuda": 900 * 1024**2}
FIT_MARGIN = 0.9  # leave 10% of what is available for everything else on the machine


@dataclass(frozen=True)
class Calibration:
    """Measured speed of the prepared model on this machine."""

    seconds_per_step: float  # one optimizer step over `tokens_per_step` tokens
    tokens_per_step: int

    @property
    def seconds_per_token(self) -> float:
        return self.seconds_per_step / max(1, self.tokens_per_step)


@dataclass(frozen=True)
class Estimate:
    method: str
    device: str
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    runtime_bytes: int
    total_bytes: int
    tokens_per_step: int  # upper bound: every row full
    seconds_per_step: float | None = None
    seconds_per_epoch: float | None = None
    steps_per_epoch: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        parts = [f"{self.method}: peak memory about {self.total_bytes / GB:.2f} GB"
                 f" (weights {self.weights_bytes / GB:.2f}, activations {self.activations_bytes / GB:.2f},"
                 f" optimizer+gradients {(self.optimizer_bytes + self.gradients_bytes) / GB:.2f})"]
        if self.seconds_per_step is not None:
            parts.append(f"{self.seconds_per_step:.2f} s/step")
        if self.seconds_per_epoch is not None:
            parts.append(f"{self.seconds_per_epoch / 60:.1f} min/epoch")
        return ", ".join(parts)


def _device_type(device: torch.device | str) -> str:
    return torch.device(device).type


def estimate(
    model_info: ModelInfo,
    config: TuneConfig,
    device: torch.device | str = "cpu",
    *,
    calibration: Calibration | None = None,
    rows_per_epoch: int | None = None,
    world_size: int = 1,
) -> Estimate:
    """Peak memory per process of training `model_info` with `config` on `device`, and with a
    `calibration` (and `rows_per_epoch`, the number of packed rows) the time per step and epoch."""
    kind = _device_type(device)
    compute_bytes = 2 if resolve_dtype(config.dtype) == torch.bfloat16 and kind == "cuda" else 4
    memory_model = _memory(config.method)
    total, trainable = model_info.total_params, model_info.trainable_params
    if model_info.method != config.method:
        trainable = memory_model.trainable(model_info, config)

    if memory_model.master_all:
        frozen_bytes = 0.0  # fp32 master weights: every weight counted below (frozen layers too)
        master = total
    else:
        frozen = total - trainable
        if memory_model.quant_storage_bits:
            quantised = max(0, frozen - model_info.embedding_params)
            frozen_bytes = quantised * memory_model.quant_storage_bits / 8 + model_info.embedding_params * 4
        else:
            frozen_bytes = frozen * compute_bytes
        master = trainable
    weights = int(frozen_bytes + master * 4)
    gradients = trainable * 4
    optimizer = trainable * 8

    tokens = config.batch_size * config.max_seq_len
    h, inter = model_info.hidden_size, model_info.intermediate_size
    floats = A_HIDDEN * h + A_INTER * inter
    if memory_model.adapter_dropout and config.lora_dropout > 0:
        floats += DROPOUT_HIDDEN * h + DROPOUT_INTER * inter
    floats += memory_model.extra_hidden * h + memory_model.extra_inter * inter
    per_token_layer = compute_bytes * floats * SLACK
    if config.gradient_checkpointing:
        layers = tokens * (model_info.n_layers * h * compute_bytes + per_token_layer)
    else:
        layers = tokens * model_info.n_layers * per_token_layer
    # Full-vocabulary logits for every position would cost three times this (logits, fp32 copy, softmax
    # gradient); the trainer computes them only at target positions, a fraction of each row.
    logits = tokens * model_info.vocab_size * 4
    activations = int(layers + logits)
    runtime = RUNTIME_BYTES.get(kind, RUNTIME_BYTES["cpu"])

    tokens_per_step = tokens * config.grad_accum * world_size
    seconds_per_step = seconds_per_epoch = None
    steps_per_epoch = None
    if calibration is not None:
        seconds_per_step = calibration.seconds_per_token * tokens * config.grad_accum
    if rows_per_epoch is not None:
        steps_per_epoch = math.ceil(rows_per_epoch / (config.batch_size * config.grad_accum * world_size))
        if seconds_per_step is not None:
            seconds_per_epoch = seconds_per_step * steps_per_epoch
    return Estimate(
        method=config.method,
        device=kind,
        weights_bytes=weights,
        gradients_bytes=gradients,
        optimizer_bytes=optimizer,
        activations_bytes=activations,
        runtime_bytes=runtime,
        total_bytes=weights + gradients + optimizer + activations + runtime,
        tokens_per_step=tokens_per_step,
        seconds_per_step=seconds_per_step,
        seconds_per_epoch=seconds_per_epoch,
        steps_per_epoch=steps_per_epoch,
    )


def _memory(method: str) -> MemoryModel:
    memory_model = get_method(method).memory
    if memory_model is None:
        raise ApplianceError(f"{method} trains no model; there is no training memory to estimate")
    return memory_model


def check_fits(
    estimate_: Estimate,
    available_bytes: int | None = None,
    *,
    model_info: ModelInfo | None = None,
    config: TuneConfig | None = None,
) -> None:
    """Raise ApplianceError, with advice, if the estimate exceeds 90% of the available memory.

    `available_bytes` defaults to free GPU memory or available RAM. With `model_info` and `config`
    the advice names only changes whose own estimate would fit, smallest change first.
    """
    if available_bytes is None:
        available_bytes = memory.available_bytes("cuda" if estimate_.device == "cuda" else "cpu")
    budget = available_bytes * FIT_MARGIN
    if estimate_.total_bytes <= budget:
        return
    advice = _advice(estimate_, budget, model_info, config)
    raise ApplianceError(
        f"training needs about {estimate_.total_bytes / GB:.1f} GB but only {available_bytes / GB:.1f} GB is "
        f"available; {advice}"
    )


def _advice(est: Estimate, budget: float, info: ModelInfo | None, config: TuneConfig | None) -> str:
    lighter = _memory(est.method).suggest_instead
    generic = ["a smaller batch_size (raise grad_accum to keep the global batch)", "gradient_checkpointing = true",
               *(_method_advice(m) for m in lighter[-1:])]
    if info is None or config is None:
        return "try " + ", or ".join(generic)
    candidates: list[tuple[str, TuneConfig]] = []
    if config.batch_size > 1:
        smaller = max(1, config.batch_size // 2)
        accum = config.grad_accum * config.batch_size // smaller
        candidates.append((f"batch_size = {smaller} with grad_accum = {accum}",
                           replace(config, batch_size=smaller, grad_accum=accum)))
        candidates.append(("batch_size = 1", replace(config, batch_size=1)))
    if not config.gradient_checkpointing:
        candidates.append(("gradient_checkpointing = true", replace(config, gradient_checkpointing=True)))
    for method in lighter:
        candidates.append((_method_advice(method), _as_method(config, method)))
    if config.max_seq_len > 256:
        half = config.max_seq_len // 2
        candidates.append((f"max_seq_len = {half}", replace(config, max_seq_len=half)))
    fitting = [label for label, cfg in candidates if estimate(info, cfg, est.device).total_bytes <= budget]
    if fitting:
        return "try " + ", or ".join(fitting[:3])
    return "no single change fits; combine " + ", ".join(label for label, _ in candidates) + " or use a larger machine"


def _method_advice(method: str) -> str:
    hint = get_method(method).hint
    return f"method {method}" + (f" ({hint})" if hint else "")


def _as_method(config: TuneConfig, method: str) -> TuneConfig:
    """`config` for another method: settings only other methods take go back to their defaults."""
    values = config.to_dict()
    defaults = TuneConfig.__dataclass_fields__
    for name, owners in specific_settings().items():
        if method not in owners:
            values[name] = defaults[name].default
    values["method"] = method
    return TuneConfig.from_dict(values)


def calibrate(
    model: Any,
    examples: Sequence[TokenExample],
    config: TuneConfig,
    *,
    rows: int = 2,
    steps: int = 3,
    pad_id: int = 0,
) -> Calibration:
    """Time `steps` optimizer steps on the first `rows` packed rows (the longest), after one untimed
    warm-up step. The model's weights and the random generators are left as they were: the optimizer
    has a zero learning rate and is thrown away."""
    saved_rng = rng_state()
    built = build_rows(examples, config)[: max(1, rows)]
    collator = make_collator(pad_id)
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in collate(built, collator).items()}
    tokens = int(sum(len(r) for r in built))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=0.0, weight_decay=0.0, foreach=False)
    keep_logits = accepts_logits_to_keep(model)
    was_training = model.training
    model.train()
    timings = []
    try:
        with packed_attention(model):  # time the attention the trainer uses
            for i in range(steps + 1):
                start = time.perf_counter()
                loss, _ = micro_loss(model, batch, keep_logits=keep_logits)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                if i:
                    timings.append(time.perf_counter() - start)
    finally:
        model.train(was_training)
        set_rng_state(saved_rng)
    return Calibration(seconds_per_step=sorted(timings)[len(timings) // 2], tokens_per_step=tokens)
