"""Every export format through the same checks: parity passed and recorded, files hashed, and the
export loads with the stock loader of its kind and computes what the PyTorch reference computes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.export.tiny_models import BASE_ID, BASE_SHA, PROMPTS

# (format, source): source is the run kind, "lora" / "dora" adapters, a "full" fine-tuning result or the "base".
CASES = [
    ("merged", "lora"),
    ("adapter", "lora"),
    ("onnx", "lora"),
    ("onnx-int8", "lora"),
    ("merged", "dora"),
    ("adapter", "dora"),
    ("merged", "full"),
    ("onnx", "full"),
    ("merged", "base"),  # no training: the in-context-learning baseline exports the base itself
]
IDS = [f"{fmt}-{source}" for fmt, source in CASES]
REQUIRED = {"merged": ("exact_32", 0.95), "adapter": ("exact_32", 0.95), "onnx": ("exact_32", 0.95),
            "onnx-int8": ("top1_agreement", 0.90)}


def reference_model(tiny, source: str):
    """The PyTorch reference built directly with transformers and peft (not through appliance.export)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    if source in ("full", "base"):
        return AutoModelForCausalLM.from_pretrained(tiny[source]).eval()
    base = AutoModelForCausalLM.from_pretrained(tiny["base"])
    return PeftModel.from_pretrained(base, tiny[source]).eval()


def prompt_ids(tokenizer, text: str = PROMPTS[0]) -> torch.Tensor:
    ids = tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True)
    return torch.tensor([ids])


def stock_load(fmt: str, out: Path, tiny):
    """The export loaded as its users would load it, without appliance code."""
    if fmt == "merged":
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(out, local_files_only=True).eval()
    if fmt == "adapter":
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        return PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny["base"]), out).eval()
    from optimum.onnxruntime import ORTModelForCausalLM

    return ORTModelForCausalLM.from_pretrained(out, local_files_only=True)


@pytest.mark.parametrize(("fmt", "source"), CASES, ids=IDS)
def test_export_passes_parity_and_records_it(export_case, fmt, source):
    out, doc = export_case(fmt, source)
    assert out.is_dir()
    assert not [p for p in out.parent.iterdir() if ".partial-" in p.name]
    on_disk = json.loads((out / "export.json").read_text())
    assert on_disk == json.loads(json.dumps(doc))
    assert doc["status"] == "passed" and doc["format"] == fmt
    parity = doc["parity"]
    measure, minimum = REQUIRED[fmt]
    assert parity["passed"] is True and parity["fmt"] == fmt and parity["prompts"] == len(PROMPTS)
    assert parity[measure] >= minimum
    assert parity["details"]["rule"] == measure and parity["details"]["required"] == minimum
    if measure == "exact_32":
        assert parity["exact_32"] == 1.0 and parity["top1_agreement"] == 1.0
    tolerance = 0.05 if fmt == "onnx-int8" else 1e-4
    assert parity["metric_reference"] == pytest.approx(parity["metric_export"], abs=tolerance)


@pytest.mark.parametrize(("fmt", "source"), CASES, ids=IDS)
def test_every_file_is_hashed(export_case, fmt, source):
    out, doc = export_case(fmt, source)
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted([*doc["files"], "export.json"]) == on_disk
    for rel, info in doc["files"].items():
        data = (out / rel).read_bytes()
        assert info == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert doc["total_bytes"] == sum(f["size"] for f in doc["files"].values())


@pytest.mark.parametrize(("fmt", "source"), CASES, ids=IDS)
def test_stock_loader_matches_reference(export_case, tiny, fmt, source):
    from transformers import AutoTokenizer

    out, _ = export_case(fmt, source)
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    assert tokenizer.chat_template  # the chat template travels with every export
    ids = prompt_ids(tokenizer)
    with torch.no_grad():
        expected = reference_model(tiny, source)(ids).logits[0, -1].numpy()
        model = stock_load(fmt, out, tiny)
        got = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0, -1]
    got = got.numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
    if fmt == "onnx-int8":
        assert int(np.argmax(got)) == int(np.argmax(expected))
        assert np.abs(got - expected).max() < 0.5
    else:
        np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize(("fmt", "source"), CASES, ids=IDS)
def test_load_generator_reproduces_reference_greedy(export_case, tiny, fmt, source):
    from appliance.export import load_generator
    from appliance.runtime.decoding import CausalLMGenerator

    out, _ = export_case(fmt, source)
    generator = load_generator(out, tiny["base"] if fmt == "adapter" else None)
    ids = prompt_ids(generator.tokenizer)[0].tolist()
    reference = CausalLMGenerator(reference_model(tiny, source), generator.tokenizer)
    expected = reference.greedy(ids, 16)
    got = generator.greedy(ids, 16)
    if fmt == "onnx-int8":
        assert got[:2] == expected[:2]
    else:
        assert got == expected
        np.testing.assert_allclose(generator.next_token_logits(ids), reference.next_token_logits(ids), atol=1e-4)


def test_export_json_fields(export_case):
    out, doc = export_case("merged", "lora")
    assert doc["metadata"] == {"run_id": "run-lora", "dataset_sha256": "cd" * 32, "approver": "rex"}
    assert doc["base_model"] == {"id": BASE_ID, "sha256": BASE_SHA}
    assert doc["source"] == "adapter"
    for lib in ("torch", "transformers", "peft", "optimum", "onnxruntime", "onnx"):
        assert doc["libraries"][lib], lib
    assert set(doc["parity"]) == {"passed", "fmt", "prompts", "exact_32", "top1_agreement", "metric_reference",
                                  "metric_export", "details"}
    assert len(doc["parity"]["details"]["per_prompt"]) == len(PROMPTS)
    assert doc["created"] and doc["schema"] == 1
    # Numbers and hashes only: no prompt text leaks into the record.
    text = (out / "export.json").read_text()
    assert not any(p in text for p in PROMPTS)


