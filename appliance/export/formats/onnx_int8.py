"""Format ``onnx-int8``: the ``onnx`` export with int8 weights, for ONNX Runtime on CPU.

Quantization: blockwise int8 weights (``MatMulNBits``, 32 values per scale, int8 compute), see
`appliance.export.quantize` for the operator and for why it replaced ``quantize_dynamic``. No
calibration data is needed, so nothing from the dataset is read to quantize.

Tied embeddings stay stored once: the embedding matrix (``Gather``) and the output head that reads it
(``Transpose``) remain float32; every other projection is int8.

Parity for this format is top-1 next-token agreement (>= 90%), not exact greedy match: rounding weights
to 8 bits legitimately flips near-ties, and one flip changes the rest of a greedy continuation. Loading
is the same stock ``ORTModelForCausalLM`` as ``onnx``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from appliance.export.base import TOP1_RULE, Generator
from appliance.export.formats.onnx_fp32 import ONNX_FILE, export_onnx, initializer_bytes, load_ort
from appliance.export.quantize import BlockQuantConfig, quantize_model
from appliance.export.registry import ExportFormat, register_format
from appliance.export.source import ExportSource

QUANTIZATION = BlockQuantConfig(bits=8, block_size=32, accuracy_level=4)


def quantize_export(src_dir: Path, out_dir: Path, config: BlockQuantConfig = QUANTIZATION) -> dict[str, Any]:
    """Quantize ``src_dir/model.onnx`` into ``out_dir/model.onnx``; copy config and tokenizer files beside it."""
    details = quantize_model(src_dir / ONNX_FILE, out_dir / ONNX_FILE, config)
    for path in src_dir.iterdir():
        if path.is_file() and not path.name.startswith(ONNX_FILE):
            shutil.copy2(path, out_dir / path.name)
    return {"quantization": f"int{config.bits} weights in blocks of {config.block_size} (ONNX Runtime MatMulNBits)",
            **details, "initializer_bytes": initializer_bytes(out_dir / ONNX_FILE)}


def write(source: ExportSource, out_dir: Path) -> dict[str, Any]:
    import torch

    fp32_dir = source.scratch / "onnx-fp32"
    fp32_dir.mkdir()
    model = source.merged_model(device=torch.device("cpu"))
    fp32_details = export_onnx(model, source.tokenizer, fp32_dir)
    del model
    details = quantize_export(fp32_dir, out_dir)
    details["float32_export"] = fp32_details
    return details


def load(export_dir: Path, base_dir: Path | None = None) -> Generator:
    return load_ort(export_dir)


ONNX_INT8 = register_format(ExportFormat(
    name="onnx-int8",
    description="ONNX with int8 weights (blockwise, ONNX Runtime MatMulNBits): smaller and faster on CPU.",
    rule=TOP1_RULE,
    write=write,
    load=load,
))
