"""Tiny randomly initialised Llama models and learnable token examples for the tuning tests."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from appliance.data.tasks import IGNORE_INDEX, Example

VOCAB = 128
# hidden 64 (not 32): bitsandbytes' NF4 blocks hold 64 weights, and its CPU kernels want in_features >= 64.
TINY = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=256)


def tiny_llama(seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(**TINY))


def counting_examples(n: int = 48, seed: int = 0, min_len: int = 10, max_len: int = 40) -> list[Example]:
    """Variable-length examples: a random prompt (no loss) then a response counting upwards from a
    random token, a rule a tiny model learns in a few steps."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        length = rng.randint(min_len, max_len)
        prompt = rng.randint(3, length // 2)
        start = rng.randint(3, VOCAB - 1)
        ids = [rng.randint(3, VOCAB - 1) for _ in range(prompt)]
        ids += [3 + (start + i) % (VOCAB - 3) for i in range(length - prompt)]
        out.append(Example(ids, [IGNORE_INDEX] * prompt + ids[prompt:]))
    return out


@pytest.fixture
def examples() -> list[Example]:
    return counting_examples()


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A tiny model saved as a safetensors directory (what a subprocess loads)."""
    path = tmp_path / "tiny-model"
    tiny_llama().save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices gain nothing from threads, and on a shared 2-core machine a second spinning
    OpenMP thread slows every step several-fold. Subprocesses get OMP_NUM_THREADS=1 likewise."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def fp32_unless_asked(monkeypatch: pytest.MonkeyPatch):
    """The golden losses and the equality tests here are fp32 figures: dtype "auto" would pick bfloat16 on a
    CPU with native bfloat16. Tests of bfloat16 ask for it explicitly (dtype="bfloat16")."""
    monkeypatch.setenv("APPLIANCE_CPU_BF16", "0")
