"""Model manifest and registry, on the real default model file."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import base_models
from appliance.errors import IntegrityError, InvalidInput
from appliance.workspace import Workspace


def test_manifest_has_default() -> None:
    entry = base_models.manifest_entry("smollm2-135m-instruct")
    assert entry.format == "gguf" and entry.size == 98_362_432 and entry.license == "Apache-2.0"
    with pytest.raises(InvalidInput, match="unknown model"):
        base_models.manifest_entry("gpt-17")


def test_add_verify_and_materialize(ws: Workspace, default_model_file: Path) -> None:
    model = base_models.add_model(ws, "smollm2-135m-instruct", default_model_file)
    assert model.sha256 == base_models.manifest_entry("smollm2-135m-instruct").sha256
    report = base_models.verify_models(ws)
    assert report["ok"] and report["workspace"]["smollm2-135m-instruct"]["ok"]
    entry = list(ws.audit_entries(action="models.add"))[-1]
    assert entry.object_ids == ["smollm2-135m-instruct", model.blob_id]
    with ws.scratch() as scratch:
        path = base_models.materialize(ws, "smollm2-135m-instruct", scratch)
        assert base_models.sha256_file(path) == model.sha256
    # Adding again changes nothing.
    assert base_models.add_model(ws, "smollm2-135m-instruct", default_model_file) == model
    assert len(list(ws.audit_entries(action="models.add"))) == 1


def test_mismatched_file_refused(ws: Workspace, tmp_path: Path) -> None:
    fake = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 1000)
    with pytest.raises(IntegrityError, match="does not match the manifest"):
        base_models.add_model(ws, "smollm2-135m-instruct", fake)
    assert base_models.registered(ws) == {}
    assert list(ws.audit_entries(action="models.add")) == []
    assert [p for p in (ws.root / "blobs").iterdir()] == []


@pytest.mark.slow  # loads the real default model and generates with it
def test_default_model_loads_with_guard_on(default_model_file: Path) -> None:
    """The real default model loads and generates offline, with the socket guard installed."""
    import torch

    from appliance import offline
    from appliance.runtime.loading import load_pretrained

    assert offline.is_enforced()
    model, tokenizer = load_pretrained(default_model_file)
    assert model.num_parameters() == base_models.manifest_entry("smollm2-135m-instruct").parameters
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Say hello."}], add_generation_prompt=True,
                                           return_tensors="pt")
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token is not None
    with torch.no_grad():
        out = model.generate(prompt, max_new_tokens=24, do_sample=False)
    reply = tokenizer.decode(out[0, prompt.shape[1]:], skip_special_tokens=True)
    assert out.shape[1] > prompt.shape[1] and reply.strip()


def test_hf_dir_converts_once(ws: Workspace, default_model_file: Path) -> None:
    import json

    base_models.add_model(ws, "smollm2-135m-instruct", default_model_file)
    with ws.scratch() as scratch:
        first = base_models.hf_dir(ws, "smollm2-135m-instruct", scratch)
        config = json.loads((first / "config.json").read_text())
        assert config["model_type"] == "llama" and (first / "tokenizer.json").exists()
    with ws.scratch() as scratch:
        base_models.hf_dir(ws, "smollm2-135m-instruct", scratch)
    assert len(list(ws.audit_entries(action="models.convert"))) == 1
    assert ws.verify().ok
