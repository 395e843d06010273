"""Tiny tokenizers built once per test run (no download): a byte-level BPE and a word-level one."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]


def _corpus() -> list[str]:
    from appliance.data.synthetic import generate
    from appliance.data.tasks import TASKS

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


@pytest.fixture(scope="session", params=["bpe", "wordlevel"])
def tokenizer(request):
    return build_tokenizer(request.param)


@pytest.fixture(scope="session")
def bpe_tokenizer():
    return build_tokenizer("bpe")


@pytest.fixture(scope="session")
def make_tokenizer():
    return build_tokenizer
