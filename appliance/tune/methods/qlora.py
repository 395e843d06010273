"""QLoRA: LoRA on a base quantised to 4-bit NF4 by bitsandbytes (Dettmers et al. 2023, arXiv:2305.14314).
bitsandbytes 0.50 runs NF4 on CPU, so this works without a GPU. Least memory; slightly slower and less
exact than LoRA.

Hazards:
- On CPU a bitsandbytes `Linear4bit` in eval mode called without grad repacks its weights into a CPU
  inference layout; training through a repacked layer afterwards drops input gradients silently
  (bitsandbytes warns "autograd kernel was not registered"). `trainer.evaluation_mode` keeps those layers
  in training mode while evaluating; anything else that evaluates a QLoRA model mid-training must do the
  same. That CPU layout also needs in_features >= 64 (the NF4 block size).
- The converted base directory is written into the caller's private scratch directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.tune.methods.lora import SETTINGS, attach_lora, lora_trainable_params
from appliance.tune.methods.registry import MemoryModel, register_method

if TYPE_CHECKING:
    from appliance.tune.config import TuneConfig

NF4_BITS_PER_WEIGHT = 4.127  # 4 bits plus double-quantised absmax (8 bits per 64) and its constants
# The 4-bit path of bitsandbytes keeps some more activations per token and layer than a plain layer.
QLORA_HIDDEN = 2
QLORA_INTER = 2

# 4-bit bases lose a little precision; a larger rank recovers most of it (QLoRA paper).
PRESETS = {
    "small": {"learning_rate": 2e-4, "lora_r": 16, "lora_alpha": 32, "batch_size": 4, "grad_accum": 1},
    "medium": {"learning_rate": 2e-4, "lora_r": 32, "lora_alpha": 64, "batch_size": 2, "grad_accum": 4,
               "gradient_checkpointing": True},
    "large": {"learning_rate": 1e-4, "lora_r": 64, "lora_alpha": 128, "batch_size": 1, "grad_accum": 16,
              "gradient_checkpointing": True},
}


@register_method(
    "qlora",
    label="QLoRA adapter",
    title="QLoRA",
    description="LoRA on a 4-bit base model (least memory)",
    kind="adapter",
    cost_rank=3,
    presets=PRESETS,
    settings=SETTINGS,
    memory=MemoryModel(trainable=lambda info, config: lora_trainable_params(info, config.lora_r),
                       quant_bits=4, quant_storage_bits=NF4_BITS_PER_WEIGHT, extra_hidden=QLORA_HIDDEN,
                       extra_inter=QLORA_INTER, adapter_dropout=True),
    artifact="adapter",
    hint="4-bit base",
)
def build(base: Any, config: TuneConfig, scratch_dir: Path) -> tuple[Any, Any]:
    import torch
    from accelerate import PartialState
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from appliance.tune import loading

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
    return attach_lora(model, config, dora=False), tokenizer
