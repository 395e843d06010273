"""Fixtures: the tiny exports (merged, two LoRA adapters, ONNX) built once per run, their backends, a
key store and a running server on 127.0.0.1 with an in-memory audit sink."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import appliance  # noqa: F401  (offline switches and socket guard before any Hugging Face import)
from appliance.serve import BatchingSink, MemorySink, ServeConfig, StaticKeyStore, load_model_dirs, serve

from .tiny import ADAPTERS, KEYS, Exports, build_model, build_tokenizer, write_export_json


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Exports:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("exports")
    tokenizer = build_tokenizer()
    merged = root / "tiny"
    build_model(tokenizer).save_pretrained(merged)
    tokenizer.save_pretrained(merged)
    write_export_json(merged, format="merged", model_id="tiny")

    adapters = {}
    for i, name in enumerate(ADAPTERS):
        base = AutoModelForCausalLM.from_pretrained(merged, local_files_only=True)
        torch.manual_seed(100 + i)
        # Non-zero init (init_lora_weights=False) so each adapter changes the output, as a trained one would.
        peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj", "o_proj"],
                                                     init_lora_weights=False))
        out = root / name
        peft_model.save_pretrained(out)
        write_export_json(out, format="adapter", model_id=name, base="../tiny")
        adapters[name] = out

    from optimum.onnxruntime import ORTModelForCausalLM

    onnx_dir = root / "tiny-onnx"
    ORTModelForCausalLM.from_pretrained(merged, export=True).save_pretrained(onnx_dir)
    tokenizer.save_pretrained(onnx_dir)
    write_export_json(onnx_dir, format="onnx", model_id="tiny-onnx")
    return Exports(merged, adapters, onnx_dir)


@pytest.fixture(scope="session")
def backends(exports: Exports):
    return load_model_dirs([exports.merged, *exports.adapters.values(), exports.onnx])


@pytest.fixture(scope="session")
def key_store() -> StaticKeyStore:
    return StaticKeyStore.from_plain({"all": (KEYS["all"], None), "tiny-only": (KEYS["tiny-only"], ["tiny"])},
                                     admin=["all"])


@pytest.fixture(scope="module")
def memory_sink() -> MemorySink:
    return MemorySink()


@pytest.fixture(scope="module")
def server(backends, key_store, memory_sink) -> Iterator:
    config = ServeConfig(port=0, max_body_bytes=64 * 1024, max_tokens_limit=600, default_max_tokens=16)
    sink = BatchingSink(memory_sink, max_batch=64, max_delay=0.02)
    handle = serve(backends, key_store, sink, config)
    yield handle
    handle.stop()
    sink.close()
