"""Full fine-tuning: every weight trainable, optionally with the embeddings and the lowest layers frozen.
The artifact is every weight (safetensors): the largest artifact and the most memory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import InvalidInput
from appliance.tune.methods.lora import text_config
from appliance.tune.methods.registry import MemoryModel, register_method

if TYPE_CHECKING:
    import torch

    from appliance.tune.config import TuneConfig

PRESETS = {
    "small": {"learning_rate": 2e-5, "batch_size": 4, "grad_accum": 1, "weight_decay": 0.01, "warmup_steps": 0},
    "medium": {"learning_rate": 1e-5, "batch_size": 1, "grad_accum": 8, "weight_decay": 0.01,
               "gradient_checkpointing": True, "freeze_embeddings": True},
    "large": {"learning_rate": 5e-6, "batch_size": 1, "grad_accum": 16, "weight_decay": 0.01,
              "gradient_checkpointing": True, "freeze_embeddings": True},
}


def transformer_layers(model: Any) -> torch.nn.ModuleList:
    """The stack of decoder layers (the ModuleList whose length is the configured layer count)."""
    import torch

    n_layers = int(getattr(text_config(model), "num_hidden_layers", -1))
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == n_layers:
            return module
    raise InvalidInput("cannot find the transformer layers of this model; freeze_layers is unsupported for it")


@register_method(
    "full",
    label="full fine-tuning",
    title="Full fine-tuning",
    description="every weight trained (most memory)",
    kind="full",
    cost_rank=6,
    presets=PRESETS,
    settings=frozenset({"freeze_embeddings", "freeze_layers"}),
    # Frozen layers keep their fp32 copy too, so the weights count in full whatever is frozen.
    memory=MemoryModel(trainable=lambda info, config: info.total_params, master_all=True,
                       suggest_instead=("lora", "qlora")),
    artifact="full",
    compared_by_default=True,
)
def build(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    import torch

    from appliance.tune import loading

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
