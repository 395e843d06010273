"""Open exported model directories as backends.

A directory's format comes from its ``export.json`` when there is one, else from its files:

    export.json  {"format": "merged" | "adapter" | "onnx" | "onnx-int8",
                  "model_id": "...",        optional: the id clients send as "model" (default: directory name)
                  "base": "...",            adapter only: the base model directory, absolute or relative to
                                            this directory (default: the adapter's base_model_name_or_path)
                  "onnx_file": "..."}       optional: which .onnx file, when there are several
    adapter_config.json                 -> adapter
    *.onnx                              -> onnx (onnx-int8 when the only file's name says "quantized")
    config.json + *.safetensors / *.bin -> merged

Other keys in export.json (hashes, run ids, approver) are the exporter's and are ignored here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from appliance.errors import InvalidInput
from appliance.runtime.loading import read_json
from appliance.serve.backends.base import Backend
from appliance.serve.backends.registry import ModelDir, backend_for_format

EXPORT_FILE = "export.json"
FORMATS = ("merged", "adapter", "onnx", "onnx-int8")


def _read_export(path: Path) -> dict[str, Any]:
    file = path / EXPORT_FILE
    if not file.is_file():
        return {}
    return read_json(file)


def sniff_format(path: Path) -> str:
    if (path / "adapter_config.json").is_file():
        return "adapter"
    onnx = sorted(p.name for p in path.glob("*.onnx"))
    if onnx:
        return "onnx-int8" if len(onnx) == 1 and "quantized" in onnx[0] else "onnx"
    weights = [*path.glob("*.safetensors"), *path.glob("pytorch_model*.bin")]
    if (path / "config.json").is_file() and weights:
        return "merged"
    raise InvalidInput(f"{path}: not a model export (no export.json, adapter, .onnx or safetensors files)")


def _adapter_base(path: Path, export: Mapping[str, Any]) -> Path:
    named = export.get("base")
    if not named:
        try:
            config = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = {}
        named = config.get("base_model_name_or_path")
    if not named:
        raise InvalidInput(f"{path}: adapter names no base model; give it as 'base' in {EXPORT_FILE}")
    base = Path(str(named))
    base = base if base.is_absolute() else (path / base)
    if not base.is_dir():
        raise InvalidInput(f"{path}: the adapter's base {named} is not a local model directory; "
                           f"give its path as 'base' in {EXPORT_FILE}")
    return base.resolve()


def describe(path: Path, model_id: str | None = None, base: Path | None = None) -> ModelDir:
    """The format, model id and (for adapters) base of an export directory, without loading it."""
    path = Path(path)
    if not path.is_dir():
        raise InvalidInput(f"{path} is not a directory")
    export = _read_export(path)
    fmt = str(export.get("format") or sniff_format(path))
    if fmt not in FORMATS:
        raise InvalidInput(f"{path}: format {fmt!r} in {EXPORT_FILE} is not one of {', '.join(FORMATS)}")
    model_id = model_id or str(export.get("model_id") or path.resolve().name)
    adapter_base = None
    if fmt == "adapter":
        adapter_base = Path(base).resolve() if base is not None else _adapter_base(path, export)
    onnx_file = export.get("onnx_file")
    return ModelDir(path, fmt, model_id, adapter_base, str(onnx_file) if onnx_file else None)


def _load(group: Sequence[ModelDir]) -> Backend:
    backend: Backend = backend_for_format(group[0].format).cls.load(group)
    return backend


def load_model_dir(path: Path, model_id: str | None = None, base: Path | None = None) -> Backend:
    """One export directory as a backend. ``model_id`` and ``base`` override what the directory says."""
    return _load([describe(path, model_id, base)])


def load_model_dirs(paths: Iterable[Path]) -> dict[str, Backend]:
    """Several export directories, as the ``backends`` mapping ``serve`` takes. Adapters that share a
    base are loaded into one backend, so the base weights are in memory once."""
    found = [describe(p) for p in paths]
    ids = [f.model_id for f in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidInput(f"model id(s) {', '.join(duplicates)} given twice; set distinct 'model_id' in {EXPORT_FILE}")
    groups: dict[tuple[str, Path], list[ModelDir]] = {}
    for item in found:
        key = (item.format, item.base) if item.base is not None else (item.format, item.path)
        groups.setdefault(key, []).append(item)
    backends: dict[str, Backend] = {}
    for group in groups.values():
        backend = _load(group)
        for item in group:
            backends[item.model_id] = backend
    return backends


def backends_by_model(*backends: Backend) -> dict[str, Backend]:
    """The mapping ``serve`` takes, from backends built in code: every id of every backend."""
    out: dict[str, Backend] = {}
    for backend in backends:
        for model_id in backend.model_ids:
            if model_id in out:
                raise InvalidInput(f"model id {model_id!r} is served by two backends")
            out[model_id] = backend
    return out
