"""Getting a base model into the form a tuning method needs: an in-memory model, or a safetensors directory.

Bases come in three forms: a GGUF file (the embedded default), a Hugging Face model directory, or a model
object already in memory. LoRA, DoRA and full fine-tuning take the weights as loaded. QLoRA must load
its base through bitsandbytes quantisation, which only reads safetensors directories, so a GGUF file or
an in-memory model is first written as one into the caller's scratch directory.

Hazards:
- The converted directory holds the de-quantised base weights (no PHI), but it is as large as the fp32
  model (about 0.5 GB for the default); it lives in the scratch directory and is reused across calls.
- Conversion is written into a temporary directory and renamed, so a killed conversion never leaves a
  directory that a later call would take for complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from appliance.errors import InvalidInput

_DONE_MARKER = ".converted"


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
    """"auto" is bfloat16 on a CUDA GPU that supports it and on a CPU with native bfloat16
    (`cpu_has_native_bf16`), float32 elsewhere. Training then keeps fp32 master weights and trainable
    parameters and runs the forward and backward under bfloat16 autocast."""
    if name == "float32":
        return torch.float32
    if name == "bfloat16":
        return torch.bfloat16
    if name == "auto":
        if torch.cuda.is_available():
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
        return torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    raise InvalidInput(f"unknown dtype {name!r}")


def is_model(base: Any) -> bool:
    return isinstance(base, torch.nn.Module)


def load_base(base: Any, dtype: torch.dtype | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file, a model directory or a model object (tokenizer None then)."""
    if is_model(base):
        if dtype is not None and next(base.parameters()).dtype != dtype:
            base = base.to(dtype)
        return base, None
    path = Path(base)
    if not path.exists():
        raise InvalidInput(f"base model {path} does not exist")
    if path.is_dir() and not (path / "tokenizer_config.json").exists():
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=True), None
    from appliance.base_models import load_causal_lm

    return load_causal_lm(path, dtype=dtype)


def as_hf_dir(base: Any, scratch_dir: Path) -> Path:
    """A safetensors model directory for `base`, converting into `scratch_dir` when needed.

    A directory is returned as is. A GGUF file is de-quantised once per file (keyed by name, size and
    modification time) and the result reused; a model object is written each time (it may have changed).
    """
    if not is_model(base):
        path = Path(base)
        if path.is_dir():
            return path
        if not path.is_file():
            raise InvalidInput(f"base model {path} does not exist")
        stat = path.stat()
        key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        target = Path(scratch_dir) / f"base-{path.stem}-{key}"
        if (target / _DONE_MARKER).exists():
            return target
        model, tokenizer = load_base(path)
        _write_dir(model, tokenizer, target)
        del model
        return target
    target = Path(scratch_dir) / f"base-object-{os.getpid()}-{id(base):x}"
    _write_dir(base, None, target)
    return target


def _write_dir(model: Any, tokenizer: Any, target: Path) -> None:
    tmp = target.with_name(f".tmp-{target.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True, mode=0o700)
    model.save_pretrained(tmp, safe_serialization=True)
    if tokenizer is not None:
        tokenizer.save_pretrained(tmp)
    (tmp / _DONE_MARKER).write_text("ok\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def load_tokenizer(hf_dir: Path) -> Any:
    """The tokenizer saved beside converted weights, or None when the base was a bare model object."""
    if not (hf_dir / "tokenizer_config.json").exists():
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(hf_dir, local_files_only=True)
