"""A planted conversion cache (files plus a matching hashes.json beside them) is not sealed into a
workspace as the base model: only a cache matching the manifest's converted_sha256 is used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance import base_models
from appliance.workspace import Workspace


def _plant(cache_root: Path, source_sha256: str) -> None:
    files = cache_root / "converted" / source_sha256 / "files"
    files.mkdir(parents=True)
    (files / "config.json").write_text(json.dumps({"model_type": "llama", "planted": True}))
    (files / "model.safetensors").write_bytes(b"backdoored weights")
    (files.parent / "hashes.json").write_text(json.dumps(base_models._dir_hashes(files)))  # "proves" nothing


def test_poisoned_cache_is_not_used(ws: Workspace, default_model_file: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    entry = base_models.manifest_entry("smollm2-135m-instruct")
    assert entry.converted_sha256, "the manifest pins the converted form"
    cache_root = tmp_path / "cache"
    _plant(cache_root, entry.sha256)
    monkeypatch.setenv("APPLIANCE_CACHE_DIR", str(cache_root))
    base_models.add_model(ws, entry.id, default_model_file)
    converted_from: list[Path] = []

    class _Saved:  # a stand-in conversion: the point is *what* gets converted, not the weights
        def save_pretrained(self, out: Path) -> None:
            Path(out).mkdir(parents=True, exist_ok=True)
            (Path(out) / "config.json").write_text(json.dumps({"model_type": "llama", "from_gguf": True}))

    def fake_load(path: Path, dtype: object = None) -> tuple[_Saved, _Saved]:
        converted_from.append(Path(path))
        assert base_models.sha256_file(Path(path)) == entry.sha256  # the workspace's own, checked file
        return _Saved(), _Saved()

    monkeypatch.setattr(base_models, "load_pretrained", fake_load)
    with ws.scratch() as scratch:
        out = base_models.hf_dir(ws, entry.id, scratch)
        assert "planted" not in (out / "config.json").read_text()
        assert not (out / "model.safetensors").exists()
    assert len(converted_from) == 1
    recorded = list(ws.audit_entries(action="models.convert"))[-1].details
    assert recorded["from"] == "converted"
    report = base_models.verify_models(ws)
    assert report["workspace"][entry.id]["converted"] == "ok (converted)"


def test_cache_that_lies_after_the_check_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy is re-hashed too: swapping files between the check and the copy does not get through."""
    monkeypatch.setenv("APPLIANCE_CACHE_DIR", str(tmp_path / "cache"))
    _plant(tmp_path / "cache", "ab" * 32)
    files = tmp_path / "cache" / "converted" / ("ab" * 32) / "files"
    honest = base_models.dir_digest(files)
    import shutil

    original_copytree = shutil.copytree

    def swap_then_copy(src: Path, dst: Path, *args: object, **kwargs: object) -> object:
        (Path(src) / "model.safetensors").write_bytes(b"swapped")
        return original_copytree(src, dst)

    monkeypatch.setattr(shutil, "copytree", swap_then_copy)
    target = tmp_path / "target"
    assert base_models._from_conversion_cache("ab" * 32, honest, target) is False
    assert not target.exists()
    monkeypatch.undo()
    assert base_models._from_conversion_cache("ab" * 32, "", tmp_path / "t2") is False  # no pinned hash: never
