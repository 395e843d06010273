"""Device, dtype and execution-provider choice: a GPU is used when present, never required.

Hazard: ``onnxruntime-gpu`` lists CUDAExecutionProvider even on a machine without a GPU, so the ONNX
Runtime provider is chosen by whether torch sees a CUDA device, not by ORT's provider list alone.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import torch

from appliance.errors import InvalidInput


def torch_device() -> torch.device:
    """CUDA when present, CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_device(model: Any) -> torch.device:
    """The device of a model's first parameter (CPU for a parameterless stand-in)."""
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def cpu_has_native_bf16() -> bool:
    """True when this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX tiles, e.g. Sapphire Rapids and
    later); elsewhere bfloat16 on a CPU is emulated and slower than float32. Set APPLIANCE_CPU_BF16=0 to
    keep float32 anyway."""
    if os.environ.get("APPLIANCE_CPU_BF16", "1") == "0":
        return False
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(torch.cpu, probe, None)
        try:
            if callable(check) and check():
                return True
        except (RuntimeError, AttributeError):  # a torch build without the probe
            continue
    return False


def resolve_dtype(name: str) -> torch.dtype:
    """The training dtype for a config's ``dtype`` setting. "auto" is bfloat16 on a CUDA GPU that supports
    it and on a CPU with native bfloat16 (`cpu_has_native_bf16`), float32 elsewhere. Training then keeps
    fp32 master weights and trainable parameters and runs the forward and backward under bfloat16 autocast."""
    if name == "float32":
        return torch.float32
    if name == "bfloat16":
        return torch.bfloat16
    if name == "auto":
        if torch.cuda.is_available():
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
        return torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    raise InvalidInput(f"unknown dtype {name!r}")


def scoring_autocast(model: Any, name: str) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast for scoring a float32 model when `resolve_dtype(name)` says bfloat16 and the
    model's device computes it natively; otherwise nothing changes. Weights stay float32."""
    device = model_device(model)
    if resolve_dtype(name) != torch.bfloat16:
        return contextlib.nullcontext()
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if device.type == "cpu" and (name == "bfloat16" or cpu_has_native_bf16()):
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def serving_dtype() -> torch.dtype:
    """bfloat16 on a GPU that has it; float32 on CPU, where bf16 is emulated on many CPUs and slower."""
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def ort_provider() -> str:
    """CUDAExecutionProvider when onnxruntime has it and torch sees a GPU, else CPUExecutionProvider."""
    import onnxruntime

    if torch.cuda.is_available() and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return "CUDAExecutionProvider"
    return "CPUExecutionProvider"


def ort_session_options() -> Any:
    """ONNX Runtime uses as many intra-op threads as torch does, so one setting (``torch.set_num_threads``
    or ``OMP_NUM_THREADS``) governs both backends and PyTorch-vs-ONNX figures compare like with like."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    return options
