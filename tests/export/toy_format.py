"""A toy export format defined in one file: the merged model saved in bfloat16 (half the bytes).

It exists to show that a format is one module: importing this file registers it, and from then on the
CLI's `--format` choices, the desktop app's format list and the export pipeline (parity included) know it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.export.base import TOP1_RULE, Generator
from appliance.export.formats.merged import write_hf_dir
from appliance.export.registry import ExportFormat, register_format
from appliance.export.source import ExportSource
from appliance.runtime.decoding import CausalLMGenerator
from appliance.runtime.device import torch_device
from appliance.runtime.loading import load_causal_lm, load_tokenizer


def write(source: ExportSource, out_dir: Path) -> dict[str, Any]:
    import torch

    write_hf_dir(source.merged_model().to(torch.bfloat16), source.tokenizer, out_dir)
    return {"dtype": "bfloat16", "merged_from": source.request.source_kind}


def load(export_dir: Path, base_dir: Path | None = None) -> Generator:
    import torch

    device = torch_device()
    # bf16 weights, computed in fp32 on any CPU
    model = load_causal_lm(export_dir, dtype=torch.float32, device=device, for_inference=True)
    return CausalLMGenerator(model, load_tokenizer(export_dir), device=device, label="toy-bf16")


TOY = register_format(ExportFormat(
    name="toy-bf16",
    description="Toy: the merged model with bfloat16 weights.",
    rule=TOP1_RULE,
    write=write,
    load=load,
))
