"""Format ``merged``: the adapter folded into the base, saved as a standard Hugging Face directory.

The directory (config, safetensors weights, tokenizer with its chat template, generation config) loads
with stock ``AutoModelForCausalLM.from_pretrained`` and is what vLLM or TGI serve. For a full
fine-tuning run it is the run's model re-saved in the same layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.export.base import EXACT_RULE, Generator
from appliance.export.registry import ExportFormat, register_format
from appliance.export.source import ExportSource
from appliance.runtime.decoding import CausalLMGenerator
from appliance.runtime.device import torch_device
from appliance.runtime.loading import load_causal_lm, load_tokenizer


def write_hf_dir(model: Any, tokenizer: Any, out_dir: Path) -> None:
    """Weights as safetensors (tied embeddings stored once, as transformers does), tokenizer, chat
    template and generation config."""
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    if getattr(model, "generation_config", None) is not None and not (out_dir / "generation_config.json").exists():
        model.generation_config.save_pretrained(out_dir)


def write(source: ExportSource, out_dir: Path) -> dict[str, Any]:
    model = source.merged_model()
    write_hf_dir(model, source.tokenizer, out_dir)
    return {"dtype": "float32", "merged_from": source.request.source_kind}


def load(export_dir: Path, base_dir: Path | None = None) -> Generator:
    import torch

    device = torch_device()
    model = load_causal_lm(export_dir, dtype=torch.float32, device=device, for_inference=True)
    return CausalLMGenerator(model, load_tokenizer(export_dir), device=device, label="merged")


MERGED = register_format(ExportFormat(
    name="merged",
    description="Adapter merged into the base: a standard Hugging Face model directory (safetensors).",
    rule=EXACT_RULE,
    write=write,
    load=load,
))
