"""Tuning methods: one registry entry per method that turns a base model into a model ready to train.

Registered methods (`METHODS`, add one with `@register_method`):

- `lora`:  low-rank adapters on the attention and MLP projections (Hu et al. 2021, arXiv:2106.09685).
- `dora`:  LoRA with a learned per-column magnitude (Liu et al. 2024, arXiv:2402.09353); slower per step.
- `qlora`: LoRA on a base quantised to 4-bit NF4 by bitsandbytes (Dettmers et al. 2023, arXiv:2305.14314).
           bitsandbytes 0.50 runs NF4 on CPU, so this works without a GPU.
- `full`:  every weight trainable, optionally with the embeddings and the lowest layers frozen.

`prepare(method, base, config, scratch_dir)` returns `(model, tokenizer, info)`; `save_artifact` writes the
result: the adapter alone for the LoRA family (a few MB), all weights for `full`.

Hazards:
- QLoRA on CPU: a bitsandbytes `Linear4bit` in eval mode called without grad repacks its weights into
  a CPU inference layout; training through a repacked layer afterwards drops input gradients silently
  (bitsandbytes warns "autograd kernel was not registered"). `trainer.evaluation_mode` keeps those
  layers in training mode while evaluating; anything else that evaluates a QLoRA model mid-training
  must do the same. That CPU layout also needs in_features >= 64 (the NF4 block size).
- Adapter initialisation draws from torch's global generator, seeded here with `config.seed`.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from appliance.errors import InvalidInput
from appliance.tune import loading
from appliance.tune.config import TuneConfig

# Architectures whose projections carry the Llama names; others fall back to peft's "all-linear".
LLAMA_LIKE = frozenset({"llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text",
                        "olmo", "olmo2", "granite", "smollm3"})
LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


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


Build = Callable[[Any, TuneConfig, Path], tuple[Any, Any]]


@dataclass(frozen=True)
class Method:
    name: str
    description: str
    adapter_only: bool  # the artifact is the adapter alone (needs the base to be used)
    weight_bits: Callable[[TuneConfig], int]
    build: Build


METHODS: dict[str, Method] = {}


def register_method(
    name: str, *, description: str, adapter_only: bool, weight_bits: Callable[[TuneConfig], int] | None = None
) -> Callable[[Build], Build]:
    """Register `build(base, config, scratch_dir) -> (model, tokenizer)` as tuning method `name`."""

    def decorate(build: Build) -> Build:
        if name in METHODS:
            raise ValueError(f"tuning method {name!r} is already registered")
        METHODS[name] = Method(name, description, adapter_only, weight_bits or _base_bits, build)
        return build

    return decorate


def get_method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise InvalidInput(f"unknown tuning method {name!r}; choose one of: {', '.join(METHODS)}") from None


def prepare(method: str, base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any, ModelInfo]:
    """Prepare `base` (GGUF file, model directory or model object) for training with `method`.

    Returns the model in training mode, its tokenizer (None when `base` is a model object) and a
    `ModelInfo`. `scratch_dir` must be private (0700): QLoRA writes converted base weights there.
    """
    entry = get_method(method)
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
        weight_bits=get_method(config.method).weight_bits(config),
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


def _base_bits(config: TuneConfig) -> int:
    return 16 if loading.resolve_dtype(config.dtype) == torch.bfloat16 else 32


# -- LoRA family --------------------------------------------------------------------------------------


def default_target_modules(model: Any) -> list[str] | str:
    """The LoRA targets for this architecture: the seven Llama projections, or every linear layer."""
    if str(getattr(_text_config(model), "model_type", "")) in LLAMA_LIKE:
        return list(LLAMA_TARGETS)
    return "all-linear"


def _attach_lora(model: Any, config: TuneConfig, *, dora: bool) -> Any:
    from peft import LoraConfig, get_peft_model

    if config.gradient_checkpointing and not getattr(model, "is_loaded_in_4bit", False):
        # Non-reentrant checkpointing needs no input gradients, so frozen embeddings stay untouched.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules or default_target_modules(model),
        use_dora=dora,
        bias="none",
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(config.seed)
    try:
        return get_peft_model(model, lora)
    except ValueError as exc:
        if "target" in str(exc).lower():
            raise InvalidInput(f"target_modules do not match this model's layers: {config.target_modules}") from None
        raise


@register_method("lora", description="Low-rank adapters on a frozen base (small artifact).", adapter_only=True)
def _build_lora(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    model, tokenizer = loading.load_base(base, loading.resolve_dtype(config.dtype))
    return _attach_lora(model, config, dora=False), tokenizer


@register_method(
    "dora", description="Weight-decomposed LoRA: adapters plus a learned magnitude; slower.", adapter_only=True
)
def _build_dora(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    model, tokenizer = loading.load_base(base, loading.resolve_dtype(config.dtype))
    return _attach_lora(model, config, dora=True), tokenizer


@register_method(
    "qlora",
    description="LoRA on a 4-bit NF4 base: least memory, slightly slower and less exact.",
    adapter_only=True,
    weight_bits=lambda _config: 4,
)
def _build_qlora(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    from accelerate import PartialState
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    state = PartialState()
    # One process converts a GGUF base while the others wait, then all read the same directory.
    with state.main_process_first():
        hf_dir = loading.as_hf_dir(base, scratch_dir)
    compute = loading.resolve_dtype(config.dtype)
    quant = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute,
        bnb_4bit_quant_storage=torch.uint8,
    )
    model = AutoModelForCausalLM.from_pretrained(
        hf_dir, quantization_config=quant, dtype=compute, device_map={"": state.device}, local_files_only=True
    )
    model = prepare_model_for_kbit_training(
        model,
        use_gradient_checkpointing=config.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False},
    )
    tokenizer = loading.load_tokenizer(hf_dir)
    return _attach_lora(model, config, dora=False), tokenizer


# -- full fine-tuning ---------------------------------------------------------------------------------


def transformer_layers(model: Any) -> torch.nn.ModuleList:
    """The stack of decoder layers (the ModuleList whose length is the configured layer count)."""
    n_layers = int(getattr(_text_config(model), "num_hidden_layers", -1))
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == n_layers:
            return module
    raise InvalidInput("cannot find the transformer layers of this model; freeze_layers is unsupported for it")


@register_method("full", description="All weights trainable (largest artifact and memory).", adapter_only=False)
def _build_full(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    # Master weights stay fp32 even when computing in bf16: pure-bf16 AdamW loses small updates.
    model, tokenizer = loading.load_base(base, torch.float32)
    for p in model.parameters():
        p.requires_grad_(True)
    if config.freeze_embeddings:
        # With tied embeddings this also freezes the output head: it is the same tensor.
        model.get_input_embeddings().weight.requires_grad_(False)
    if config.freeze_layers:
        layers = transformer_layers(model)
        if config.freeze_layers > len(layers):
            raise InvalidInput(f"freeze_layers={config.freeze_layers} but the model has {len(layers)} layers")
        for layer in layers[: config.freeze_layers]:
            layer.requires_grad_(False)
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model, tokenizer


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
