"""Packing: examples packed into one row must behave exactly as if each ran alone.

Golden check on a tiny randomly initialised Llama (float64, so 1e-5 is a real bound): the summed loss
over packed rows equals the summed loss of the examples run one by one, unpadded, and an example's
logits do not change when another example is packed in front of it.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from appliance.data.packing import (
    PackedCollator,
    PaddedCollator,
    block_causal_mask,
    pack_examples,
    packing_efficiency,
)
from appliance.data.tasks import IGNORE_INDEX, Example

VOCAB = 128


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    g = torch.Generator().manual_seed(1)
    out = []
    for i, n in enumerate([7, 30, 12, 1, 25, 18, 40, 3, 9, 22]):
        ids = torch.randint(1, VOCAB, (n,), generator=g).tolist()
        # Alternate supervised (prompt masked) and fully supervised ("continue") examples.
        labels = ids[:] if i % 2 else [IGNORE_INDEX] * (n // 2) + ids[n // 2 :]
        out.append(Example(ids, labels))
    return out


def tiny_llama(attn: str):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        attn_implementation=attn,
    )
    return LlamaForCausalLM(config).to(torch.float64).eval()


@pytest.fixture(scope="module", params=["eager", "sdpa"])
def model(request):
    return tiny_llama(request.param)


def summed_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of the shifted token cross-entropies (what a causal LM is trained on)."""
    return F.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]),
        labels[:, 1:].reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )


def one_by_one_loss(model, examples) -> torch.Tensor:
    return sum(
        summed_loss(model(input_ids=torch.tensor([e.input_ids])).logits, torch.tensor([e.labels])) for e in examples
    )


def forward(model, batch, **kwargs):
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    return model(**inputs, **kwargs).logits


# --------------------------------------------------------------------------------------------- pure


@pytest.mark.parametrize("strategy", ["best_fit_decreasing", "sequential"])
def test_every_example_packed_once_with_boundaries(examples, strategy):
    rows = pack_examples(examples, 64, strategy=strategy)
    placed = sorted(i for r in rows for i in r.example_ids)
    assert placed == list(range(len(examples)))
    for r in rows:
        assert len(r) <= 64 and len(r.input_ids) == len(r.labels) == len(r.position_ids)
        start = 0
        for i, n in zip(r.example_ids, r.lengths, strict=True):
            ex = examples[i]
            assert r.input_ids[start : start + n] == ex.input_ids
            assert r.position_ids[start : start + n] == list(range(n))
            assert r.labels[start] == IGNORE_INDEX  # never predicted from the previous example
            assert r.labels[start + 1 : start + n] == ex.labels[1:]
            start += n
    if strategy == "sequential":
        assert [i for r in rows for i in r.example_ids] == list(range(len(examples)))


def test_best_fit_decreasing_is_denser(examples):
    bfd = pack_examples(examples, 64)
    seq = pack_examples(examples, 64, strategy="sequential")
    assert len(bfd) <= len(seq)
    assert packing_efficiency(bfd, 64) > 0.8


def test_refuses_examples_that_do_not_fit(examples):
    with pytest.raises(ValueError):
        pack_examples(examples, 39)
    with pytest.raises(ValueError):
        pack_examples([Example([], [])], 8)
    with pytest.raises(ValueError):
        pack_examples(examples, 64, strategy="random")


def test_collators_pad_safely(examples):
    rows = pack_examples(examples, 64)
    batch = PackedCollator(pad_id=0, pad_to=64, attention="positions")(rows)
    assert set(batch) == {"input_ids", "labels", "position_ids"}  # no 2-D mask: it would disable isolation
    assert batch["input_ids"].shape == (len(rows), 64)
    for r, labels, pos in zip(rows, batch["labels"], batch["position_ids"], strict=True):
        assert (labels[len(r) :] == IGNORE_INDEX).all()
        assert pos[len(r) :].tolist() == list(range(64 - len(r)))
    padded = PaddedCollator(pad_id=0)(examples)
    assert padded["attention_mask"].sum().item() == sum(len(e) for e in examples)
    with pytest.raises(ValueError):
        PackedCollator(pad_id=0, pad_to=8)(rows)


