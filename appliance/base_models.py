"""Approved base models: the manifest, the workspace's model registry, and their Hugging Face form.

``models_manifest.toml`` lists every base model the appliance accepts, with its sha256. A model file
enters a workspace only through ``add_model``, which hashes it against the manifest and stores it
as an encrypted blob, with its audit entry, in one transaction. Loading a model is
`appliance.runtime.loading`'s job (`appliance.runtime.bases.open_base` for a registered base); this
module shares the runtime layer because converting a GGUF base loads it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NewType

from appliance.catalog import base_models as model_records
from appliance.catalog.base_models import BaseModel
from appliance.errors import ApplianceError, IntegrityError, InvalidInput
from appliance.fieldhelp import read_toml
from appliance.runtime.loading import load_pretrained
from appliance.store.blobs import BlobStore
from appliance.workspace import Workspace

ModelId = NewType("ModelId", str)
ProgressFn = Callable[[int, int], None]
FORMATS = ("gguf", "safetensors-dir")
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ManifestEntry:
    id: ModelId
    display_name: str
    format: str
    file: str
    sha256: str
    size: int
    license: str
    parameters: int
    architecture: str = ""
    chat_template: str = ""
    source: str = ""
    source_package: str = ""
    source_sha256: str = ""
    source_member: str = ""
    #: ``dir_digest`` of the Hugging Face directory that converting this GGUF file gives with the pinned
    #: libraries. The conversion cache is trusted only when it matches this (the manifest is signed
    #: with the bundle); empty means the cache is never used for this model.
    converted_sha256: str = ""

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InvalidInput(f"model '{self.id}': format '{self.format}' is not one of {', '.join(FORMATS)}")
        if len(self.sha256) != 64:
            raise InvalidInput(f"model '{self.id}': sha256 must be 64 hex digits")


def manifest_path() -> Path:
    """``APPLIANCE_MANIFEST``, else the checkout's / installed prefix's ``models_manifest.toml``."""
    candidates = [os.environ.get("APPLIANCE_MANIFEST", ""), str(PACKAGE_ROOT / "models_manifest.toml"),
                  str(Path(sys.prefix) / "share" / "appliance" / "models_manifest.toml")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ApplianceError("models_manifest.toml not found; set APPLIANCE_MANIFEST to its path")


def load_manifest(path: Path | None = None) -> dict[str, ManifestEntry]:
    path = path or manifest_path()
    data = read_toml(path, what="TOML manifest", error=InvalidInput)
    known = {f.name for f in fields(ManifestEntry)}
    entries: dict[str, ManifestEntry] = {}
    for raw in data.get("models", []):
        unknown = set(raw) - known
        if unknown:
            raise InvalidInput(f"{path}: model entry has unknown keys {sorted(unknown)}")
        try:
            entry = ManifestEntry(**raw)
        except TypeError as exc:
            raise InvalidInput(f"{path}: incomplete model entry ({exc})") from None
        entries[entry.id] = entry
    return entries


def manifest_entry(model_id: str) -> ManifestEntry:
    entries = load_manifest()
    if model_id not in entries:
        raise InvalidInput(f"unknown model '{model_id}'; known: {', '.join(sorted(entries)) or 'none'}")
    return entries[model_id]


def model_dirs() -> list[Path]:
    """Where model files are looked for outside a workspace (``APPLIANCE_MODEL_DIR`` first)."""
    dirs = [Path(p) for p in os.environ.get("APPLIANCE_MODEL_DIR", "").split(os.pathsep) if p]
    dirs += [PACKAGE_ROOT / ".cache" / "models", Path(sys.prefix) / "share" / "appliance" / "models"]
    return dirs


def find_model_file(entry: ManifestEntry) -> Path | None:
    for directory in model_dirs():
        candidate = directory / entry.file
        if candidate.exists():
            return candidate
    return None


def sha256_file(path: Path, progress: ProgressFn | None = None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


RegisteredModel = BaseModel  # the name callers know it by


def registered(ws: Workspace) -> dict[str, RegisteredModel]:
    return model_records.list_models(ws)


def add_model(ws: Workspace, model_id: str, path: Path, progress: ProgressFn | None = None) -> RegisteredModel:
    """Verify ``path`` against the manifest and store it in the workspace as an encrypted blob."""
    ws.require("admin", "informaticist")
    entry = manifest_entry(model_id)
    path = Path(path)
    existing = registered(ws).get(model_id)
    if existing:
        return existing
    if entry.format == "safetensors-dir":
        return _add_model_dir(ws, entry, path)
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    info = ws.blobs.write(path, "base-model", progress)
    if info.sha256 != entry.sha256 or info.size != entry.size:
        (ws.blobs.root / info.blob_id).unlink(missing_ok=True)
        raise IntegrityError(
            f"{path.name}: sha256 {info.sha256[:16]}... does not match the manifest entry for '{model_id}'; refused")
    details: dict[str, Any] = {"model": model_id, "sha256": info.sha256, "size": info.size, "license": entry.license}
    with ws.transaction("models.add", [model_id, info.blob_id], details) as conn:
        BlobStore.register(conn, info, ws.user.name)
        model_records.add(conn, BaseModel(model_id, info.blob_id, entry.file, entry.format, info.sha256, info.size,
                                          "", ws.user.name))
    return registered(ws)[model_id]


def dir_digest(directory: Path) -> str:
    """The manifest hash of a model directory: SHA-256 over its sorted (relative path, file SHA-256) lines."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(directory)}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def _add_model_dir(ws: Workspace, entry: ManifestEntry, path: Path) -> RegisteredModel:
    """A Hugging Face model directory: hashed as a whole, stored as one directory blob that also
    serves as its converted form (nothing to convert)."""
    from appliance.store.archive import write_dir

    if not path.is_dir():
        raise InvalidInput(f"{path} is not a model directory")
    digest = dir_digest(path)
    if digest != entry.sha256:
        raise IntegrityError(f"{path.name}: digest {digest[:16]}... does not match the manifest entry for "
                             f"'{entry.id}'; refused")
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    info = write_dir(ws.blobs, path, "base-model")
    details: dict[str, Any] = {"model": entry.id, "sha256": digest, "size": size, "license": entry.license}
    with ws.transaction("models.add", [entry.id, info.blob_id], details) as conn:
        BlobStore.register(conn, info, ws.user.name)
        model_records.add(conn, BaseModel(entry.id, info.blob_id, entry.file, entry.format, digest, size, "",
                                          ws.user.name), hf_blob=info.blob_id)
    return registered(ws)[entry.id]


