"""Attention over packed rows that computes each example's causal attention on its own.

A packed row holds several examples; `position_ids` restart at 0 where each begins. transformers' own
answer is a block-diagonal mask over the whole row, which sdpa then evaluates in full: every token pays
for attention scores against all `L` positions of the row, most of them masked out. Here the row is cut
at the restarts and sdpa runs with `is_causal=True` on each segment, so the cost is the sum of the
squared example lengths instead of the squared row length (what flash-attention's varlen kernels do on
GPUs), and no `L x L` mask is ever built. The result is the same attention, to float rounding.

`packed_attention(model)` switches a model's sdpa or eager attention to this for the duration of a
`with` block and restores it afterwards, so saved configs and later inference are unaffected. Models
already on a flash-attention implementation (which handles packed positions natively) are left alone.

Hazard: segments come from `position_ids`; the batch must not carry an attention mask (the collator
uses attention="positions"). With a mask, or without positions, this falls back to plain sdpa.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F

NAME = "appliance_packed_sdpa"
_SWITCHABLE = ("sdpa", "eager")


def _segments(positions: torch.Tensor) -> list[int]:
    """Start offsets of the examples of one row, plus the row length."""
    restarts = torch.nonzero(torch.diff(positions) != 1).flatten() + 1
    return [0, *restarts.tolist(), positions.shape[0]]


def packed_sdpa_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers attention-interface function: query (B, H, L, D), key/value (B, Hkv, L, D) in,
    (B, L, H, D) out."""
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    positions = kwargs.get("position_ids")
    if attention_mask is not None or positions is None or query.shape[2] != key.shape[2]:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      is_causal=is_causal, **kwargs)
    groups = int(getattr(module, "num_key_value_groups", 1))
    key, value = repeat_kv(key, groups), repeat_kv(value, groups)
    if positions.shape[0] != query.shape[0]:
        positions = positions.expand(query.shape[0], -1)
    rows = []
    for b in range(query.shape[0]):
        bounds = _segments(positions[b])
        pieces = [
            F.scaled_dot_product_attention(query[b : b + 1, :, s:e], key[b : b + 1, :, s:e], value[b : b + 1, :, s:e],
                                           dropout_p=dropout, scale=scaling, is_causal=True)
            for s, e in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        rows.append(pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=2))
    out = rows[0] if len(rows) == 1 else torch.cat(rows, dim=0)
    return out.transpose(1, 2).contiguous(), None


def _register() -> None:
    from transformers import AttentionInterface

    if NAME not in AttentionInterface._global_mapping:
        AttentionInterface.register(NAME, packed_sdpa_forward)


def _hf_model(model: Any) -> Any:
    while hasattr(model, "module"):  # DistributedDataParallel
        model = model.module
    get_base = getattr(model, "get_base_model", None)  # peft
    return get_base() if callable(get_base) else model


@contextmanager
def packed_attention(model: Any) -> Iterator[None]:
    """Use per-example attention inside the block (see the module docstring)."""
    hf = _hf_model(model)
    config = getattr(hf, "config", None)
    before = getattr(config, "_attn_implementation", None)
    if before not in _SWITCHABLE or not hasattr(hf, "set_attn_implementation"):
        yield
        return
    _register()
    hf.set_attn_implementation(NAME)
    try:
        yield
    finally:
        hf.set_attn_implementation(before)