def test_block_causal_mask_shape_and_blocks():
    pos = torch.tensor([[0, 1, 2, 0, 1, 0]])
    allowed = block_causal_mask(pos, torch.bool)[0, 0]
    expected = torch.tensor(
        [
            [1, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0],
            [1, 1, 1, 0, 0, 0],
            [0, 0, 0, 1, 0, 0],
            [0, 0, 0, 1, 1, 0],
            [0, 0, 0, 0, 0, 1],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(allowed, expected)
    additive = block_causal_mask(pos, torch.float32)[0, 0]
    assert torch.equal(additive == 0, expected)


# --------------------------------------------------------------------------------------------- model


@torch.no_grad()
@pytest.mark.parametrize("attention", ["block_mask", "positions"])
def test_packed_loss_equals_one_by_one(model, examples, attention):
    reference = one_by_one_loss(model, examples)
    rows = pack_examples(examples, 64)
    batch = PackedCollator(pad_id=0, attention=attention, mask_dtype=torch.float64)(rows)
    # "positions" requires use_cache=False (see appliance.data.packing); harmless for "block_mask".
    packed = summed_loss(forward(model, batch, use_cache=False), batch["labels"])
    assert abs(packed.item() - reference.item()) < 1e-5
    padded = PaddedCollator(pad_id=0)(examples)
    assert abs(summed_loss(forward(model, padded), padded["labels"]).item() - reference.item()) < 1e-5


@torch.no_grad()
def test_block_mask_needs_no_special_call(model, examples):
    """The default collator is correct with a plain model(**batch) call, whatever config.use_cache says."""
    assert model.config.use_cache
    batch = PackedCollator(pad_id=0, mask_dtype=torch.float64)(pack_examples(examples, 64))
    packed = summed_loss(forward(model, batch), batch["labels"])
    assert abs(packed.item() - one_by_one_loss(model, examples).item()) < 1e-5


@torch.no_grad()
def test_positions_alone_leak_with_default_cache_or_2d_mask(model, examples):
    """Pins the transformers 4.57 hazard the module documents: without use_cache=False, or with any 2-D
    attention mask, position restarts are ignored and examples attend to each other."""
    reference = one_by_one_loss(model, examples).item()
    batch = PackedCollator(pad_id=0, attention="positions")(pack_examples(examples, 64))
    leaky_default = summed_loss(forward(model, batch), batch["labels"]).item()
    ones = torch.ones_like(batch["input_ids"])
    leaky_mask = summed_loss(forward(model, batch, attention_mask=ones, use_cache=False), batch["labels"]).item()
    assert abs(leaky_default - reference) > 1e-4
    assert abs(leaky_mask - reference) > 1e-4


@torch.no_grad()
def test_logits_unchanged_by_a_preceding_example(model, examples):
    a, b = examples[6], examples[1]
    alone = model(input_ids=torch.tensor([b.input_ids])).logits[0]
    batch = PackedCollator(pad_id=0, mask_dtype=torch.float64)(pack_examples([a, b], 128, strategy="sequential"))
    packed = forward(model, batch)[0, len(a) : len(a) + len(b)]
    assert torch.allclose(packed, alone, atol=1e-10)


def test_packed_gradients_equal_one_by_one(examples):
    model = tiny_llama("sdpa").train()
    model.zero_grad()
    one_by_one_loss(model, examples).backward()
    reference = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    batch = PackedCollator(pad_id=0, mask_dtype=torch.float64)(pack_examples(examples, 64))
    summed_loss(forward(model, batch), batch["labels"]).backward()
    for ref, p in zip(reference, model.parameters(), strict=True):
        assert torch.allclose(p.grad, ref, atol=1e-9)


@torch.no_grad()
def test_boolean_block_mask_works_with_sdpa(examples):
    model = tiny_llama("sdpa")
    batch = PackedCollator(pad_id=0, mask_dtype=torch.bool)(pack_examples(examples, 64))
    packed = summed_loss(forward(model, batch), batch["labels"])
    assert abs(packed.item() - one_by_one_loss(model, examples).item()) < 1e-5
