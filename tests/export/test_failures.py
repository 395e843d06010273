"""Exports that must not happen: failed parity, bad requests, cancellation, tampered files."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch

from appliance.errors import IntegrityError, InvalidInput, UsageError
from appliance.export import FORMATS, ExportRequest, ParityRule, export, failed_json_path, load_generator
from tests.export.tiny_models import BASE_ID, BASE_SHA, PROMPTS


def request(tiny, out: Path, fmt: str = "merged", source: str = "lora") -> ExportRequest:
    return ExportRequest(fmt=fmt, base_dir=tiny["base"], adapter_dir=tiny[source] if source != "full" else None,
                         model_dir=tiny["full"] if source == "full" else None, out_dir=out,
                         base_model_id=BASE_ID, base_model_sha256=BASE_SHA, metadata={"run_id": "r"})


def corrupt_merged_write(source, out_dir):
    """Write the merged model, then perturb its weights heavily, as a broken merge would."""
    from safetensors.torch import load_file, save_file

    details = FORMATS_ORIGINAL["merged"].write(source, out_dir)
    path = out_dir / "model.safetensors"
    tensors = load_file(path)
    generator = torch.Generator().manual_seed(0)
    tensors = {k: v + torch.randn(v.shape, generator=generator) * v.std() for k, v in tensors.items()}
    save_file(tensors, path, metadata={"format": "pt"})
    return details


FORMATS_ORIGINAL = dict(FORMATS)


def assert_nothing_left(out: Path) -> None:
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if ".partial-" in p.name]


def test_failed_parity_raises_and_leaves_no_export(tiny, tmp_path, monkeypatch):
    monkeypatch.setitem(FORMATS, "merged", dataclasses.replace(FORMATS["merged"], write=corrupt_merged_write))
    out = tmp_path / "exports" / "bad"
    with pytest.raises(IntegrityError) as err:
        export(request(tiny, out), PROMPTS)
    assert err.value.exit_code == 4
    message = str(err.value)
    assert "merged" in message and "required >= 95%" in message and "exact match" in message
    assert_nothing_left(out)
    failed = json.loads(failed_json_path(out).read_text())
    assert failed_json_path(out).name == "bad.failed.json"
    assert failed["status"] == "failed" and failed["parity"]["passed"] is False
    assert failed["parity"]["exact_32"] < 0.95
    assert f"{failed['parity']['exact_32']:.1%}" in message
    assert failed["files"]  # the attempt's files are described even though they were removed


def test_int8_failure_names_top1_figure(tiny, tmp_path, monkeypatch):
    strict = dataclasses.replace(FORMATS["onnx-int8"], rule=ParityRule("top1_agreement", 1.01))
    monkeypatch.setitem(FORMATS, "onnx-int8", strict)
    out = tmp_path / "int8"
    with pytest.raises(IntegrityError, match=r"top-1 next-token agreement \d+\.\d% on 6 prompts, required >= 101%"):
        export(request(tiny, out, "onnx-int8"), PROMPTS)
    assert_nothing_left(out)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (dict(fmt="gguf"), UsageError, "unknown export format"),
        (dict(fmt="adapter", source="full"), UsageError, "has none"),
        (dict(prompts=[]), UsageError, "at least one prompt"),
        (dict(base_dir="missing"), InvalidInput, "not a directory"),
        (dict(out_exists=True), UsageError, "already exists"),
    ],
    ids=["unknown-format", "adapter-without-adapter", "no-prompts", "missing-base", "out-exists"],
)
def test_bad_requests_fail_before_any_work(tiny, tmp_path, change, error, match):
    out = tmp_path / "out"
    req = request(tiny, out, change.get("fmt", "merged"), change.get("source", "lora"))
    if "base_dir" in change:
        req.base_dir = tmp_path / change["base_dir"]
    if change.get("out_exists"):
        out.mkdir()
    with pytest.raises(error, match=match):
        export(req, change.get("prompts", PROMPTS))
    assert list(tmp_path.iterdir()) == ([out] if change.get("out_exists") else [])


def test_adapter_and_model_dir_together_are_refused(tiny, tmp_path):
    with pytest.raises(UsageError, match="not both"):
        ExportRequest(fmt="merged", base_dir=tiny["base"], adapter_dir=tiny["lora"], model_dir=tiny["full"],
                      out_dir=tmp_path / "o", base_model_id=BASE_ID, base_model_sha256=BASE_SHA, metadata={})


class Cancelled(Exception):
    pass


def test_cancel_from_progress_removes_everything(tiny, tmp_path):
    seen = []

    def progress(step, total, **fields):
        seen.append(fields["stage"])
        if fields["stage"] == "parity":
            raise Cancelled()

    out = tmp_path / "cancelled"
    with pytest.raises(Cancelled):
        export(request(tiny, out, "onnx"), PROMPTS[:2], progress=progress)
    assert seen[:2] == ["reference", "reference"] and "write" in seen
    assert_nothing_left(out)
    assert not failed_json_path(out).exists()


def test_load_generator_refuses_tampered_exports(export_case, tmp_path, tiny):
    src, _ = export_case("merged", "lora")
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    load_generator(copy)  # intact copy loads
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="model.safetensors"):
        load_generator(copy)
    shutil.copy2(src / "model.safetensors", weights)
    (copy / "extra.bin").write_bytes(b"x")
    with pytest.raises(IntegrityError, match="extra.bin"):
        load_generator(copy)


def test_adapter_export_needs_its_base_to_load(export_case):
    out, _ = export_case("adapter", "lora")
    with pytest.raises(UsageError, match=BASE_ID):
        load_generator(out)


def test_onnx_external_data_layout(tiny, tmp_path, monkeypatch):
    """The >2 GB layout (weights in model.onnx_data), forced on the tiny model: hashed and loadable."""
    monkeypatch.setenv("FORCE_ONNX_EXTERNAL_DATA", "1")
    out = tmp_path / "external"
    doc = export(request(tiny, out, "onnx"), PROMPTS[:2])
    assert doc["format_details"]["external_data"] is True
    assert "model.onnx_data" in doc["files"]
    assert doc["files"]["model.onnx_data"]["size"] > doc["files"]["model.onnx"]["size"]
    assert doc["parity"]["exact_32"] == 1.0
    monkeypatch.delenv("FORCE_ONNX_EXTERNAL_DATA")
    generator = load_generator(out)
    assert len(generator.greedy([1, 2, 3], 4)) >= 1


def test_prompts_already_templated_are_not_wrapped_twice(tiny):
    from transformers import AutoTokenizer

    from appliance.runtime.decoding import encode_prompt

    tokenizer = AutoTokenizer.from_pretrained(tiny["base"])
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": PROMPTS[0]}], tokenize=False,
                                             add_generation_prompt=True)
    assert encode_prompt(tokenizer, PROMPTS[0]) == encode_prompt(tokenizer, rendered)
    assert encode_prompt(tokenizer, PROMPTS[0]) == tokenizer.apply_chat_template(
        [{"role": "user", "content": PROMPTS[0]}], add_generation_prompt=True)
    with_system = tokenizer.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": PROMPTS[0]}], tokenize=False,
        add_generation_prompt=True)
    assert encode_prompt(tokenizer, with_system) == tokenizer(with_system, add_special_tokens=False)["input_ids"]


def test_disk_full_is_one_clear_message(tiny, tmp_path, monkeypatch):
    import errno

    from appliance.errors import ApplianceError

    def full_disk(source, out_dir):
        (out_dir / "model.safetensors").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(FORMATS, "merged", dataclasses.replace(FORMATS["merged"], write=full_disk))
    out = tmp_path / "full-disk"
    with pytest.raises(ApplianceError, match="disk full while exporting"):
        export(request(tiny, out), PROMPTS[:1])
    assert_nothing_left(out)
