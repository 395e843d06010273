"""appliance.runtime: device choice, the one model and tokenizer loader, the ChatML fix and the
QLoRA-safe inference context, on a tiny model saved in the test."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from appliance.errors import InvalidInput
from appliance.runtime import device, loading
from appliance.runtime.contexts import inference_mode
from tests.tiny import save_tiny_chat_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = save_tiny_chat_model(tmp_path_factory.mktemp("tiny") / "model", hidden=32, layers=1)
    config = path / "config.json"
    # As a training run saves it: loading for inference must turn the cache back on.
    config.write_text(config.read_text().replace('"use_cache": true', '"use_cache": false'))
    return path


def test_auto_dtype_follows_the_hardware(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("APPLIANCE_CPU_BF16", "1")
    native = bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    assert device.cpu_has_native_bf16() == native
    assert device.resolve_dtype("auto") == (torch.bfloat16 if native else torch.float32)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert device.resolve_dtype("auto") == torch.float32  # emulated bfloat16 is slower than float32
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert device.resolve_dtype("auto") == torch.bfloat16
    monkeypatch.setenv("APPLIANCE_CPU_BF16", "0")
    assert device.resolve_dtype("auto") == torch.float32 and device.resolve_dtype("float32") == torch.float32
    with pytest.raises(InvalidInput, match="unknown dtype"):
        device.resolve_dtype("float8")
    # Without a GPU: CPU for torch and ONNX Runtime, float32 for serving (bf16 is emulated on many CPUs).
    assert device.torch_device() == torch.device("cpu") and device.serving_dtype() == torch.float32
    assert device.ort_provider() == "CPUExecutionProvider"


def test_one_loader_for_training_and_inference(model_dir: Path) -> None:
    model, tokenizer = loading.load_pretrained(model_dir)
    assert tokenizer.eos_token == "<|im_end|>" and model.config.eos_token_id == tokenizer.eos_token_id
    assert model.config.use_cache is False  # as saved: a base being converted or trained keeps its config
    served = loading.load_causal_lm(model_dir, dtype=torch.float32, device=torch.device("cpu"), for_inference=True)
    assert served.config.use_cache is True and not served.training
    assert next(served.parameters()).dtype == torch.float32
    assert device.model_device(served) == torch.device("cpu")
    with pytest.raises(InvalidInput, match="not a loadable Hugging Face model"):
        loading.load_causal_lm(model_dir.parent)


def test_tokenizer_comes_from_the_first_location_that_has_one(model_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "adapter"
    empty.mkdir()
    assert not loading.has_tokenizer(empty) and loading.has_tokenizer(model_dir)
    assert loading.load_tokenizer(empty, model_dir).eos_token == "<|im_end|>"
    assert loading.load_tokenizer(empty, required=False) is None
    with pytest.raises(InvalidInput, match="no tokenizer found"):
        loading.load_tokenizer(empty)


def test_chatml_fix_ends_turns_at_im_end_and_pads(model_dir: Path) -> None:
    model, tokenizer = loading.load_pretrained(model_dir)
    tokenizer.eos_token = "<|im_start|>"  # as GGUF-converted SmolLM2 reports it
    tokenizer.pad_token = None
    loading.fix_chatml_special_tokens(tokenizer, model)
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.eos_token_id == end
    assert tokenizer.pad_token == "<|im_end|>"  # no <|endoftext|> in this vocabulary
    assert model.config.eos_token_id == end and model.generation_config.pad_token_id == end


class Linear4bit(torch.nn.Linear):
    """Named and placed like bitsandbytes' 4-bit layer, which must never enter eval mode on CPU."""


Linear4bit.__module__ = "bitsandbytes.nn.modules"


def test_inference_mode_leaves_4bit_layers_in_training_mode() -> None:
    quantized = Linear4bit(2, 2)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5), quantized)
    model.train()
    with inference_mode(model):
        assert not model[1].training and quantized.training
        assert not torch.is_grad_enabled()
        assert not model(torch.ones(1, 2)).requires_grad
    assert model.training and model[1].training and torch.is_grad_enabled()
    model.eval()
    with inference_mode(model):
        pass
    assert not model.training and not model[1].training  # the flag is restored, whichever it was


def test_an_adapter_that_is_not_one_is_a_clear_error(model_dir: Path, tmp_path: Path) -> None:
    model = loading.load_causal_lm(model_dir)
    with pytest.raises(InvalidInput, match="not a peft adapter for this base model"):
        loading.apply_adapter(model, tmp_path)
