"""LoRA: low-rank adapters on the attention and MLP projections of a frozen base (Hu et al. 2021,
arXiv:2106.09685). The artifact is the adapter alone, a few MB.

The helpers here (`attach_lora`, `lora_trainable_params`, `default_target_modules`) are shared by the
other adapter methods (DoRA, QLoRA).

Hazard: adapter initialisation draws from torch's global generator, seeded here with `config.seed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import InvalidInput
from appliance.tune.methods.registry import MemoryModel, register_method

if TYPE_CHECKING:
    from appliance.tune.config import TuneConfig
    from appliance.tune.prepared import ModelInfo

# Architectures whose projections carry the Llama names; others fall back to peft's "all-linear".
LLAMA_LIKE = frozenset({"llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text",
                        "olmo", "olmo2", "granite", "smollm3"})
LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
SETTINGS = frozenset({"lora_r", "lora_alpha", "lora_dropout", "target_modules"})

# LoRA-family rates are ~10x full fine-tuning rates: only a low-rank update is learned.
PRESETS = {
    "small": {"learning_rate": 2e-4, "lora_r": 16, "lora_alpha": 32, "batch_size": 4, "grad_accum": 1},
    "medium": {"learning_rate": 1e-4, "lora_r": 16, "lora_alpha": 32, "batch_size": 2, "grad_accum": 4,
               "gradient_checkpointing": True},
    "large": {"learning_rate": 1e-4, "lora_r": 16, "lora_alpha": 32, "batch_size": 1, "grad_accum": 8,
              "gradient_checkpointing": True},
}


def lora_trainable_params(info: ModelInfo, r: int, *, dora: bool = False) -> int:
    """Adapter parameters on the seven Llama projections: r x (in + out) each, plus DoRA magnitudes."""
    h, inter, n = info.hidden_size, info.intermediate_size, info.n_layers
    kv = h // max(1, info.n_heads) * info.n_kv_heads
    per_layer = r * (9 * h + 2 * kv + 3 * inter)
    if dora:
        per_layer += 3 * h + 2 * kv + 2 * inter
    return n * per_layer


def text_config(model: Any) -> Any:
    cfg = model.config
    return getattr(cfg, "text_config", None) or cfg


def default_target_modules(model: Any) -> list[str] | str:
    """The LoRA targets for this architecture: the seven Llama projections, or every linear layer."""
    if str(getattr(text_config(model), "model_type", "")) in LLAMA_LIKE:
        return list(LLAMA_TARGETS)
    return "all-linear"


def attach_lora(model: Any, config: TuneConfig, *, dora: bool, task_type: str = "CAUSAL_LM") -> Any:
    import torch
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
        task_type=task_type,
    )
    torch.manual_seed(config.seed)
    try:
        return get_peft_model(model, lora)
    except ValueError as exc:
        if "target" in str(exc).lower():
            raise InvalidInput(f"target_modules do not match this model's layers: {config.target_modules}") from None
        raise


@register_method(
    "lora",
    label="LoRA adapter",
    title="LoRA",
    description="low-rank adapter on the attention and MLP projections",
    kind="adapter",
    cost_rank=4,
    presets=PRESETS,
    settings=SETTINGS,
    memory=MemoryModel(trainable=lambda info, config: lora_trainable_params(info, config.lora_r),
                       adapter_dropout=True, suggest_instead=("qlora",)),
    artifact="adapter",
    compared_by_default=True,
    default_choice=True,
)
def build(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    from appliance.tune import loading

    model, tokenizer = loading.load_base(base, loading.resolve_dtype(config.dtype))
    return attach_lora(model, config, dora=False), tokenizer
