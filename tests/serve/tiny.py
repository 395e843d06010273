"""Tiny models built in the test run (no download): a byte-level BPE tokenizer with a ChatML template
and a random 2-layer Llama."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "The patient was seen in clinic today for chest pain and shortness of breath.",
    "Assessment: stable angina. Plan: start aspirin, follow up in two weeks with cardiology.",
    "Triage note: urgent referral to neurology for new onset seizure; routine labs ordered.",
    "Discharge summary: pneumonia treated with antibiotics, oxygen weaned, home with family.",
    "system user assistant Answer with one label: cardiology pulmonology orthopedics neurology urgent routine",
]
KEYS = {"all": "sk-test-all-models", "tiny-only": "sk-test-tiny-only"}
ADAPTERS = ("tiny-lora-a", "tiny-lora-b")


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS * 10, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>", unk_token="<unk>")
    fast.chat_template = CHATML
    return fast


def build_model(tokenizer, seed: int = 0):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    return LlamaForCausalLM(config).eval()


@dataclass(frozen=True)
class Exports:
    merged: Path
    adapters: dict[str, Path]
    onnx: Path


def write_export_json(directory: Path, **info: str) -> None:
    (directory / "export.json").write_text(json.dumps(info))
