"""Tiny models and tokenizers built in the test run (no download), shared by the test packages."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]


def _corpus() -> list[str]:
    from appliance.data.tasks import TASKS
    from appliance.synthetic import generate

    texts = [n.text for n in generate(60, seed=0)] + [n.labels["summary"] for n in generate(60, seed=0)]
    texts += [t.default_instruction for t in TASKS.values()]
    texts += [
        "system user assistant Note Answer with exactly one of the label only cardiology pulmonology "
        "orthopedics neurology gastroenterology urgent routine specialty triage JSON keys"
    ]
    return texts


def build_tokenizer(kind: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if kind == "bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=800,
            special_tokens=SPECIAL,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
    elif kind == "wordlevel":
        tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        trainer = trainers.WordLevelTrainer(vocab_size=5000, special_tokens=SPECIAL, show_progress=False)
    else:
        raise ValueError(kind)
    tok.train_from_iterator(_corpus(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>", unk_token="<unk>")
    fast.chat_template = CHATML
    return fast



def save_tiny_chat_model(path: Path, seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """A tiny random Llama with the BPE tokenizer and a ChatML template, saved as a safetensors directory."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer("bpe")
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=1024, tie_word_embeddings=True,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def manifest_for(model_id: str, directory: Path, out: Path) -> Path:
    """A models manifest listing ``directory`` as an approved safetensors-dir model."""
    from appliance.base_models import dir_digest

    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    out.write_text(
        f"""[[models]]
id = "{model_id}"
display_name = "Tiny test model"
format = "safetensors-dir"
file = "{directory.name}"
sha256 = "{dir_digest(directory)}"
size = {size}
license = "Apache-2.0"
parameters = 1
"""
    )
    return out


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
