"""Getting a base model into the form a tuning method needs: an in-memory model, or a safetensors directory.

The methods reach the shared loaders (`appliance.runtime`) through this module: `load_base` and
`resolve_dtype` are those of `appliance.runtime.loading` and `appliance.runtime.device`.

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

from appliance.errors import InvalidInput
from appliance.runtime import loading as runtime_loading
from appliance.runtime.device import resolve_dtype
from appliance.runtime.loading import is_model, load_base

__all__ = ["as_hf_dir", "is_model", "load_base", "load_tokenizer", "resolve_dtype"]

_DONE_MARKER = ".converted"


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
    return runtime_loading.load_tokenizer(hf_dir, required=False)
