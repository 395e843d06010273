"""``export.json``: what an export is, where it came from, and proof of what it holds.

Contents: format, status (``passed`` or ``failed``), the caller's metadata (run id, dataset hash,
approver, ...), base model id and sha256, the sha256 and size of every file in the export, the versions
of the libraries that wrote it, format details and the parity result. `verify_files` re-hashes an export
against it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

from appliance.errors import IntegrityError
from appliance.export.base import EXPORT_JSON

SCHEMA_VERSION = 1
LIBRARIES = ("torch", "transformers", "peft", "optimum", "optimum-onnx", "onnxruntime", "onnx", "safetensors",
             "numpy")
# onnxruntime ships as several distributions providing the same module; the first one installed is reported.
_DISTRIBUTIONS = {"onnxruntime": ("onnxruntime-gpu", "onnxruntime")}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_inventory(export_dir: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"sha256", "size"}}`` for every file under `export_dir` except export.json."""
    inventory: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in export_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(export_dir).as_posix()
        if rel == EXPORT_JSON:
            continue
        inventory[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return inventory


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        versions[name] = None
        for dist in _DISTRIBUTIONS.get(name, (name,)):
            try:
                versions[name] = _metadata.version(dist)
                break
            except _metadata.PackageNotFoundError:
                continue
    versions["python"] = platform.python_version()
    return versions


def build(*, fmt: str, status: str, request_metadata: dict[str, Any], base_model_id: str, base_model_sha256: str,
          source_kind: str, files: dict[str, dict[str, Any]], format_details: dict[str, Any],
          parity: dict[str, Any] | None, error: str | None = None) -> dict[str, Any]:
    from appliance import __version__

    doc: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "format": fmt,
        "status": status,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "metadata": request_metadata,
        "base_model": {"id": base_model_id, "sha256": base_model_sha256},
        "source": source_kind,
        "files": files,
        "total_bytes": sum(int(f["size"]) for f in files.values()),
        "libraries": library_versions(),
        "appliance_version": __version__,
        "format_details": format_details,
        "parity": parity,
    }
    if error is not None:
        doc["error"] = error
    return doc


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write `doc` to `path` via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read(export_dir: Path) -> dict[str, Any]:
    path = Path(export_dir) / EXPORT_JSON
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"{path}: missing or unreadable ({type(exc).__name__}); not an appliance export") from None
    if not isinstance(doc, dict) or "format" not in doc:
        raise IntegrityError(f"{path}: not an appliance export.json")
    return doc


def verify_files(export_dir: Path) -> None:
    """Raise IntegrityError unless every file listed in export.json is present with its sha256 and size,
    and no other file was added."""
    doc = read(export_dir)
    expected: dict[str, dict[str, Any]] = doc.get("files", {})
    actual = file_inventory(Path(export_dir))
    for rel, info in expected.items():
        got = actual.get(rel)
        if got is None:
            raise IntegrityError(f"{export_dir}: file {rel} is missing")
        if got != {"sha256": info["sha256"], "size": info["size"]}:
            raise IntegrityError(f"{export_dir}: file {rel} does not match its sha256 in export.json")
    extra = sorted(set(actual) - set(expected))
    if extra:
        raise IntegrityError(f"{export_dir}: unexpected file {extra[0]} not listed in export.json")