def verify_models(ws: Workspace | None, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Check every registered model blob (and every manifest file found in the model directories)
    against the manifest. Returns a JSON-able report; ``ok`` is False on any mismatch."""
    manifest = load_manifest()
    report: dict[str, Any] = {"ok": True, "workspace": {}, "files": {}}
    if ws is not None:
        for model_id, model in registered(ws).items():
            entry = manifest.get(model_id)
            problem = None
            try:
                ws.blobs.verify(ws.blob_info(model.blob_id))
            except ApplianceError as exc:
                problem = str(exc)
            if problem is None and (entry is None or entry.sha256 != model.sha256):
                problem = "not in the manifest" if entry is None else "sha256 differs from the manifest"
            converted = _converted_status(ws, model_id, entry)
            if problem is None and converted.startswith("does not match"):
                problem = f"its converted form {converted}"
            report["workspace"][model_id] = {"ok": problem is None, "problem": problem, "converted": converted}
    for entry in manifest.values():
        found = find_model_file(entry)
        if found is not None:
            actual = dir_digest(found) if found.is_dir() else sha256_file(found, progress)
            ok = actual == entry.sha256
            report["files"][entry.id] = {"path": str(found), "ok": ok}
    report["ok"] = all(v["ok"] for part in ("workspace", "files") for v in report[part].values())
    return report


def _converted_status(ws: Workspace, model_id: str, entry: ManifestEntry | None) -> str:
    """What the signed ``models.convert`` entry says about the model's stored Hugging Face form."""
    if not model_records.hf_blob(ws, model_id) or entry is None or entry.format != "gguf":
        return "none"
    recorded = [e for e in ws.audit_entries(action="models.convert") if e.details.get("model") == model_id]
    if not recorded or "dir_sha256" not in recorded[-1].details:
        return "unchecked (converted before conversions were recorded; remove and re-add the model to re-check)"
    details = recorded[-1].details
    if details.get("from") == "cache" and details["dir_sha256"] != entry.converted_sha256:
        return "does not match the manifest's converted_sha256"
    return f"ok ({details.get('from')})"


def materialize(ws: Workspace, model_id: str, scratch: Path, progress: ProgressFn | None = None) -> Path:
    """Decrypt a registered model into ``scratch`` (a ``Workspace.scratch()`` directory) and return its path."""
    model = registered(ws).get(model_id)
    if model is None:
        raise InvalidInput(f"model '{model_id}' is not in this workspace; add it with 'appliance models add'")
    if model.format == "safetensors-dir":
        return ws.get_dir(model.blob_id, scratch / model.file_name)
    return ws.get_blob(model.blob_id, scratch / model.file_name, progress)


def hf_dir(ws: Workspace, model_id: str, dest: Path, progress: Callable[[str], None] | None = None) -> Path:
    """A Hugging Face directory (safetensors + tokenizer) of a registered base model, unpacked in ``dest``.

    Converting a GGUF file (de-quantising, rebuilding the tokenizer) takes a minute on CPU, so the
    first call converts and seals the result as a blob of the workspace; later calls only unpack it.
    ``dest`` must be a ``Workspace.scratch()`` directory: the weights are plaintext there.
    """
    model = registered(ws).get(model_id)
    if model is None:
        raise InvalidInput(f"model '{model_id}' is not in this workspace; add it with 'appliance models add'")
    converted = model_records.hf_blob(ws, model_id)
    target = dest / "hf"
    if converted:
        return ws.get_dir(converted, target)
    trusted = manifest_entry(model_id).converted_sha256
    source = "cache" if _from_conversion_cache(model.sha256, trusted, target) else "converted"
    if source == "converted":
        if progress:
            progress(f"converting {model_id} to a Hugging Face directory (once per workspace)")
        gguf = materialize(ws, model_id, dest)  # the workspace's own copy, checked against the manifest
        lm, tokenizer = load_pretrained(gguf)
        lm.save_pretrained(target)
        tokenizer.save_pretrained(target)
        gguf.unlink()
        _to_conversion_cache(model.sha256, target)
    digest = dir_digest(target)
    info = write_dir_blob(ws, target, model_id)
    details = {"model": model_id, "sha256": info.sha256, "size": info.size, "dir_sha256": digest, "from": source}
    with ws.transaction("models.convert", [model_id, info.blob_id], details) as conn:
        BlobStore.register(conn, info, ws.user.name)
        model_records.set_hf_blob(conn, model_id, info.blob_id)
    return target


def conversion_cache_dir() -> Path:
    """Machine-level cache of converted *base* models (public weights, never PHI): ``APPLIANCE_CACHE_DIR``
    or ``~/.cache/appliance``. Each entry is keyed by the source file's sha256.

    Hazard: anyone who can write there can plant an entry, and a hash file beside it proves nothing
    (they write that too). An entry is used only when its ``dir_digest`` equals the manifest's
    ``converted_sha256``; otherwise the workspace's own, manifest-checked GGUF is converted again."""
    return Path(os.environ.get("APPLIANCE_CACHE_DIR") or Path.home() / ".cache" / "appliance") / "converted"


def _dir_hashes(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): sha256_file(p) for p in sorted(directory.rglob("*")) if p.is_file()}


def _from_conversion_cache(source_sha256: str, trusted_digest: str, target: Path) -> bool:
    """Copy the cached conversion into ``target`` if it matches ``trusted_digest``; then re-check the copy
    (the cache may change between the check and the copy). False: convert instead."""
    import shutil

    files = conversion_cache_dir() / source_sha256 / "files"
    if not trusted_digest or not files.is_dir():
        return False
    try:
        if dir_digest(files) != trusted_digest:
            return False
        shutil.copytree(files, target)
        if dir_digest(target) == trusted_digest:
            return True
    except OSError:
        pass
    shutil.rmtree(target, ignore_errors=True)
    return False


def _to_conversion_cache(source_sha256: str, directory: Path) -> None:
    import json
    import shutil

    entry = conversion_cache_dir() / source_sha256
    try:
        tmp = entry.with_name(entry.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(directory, tmp / "files")
        (tmp / "hashes.json").write_text(json.dumps(_dir_hashes(tmp / "files")))
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(tmp, entry)
    except OSError:
        pass  # a cache only: a read-only or full disk just means converting again next time


def write_dir_blob(ws: Workspace, directory: Path, model_id: str) -> Any:
    from appliance.store.archive import write_dir

    return write_dir(ws.blobs, directory, "base-model-hf")
