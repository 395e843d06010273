"""DoRA: LoRA with a learned per-column magnitude (Liu et al. 2024, arXiv:2402.09353); slower per step
than LoRA. The artifact is the adapter alone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.tune.methods.lora import SETTINGS, attach_lora, lora_trainable_params
from appliance.tune.methods.registry import MemoryModel, register_method

if TYPE_CHECKING:
    from appliance.tune.config import TuneConfig

PRESETS = {
    "small": {"learning_rate": 1e-4, "lora_r": 16, "lora_alpha": 32, "batch_size": 4, "grad_accum": 1},
    "medium": {"learning_rate": 1e-4, "lora_r": 16, "lora_alpha": 32, "batch_size": 2, "grad_accum": 4,
               "gradient_checkpointing": True},
    "large": {"learning_rate": 5e-5, "lora_r": 16, "lora_alpha": 32, "batch_size": 1, "grad_accum": 8,
              "gradient_checkpointing": True},
}


@register_method(
    "dora",
    label="DoRA adapter",
    title="DoRA",
    description="LoRA with a learned magnitude per weight column",
    kind="adapter",
    cost_rank=5,
    presets=PRESETS,
    settings=SETTINGS,
    memory=MemoryModel(trainable=lambda info, config: lora_trainable_params(info, config.lora_r, dora=True),
                       adapter_dropout=True, suggest_instead=("qlora",)),
    artifact="adapter",
)
def build(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    from appliance.tune import loading

    model, tokenizer = loading.load_base(base, loading.resolve_dtype(config.dtype))
    return attach_lora(model, config, dora=True), tokenizer
