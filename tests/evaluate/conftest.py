"""Tiny tokenizers and models built in the test run (no download) for the evaluation tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from eval_models import build_bpe_tokenizer, build_llama  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Tiny models and small fits run fastest on one thread; on a shared 2-core machine extra torch, BLAS
    and OpenMP threads only contend (a 300-note logistic regression took 8 s instead of 1 s)."""
    import sklearn.linear_model  # noqa: F401  (load its BLAS/OpenMP first: limits apply to loaded libraries)
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tokenizer():
    return build_bpe_tokenizer()


@pytest.fixture(scope="session")
def tiny_model(tokenizer):
    return build_llama(tokenizer)


@pytest.fixture(scope="session")
def notes():
    from appliance.synthetic import generate, to_record_dict

    return [to_record_dict(n) for n in generate(120, seed=3)]
