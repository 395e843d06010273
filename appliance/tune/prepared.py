"""Preparing a base model for training with a registered method, and saving what training produced.

`prepare(method, base, config, scratch_dir)` returns `(model, tokenizer, info)`: the method's build
function (see `appliance.tune.methods`) in training mode, seeded with `config.seed`, and a `ModelInfo`
the estimator and the GUI use. `save_artifact` writes the result: the adapter alone for a PEFT model
(a few MB), all weights otherwise.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from appliance.errors import InvalidInput
from appliance.tune import loading
from appliance.tune.config import TuneConfig
from appliance.tune.methods.registry import get_method


@dataclass(frozen=True)
class ModelInfo:
    """What a prepared model is, in numbers the estimator and the GUI use."""

    method: str
    architecture: str
    total_params: int  # logical parameters (a 4-bit weight counts as one parameter)
    trainable_params: int
    weight_bytes: int  # bytes the weights occupy in memory as prepared
    n_layers: int
    hidden_size: int
    intermediate_size: int
    vocab_size: int
    n_heads: int
    n_kv_heads: int
    weight_bits: int  # bits per frozen base weight: 4 for qlora, else 16 or 32
    embedding_params: int = 0  # input embeddings plus an untied output head (never quantised)

    @property
    def trainable_fraction(self) -> float:
        return self.trainable_params / max(1, self.total_params)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArtifactInfo:
    kind: str  # "adapter" or "full"
    path: Path
    bytes: int
    files: tuple[str, ...]


def prepare(method: str, base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any, ModelInfo]:
    """Prepare `base` (GGUF file, model directory or model object) for training with `method`.

    Returns the model in training mode, its tokenizer (None when `base` is a model object) and a
    `ModelInfo`. `scratch_dir` must be private (0700): QLoRA writes converted base weights there.
    """
    entry = get_method(method)
    if entry.build is None:
        raise InvalidInput(f"{method} is a baseline: nothing to train (compare it with 'appliance compare')")
    if config.method != method:
        raise InvalidInput(f"config is for method {config.method!r}, not {method!r}")
    Path(scratch_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    torch.manual_seed(config.seed)
    model, tokenizer = entry.build(base, config, Path(scratch_dir))
    model.config.use_cache = False  # a KV cache is useless in training and breaks packed attention
    model.train()
    return model, tokenizer, model_info(model, config)


def model_info(model: Any, config: TuneConfig) -> ModelInfo:
    cfg = _text_config(model)
    total = trainable = weight_bytes = 0
    for p in model.parameters():
        n = _logical_numel(p)
        total += n
        weight_bytes += p.numel() * p.element_size()
        if p.requires_grad:
            trainable += n
    heads = int(getattr(cfg, "num_attention_heads", 0) or 0)
    embeddings = {id(m.weight): m.weight.numel() for m in (model.get_input_embeddings(), model.get_output_embeddings())
                  if m is not None and getattr(m, "weight", None) is not None}
    return ModelInfo(
        method=config.method,
        architecture=str(getattr(cfg, "model_type", "unknown")),
        total_params=total,
        trainable_params=trainable,
        weight_bytes=weight_bytes,
        n_layers=int(getattr(cfg, "num_hidden_layers", 0) or 0),
        hidden_size=int(getattr(cfg, "hidden_size", 0) or 0),
        intermediate_size=int(getattr(cfg, "intermediate_size", 0) or 0),
        vocab_size=int(getattr(cfg, "vocab_size", 0) or 0),
        n_heads=heads,
        n_kv_heads=int(getattr(cfg, "num_key_value_heads", heads) or heads),
        weight_bits=_weight_bits(config),
        embedding_params=sum(embeddings.values()),
    )


def _logical_numel(p: torch.Tensor) -> int:
    state = getattr(p, "quant_state", None)  # bitsandbytes Params4bit packs two weights per byte
    if state is not None and getattr(state, "shape", None) is not None:
        return int(math.prod(state.shape))
    return p.numel()


def _text_config(model: Any) -> Any:
    cfg = model.config
    return getattr(cfg, "text_config", None) or cfg


def _weight_bits(config: TuneConfig) -> int:
    memory = get_method(config.method).memory
    if memory is not None and memory.quant_bits:
        return memory.quant_bits
    return 16 if loading.resolve_dtype(config.dtype) == torch.bfloat16 else 32


# -- artifacts ----------------------------------------------------------------------------------------


def is_adapter_model(model: Any) -> bool:
    from peft import PeftModel

    return isinstance(model, PeftModel)


def save_artifact(model: Any, out_dir: Path, tokenizer: Any = None) -> ArtifactInfo:
    """Write the trained result to `out_dir` (replaced atomically): the adapter alone for a PEFT model,
    all weights (safetensors) otherwise. The tokenizer is added when given."""
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(f".tmp-{out_dir.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True, mode=0o700)
    kind = "adapter" if is_adapter_model(model) else "full"
    if kind == "adapter":
        # The embeddings are never adapted here; "auto" would probe the base model's location (and, for
        # a name that is not a local path, the Hub) to decide whether to include them.
        model.save_pretrained(tmp, safe_serialization=True, save_embedding_layers=False)
    else:
        model.save_pretrained(tmp, safe_serialization=True)
    if tokenizer is not None:
        tokenizer.save_pretrained(tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    files = tuple(sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file()))
    size = sum((out_dir / f).stat().st_size for f in files)
    return ArtifactInfo(kind, out_dir, size, files)
