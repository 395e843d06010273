"""Tiny tokenizers built once per test run (no download): a byte-level BPE and a word-level one."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tests.tiny import build_tokenizer  # noqa: E402


@pytest.fixture(scope="session", params=["bpe", "wordlevel"])
def tokenizer(request):
    return build_tokenizer(request.param)


@pytest.fixture(scope="session")
def bpe_tokenizer():
    return build_tokenizer("bpe")


@pytest.fixture(scope="session")
def make_tokenizer():
    return build_tokenizer
