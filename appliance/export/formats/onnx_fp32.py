"""Format ``onnx``: a float32 decoder with KV cache, exported by optimum-onnx.

The directory holds ``model.onnx`` (one graph taking ``past_key_values.*`` and returning ``present.*``),
``config.json``, ``generation_config.json`` and the tokenizer; stock
``optimum.onnxruntime.ORTModelForCausalLM.from_pretrained(dir)`` loads it.

Hazards and facts of optimum-onnx 0.1.0 relied on here:
- Tied input/output embeddings: the exporter writes the output head as a separate, transposed copy;
  optimum's post-processing replaces it with a ``Transpose`` of the embedding matrix, so it is stored
  once. `write` verifies that (initializer bytes against the model's unique parameter bytes) and fails
  the export if it ever stops being true.
- Models over 2 GB: ``torch.onnx.export`` must use the external data format (protobuf's 2 GB limit);
  optimum then gathers every tensor into one ``model.onnx_data`` beside ``model.onnx``. Both files are
  part of the export and hashed. (``FORCE_ONNX_EXTERNAL_DATA=1`` forces that layout for any size.)
- optimum's own output validation is skipped: the export's parity check is stricter (greedy tokens,
  not one forward pass on random inputs).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import IntegrityError
from appliance.export.base import EXACT_RULE, Generator
from appliance.export.registry import ExportFormat, register_format
from appliance.export.source import ExportSource
from appliance.runtime.decoding import CausalLMGenerator
from appliance.runtime.loading import load_ort_causal_lm, load_tokenizer

if TYPE_CHECKING:
    import torch

ONNX_FILE = "model.onnx"
TASK = "text-generation-with-past"


def export_onnx(model: Any, tokenizer: Any, out_dir: Path) -> dict[str, Any]:
    """Export `model` (a plain transformers causal LM on CPU) with its tokenizer into `out_dir`."""
    import torch
    from optimum.exporters.onnx import onnx_export_from_model

    model.config.use_cache = True  # a training run may have saved use_cache=False; the export needs the cache
    with _quiet("optimum", "torch.onnx"), warnings.catch_warnings():
        # The tracer warns about every Python branch on a tensor shape in transformers' cache and mask
        # code, and torch about its legacy exporter; optimum relies on both. Parity checks the result.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*aten::index.*", category=UserWarning)
        onnx_export_from_model(model, out_dir, task=TASK, do_validation=False, device="cpu")
    tokenizer.save_pretrained(out_dir)
    onnx_bytes = initializer_bytes(out_dir / ONNX_FILE)
    param_bytes, tied_bytes = parameter_bytes(model)
    # A duplicated head would add the whole embedding matrix; allow a little for folded constants.
    if tied_bytes and onnx_bytes > param_bytes + tied_bytes // 2:
        raise IntegrityError(
            f"ONNX export stores the tied embeddings twice ({onnx_bytes} bytes of weights for "
            f"{param_bytes} bytes of parameters); refused")
    return {"dtype": "float32", "task": TASK, "initializer_bytes": onnx_bytes, "parameter_bytes": param_bytes,
            "tied_embeddings": bool(tied_bytes),
            "external_data": (out_dir / (ONNX_FILE + "_data")).exists()}


def initializer_bytes(onnx_path: Path) -> int:
    """Bytes of all weights in an ONNX graph (initializers), read from shapes, without loading data."""
    import numpy as np
    import onnx
    from onnx import helper

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    total = 0
    for init in graph.initializer:
        itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(init.data_type)).itemsize
        total += int(np.prod(init.dims, dtype=np.int64)) * itemsize
    return total


def parameter_bytes(model: torch.nn.Module) -> tuple[int, int]:
    """(bytes of the model's unique parameters, bytes of the tied embedding matrix or 0)."""
    unique: dict[int, int] = {}
    for p in model.parameters():
        unique[p.data_ptr()] = p.numel() * p.element_size()
    tied = 0
    get_in, get_out = getattr(model, "get_input_embeddings", None), getattr(model, "get_output_embeddings", None)
    if get_in is not None and get_out is not None:
        emb_in, emb_out = get_in(), get_out()
        if emb_in is not None and emb_out is not None and emb_in.weight.data_ptr() == emb_out.weight.data_ptr():
            tied = emb_in.weight.numel() * emb_in.weight.element_size()
    return sum(unique.values()), tied


def write(source: ExportSource, out_dir: Path) -> dict[str, Any]:
    import torch

    model = source.merged_model(device=torch.device("cpu"))
    return export_onnx(model, source.tokenizer, out_dir)


def load_ort(export_dir: Path) -> Generator:
    """An ORT-backed generator through stock `ORTModelForCausalLM` (CUDA provider when available)."""
    with _quiet("optimum"):
        model = load_ort_causal_lm(export_dir)
    return CausalLMGenerator(model, load_tokenizer(export_dir), device=model.device, label="onnx")


def load(export_dir: Path, base_dir: Path | None = None) -> Generator:
    return load_ort(export_dir)


class _quiet:
    """Raise the named loggers to ERROR for a block: optimum logs each export step at WARNING/INFO,
    which would land in a job's stderr as noise."""

    def __init__(self, *names: str) -> None:
        self.loggers = [logging.getLogger(n) for n in names]
        self.levels = [lg.level for lg in self.loggers]

    def __enter__(self) -> None:
        for lg in self.loggers:
            lg.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        for lg, level in zip(self.loggers, self.levels, strict=True):
            lg.setLevel(level)


ONNX = register_format(ExportFormat(
    name="onnx",
    description="ONNX float32 decoder with KV cache for ONNX Runtime (ORTModelForCausalLM).",
    rule=EXACT_RULE,
    write=write,
    load=load,
))