def test_adapter_export_names_its_base(export_case):
    out, doc = export_case("adapter", "lora")
    assert json.loads((out / "base_model.json").read_text()) == {"base_model_id": BASE_ID,
                                                                  "base_model_sha256": BASE_SHA}
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == BASE_ID
    assert "adapter_model.safetensors" in doc["files"]
    assert not any(name.startswith("model") for name in doc["files"])  # no base weights in an adapter export


def test_merged_export_is_a_standard_hf_dir(export_case):
    out, doc = export_case("merged", "lora")
    for name in ("config.json", "model.safetensors", "generation_config.json", "tokenizer.json"):
        assert name in doc["files"], name
    assert json.loads((out / "config.json").read_text())["use_cache"] is True


def test_dora_adapter_merges_correctly(export_case, tiny):
    """The DoRA magnitude is folded in: the merged weights reproduce base + DoRA, which differs from the base."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, doc = export_case("merged", "dora")
    assert doc["format_details"]["merged_from"] == "adapter"
    tokenizer = AutoTokenizer.from_pretrained(out)
    ids = prompt_ids(tokenizer)
    with torch.no_grad():
        base = AutoModelForCausalLM.from_pretrained(tiny["base"]).eval()(ids).logits
        dora = reference_model(tiny, "dora")(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(out).eval()(ids).logits
    assert (dora - base).abs().max() > 0.05  # the adapter matters
    torch.testing.assert_close(merged, dora, atol=1e-4, rtol=1e-4)
    adapter_cfg = json.loads((tiny["dora"] / "adapter_config.json").read_text())
    assert adapter_cfg["use_dora"] is True


def test_full_finetune_exports_take_the_base_tokenizer(export_case, tiny):
    out, doc = export_case("onnx", "full")
    assert doc["source"] == "full"
    assert not (tiny["full"] / "tokenizer.json").exists()
    assert (out / "tokenizer.json").read_bytes() == (tiny["base"] / "tokenizer.json").read_bytes()


def test_tied_embeddings_stored_once_in_onnx(export_case, tiny):
    import onnx
    from transformers import AutoConfig

    out, doc = export_case("onnx", "lora")
    config = AutoConfig.from_pretrained(tiny["base"])
    assert config.tie_word_embeddings
    vocab, hidden = config.vocab_size, config.hidden_size
    graph = onnx.load(str(out / "model.onnx")).graph
    shapes = [tuple(init.dims) for init in graph.initializer]
    assert shapes.count((vocab, hidden)) + shapes.count((hidden, vocab)) == 1
    details = doc["format_details"]
    assert details["tied_embeddings"] is True
    assert details["initializer_bytes"] <= details["parameter_bytes"]


def test_int8_export_is_quantized_and_smaller(export_case):
    import onnx

    out_fp32, doc_fp32 = export_case("onnx", "lora")
    out_int8, doc_int8 = export_case("onnx-int8", "lora")
    ops = {node.op_type for node in onnx.load(str(out_int8 / "model.onnx")).graph.node}
    assert ops & {"MatMulNBits", "MatMulInteger", "DynamicQuantizeMatMul"}
    assert doc_int8["format_details"]["initializer_bytes"] < doc_fp32["format_details"]["initializer_bytes"]
    details = doc_int8["parity"]["details"]
    assert details["rule"] == "top1_agreement"
    # top-1 agreement is read at every position of prompt + reference continuation, not the continuation alone
    per_prompt = details["per_prompt"]
    assert details["positions"] == sum(p["prompt_tokens"] + p["reference_tokens"] - 1 for p in per_prompt)
    assert details["path_positions"] == sum(p["reference_tokens"] for p in per_prompt)
    assert details["positions"] > details["path_positions"]
    assert doc_int8["parity"]["top1_agreement"] == sum(p["top1_agree"] for p in per_prompt) / details["positions"]


@pytest.mark.parametrize("fmt", ["onnx", "onnx-int8"])
def test_direct_ort_decoding_equals_optimum_forward(export_case, fmt):
    """The IO-binding decode loop runs the same graph on the same inputs: the same logits, bit for bit,
    as optimum's forward, also when the sequence outgrows its preallocated cache."""
    from appliance.export import load_generator
    from appliance.runtime.decoding import CausalLMGenerator

    out, _ = export_case(fmt, "lora")
    direct = load_generator(out)
    assert direct._ort is not None  # the fast path is taken for optimum's decoder graph on CPU
    generic = CausalLMGenerator(direct.model, direct.tokenizer, device=direct.device, ort_direct=False)
    ids = prompt_ids(direct.tokenizer)[0].tolist()
    np.testing.assert_array_equal(direct.sequence_logits(ids), generic.sequence_logits(ids))
    direct.eos = generic.eos = set()  # decode the full length whatever the tiny model predicts
    assert direct.greedy(ids, 24) == generic.greedy(ids, 24)

    small = direct._ort.start(capacity=2)  # grows (with the cache copied) on the prompt and again later
    run_generic = generic.start(0)
    np.testing.assert_array_equal(small.run(ids), run_generic(ids))
    for token in [5, 17, 3, 42] * 10:
        np.testing.assert_array_equal(small.run([token]), run_generic([token]))
    assert small.length == len(ids) + 40
