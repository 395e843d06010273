"""Sequence packing without cross-example attention, plus a plain padded collator to compare against.

Packing puts several short examples into one row of up to `max_len` tokens so that a batch carries
almost no padding. Done naively it is wrong twice over: tokens would attend to the previous example in
the row, and the first token of an example would be trained as the continuation of the previous one.
This module prevents both:

- `position_ids` restart at 0 at every example start, so rotary embeddings see each example exactly as
  if it were alone.
- The attention of each example is confined to itself. By default (`attention="block_mask"`) the
  collator adds an explicit 4-D block-diagonal causal mask, which transformers passes to the eager
  and sdpa kernels unchanged. This is correct whatever the model's cache settings.
- The label of each example's first token is `IGNORE_INDEX`, because the shifted causal-LM loss would
  otherwise predict it from the last token of the previous example.

Why not rely on `position_ids` alone (the "padding-free" form of `DataCollatorWithFlattening`)?
In transformers 4.57, `create_causal_mask` derives a block-diagonal mask from position restarts
(`find_packed_sequence_indices`) only when there is no 2-D `attention_mask` *and no KV cache*. But
`check_model_inputs` fills `use_cache` from `config.use_cache` (True for Llama), so a plain
`model(input_ids=..., position_ids=...)` builds a `DynamicCache`, skips the detection and lets examples
attend to each other, in eval and train mode alike, silently. `attention="positions"` is still offered
(it is what flash-attention kernels want, and it avoids the O(L^2) mask), with a hard requirement:
call the model with `use_cache=False` and without any 2-D `attention_mask`. The tests in
tests/data/test_packing.py pin both the contamination and the fix.

The 4-D mask costs `L * L` elements per row. Give `mask_dtype` the model's dtype (the float mask is
added to the attention scores, so another dtype only costs a cast); `torch.bool` suits sdpa only, since
eager adds the mask to the scores and a boolean mask would be wrong there.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import torch

from appliance.data.tasks import IGNORE_INDEX


class TokenExample(Protocol):
    """Anything with token ids and labels of equal length (`appliance.data.tasks.Example` fits)."""

    @property
    def input_ids(self) -> Sequence[int]: ...

    @property
    def labels(self) -> Sequence[int]: ...


@dataclass(frozen=True)
class PackedRow:
    """Several examples laid end to end; `example_ids` are indexes into the input sequence."""

    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]
    example_ids: tuple[int, ...]
    lengths: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.input_ids)


PackStrategy = Literal["best_fit_decreasing", "sequential"]


def pack_examples(
    examples: Sequence[TokenExample],
    max_len: int,
    *,
    strategy: PackStrategy = "best_fit_decreasing",
) -> list[PackedRow]:
    """Pack `examples` into rows of at most `max_len` tokens; every example lands whole in one row.

    - "best_fit_decreasing": longest first, each into the row it fills most tightly. Near-minimal
      rows, O(n log n); rows mix examples from anywhere in the input. Deterministic (ties go to the
      earlier row and the earlier example).
    - "sequential": keep input order, start a new row when the next example does not fit.

    Raises ValueError if an example is empty or longer than `max_len` (truncate when building examples,
    so that the response is never cut here).
    """
    if max_len < 1:
        raise ValueError("max_len must be positive")
    for i, ex in enumerate(examples):
        if len(ex.input_ids) != len(ex.labels):
            raise ValueError(f"example {i}: input_ids and labels differ in length")
        if not 0 < len(ex.input_ids) <= max_len:
            raise ValueError(f"example {i} has {len(ex.input_ids)} tokens; rows hold 1..{max_len}")

    bins: list[list[int]] = []
    if strategy == "best_fit_decreasing":
        free: list[tuple[int, int]] = []  # (room left, row index), sorted
        for i in sorted(range(len(examples)), key=lambda i: (-len(examples[i].input_ids), i)):
            n = len(examples[i].input_ids)
            k = bisect.bisect_left(free, (n, -1))
            if k < len(free):
                room, row = free.pop(k)
                bins[row].append(i)
            else:
                room, row = max_len, len(bins)
                bins.append([i])
            if room - n > 0:
                bisect.insort(free, (room - n, row))
    elif strategy == "sequential":
        room = 0
        for i, ex in enumerate(examples):
            n = len(ex.input_ids)
            if bins and room >= n:
                bins[-1].append(i)
                room -= n
            else:
                bins.append([i])
                room = max_len - n
    else:
        raise ValueError(f"unknown packing strategy {strategy!r}")
    return [_concat(examples, members) for members in bins]


def _concat(examples: Sequence[TokenExample], members: list[int]) -> PackedRow:
    input_ids: list[int] = []
    labels: list[int] = []
    positions: list[int] = []
    for i in members:
        ex = examples[i]
        n = len(ex.input_ids)
        input_ids.extend(int(t) for t in ex.input_ids)
        # The first token has no predecessor inside its own example: never a loss target.
        labels.append(IGNORE_INDEX)
        labels.extend(int(t) for t in ex.labels[1:])
        positions.extend(range(n))
    lengths = tuple(len(examples[i].input_ids) for i in members)
    return PackedRow(input_ids, labels, positions, tuple(members), lengths)


def packing_efficiency(rows: Sequence[PackedRow], max_len: int) -> float:
    """Fraction of the `len(rows) * max_len` token slots that carry real tokens."""
    if not rows:
        return 1.0
    return sum(len(r) for r in rows) / (len(rows) * max_len)


def block_causal_mask(position_ids: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Mask of shape (batch, 1, L, L) letting each token attend to earlier tokens of its own example.

    A new example starts wherever the position does not increase by exactly one (the rule transformers
    uses). For a floating `dtype` the mask is additive: 0 where attention is allowed and the dtype's
    minimum elsewhere. For `torch.bool` it is True where allowed (sdpa only).
    """
    if position_ids.ndim != 2:
        raise ValueError("position_ids must have shape (batch, length)")
    first = position_ids[:, :1] - 1
    seq = (torch.diff(position_ids, prepend=first, dim=-1) != 1).cumsum(-1)
    length = position_ids.shape[1]
    causal = torch.ones(length, length, dtype=torch.bool, device=position_ids.device).tril()
    allowed = (seq[:, :, None] == seq[:, None, :]) & causal
    if dtype == torch.bool:
        return allowed[:, None, :, :]
    mask = torch.zeros(allowed.shape, dtype=dtype, device=position_ids.device)
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    return mask[:, None, :, :]


class PackedCollator:
    """Collate `PackedRow`s into tensors `input_ids`, `labels`, `position_ids` of shape (batch, L).

    With `attention="block_mask"` (default) an `attention_mask` of shape (batch, 1, L, L) from
    `block_causal_mask` is added; with `attention="positions"` there is deliberately no
    `attention_mask` and the model must be called with `use_cache=False` (see the module docstring).

    Rows shorter than the longest are padded with `pad_id`; padding gets label IGNORE_INDEX and its own
    positions 0, 1, ... so that it forms a separate segment that no real token can see. With `pad_to`
    set, every batch has that length (steady shapes for compiled kernels and memory planning).
    """

    def __init__(
        self,
        pad_id: int,
        *,
        pad_to: int | None = None,
        attention: Literal["block_mask", "positions"] = "block_mask",
        mask_dtype: torch.dtype = torch.float32,
    ) -> None:
        if attention not in ("block_mask", "positions"):
            raise ValueError(f"attention must be 'block_mask' or 'positions', got {attention!r}")
        self.pad_id, self.pad_to, self.attention, self.mask_dtype = pad_id, pad_to, attention, mask_dtype

    def __call__(self, rows: Sequence[PackedRow]) -> dict[str, torch.Tensor]:
        width = _batch_width([len(r) for r in rows], self.pad_to, "a row")
        ids, labels, positions = [], [], []
        for r in rows:
            pad = width - len(r)
            ids.append(r.input_ids + [self.pad_id] * pad)
            labels.append(r.labels + [IGNORE_INDEX] * pad)
            positions.append(r.position_ids + list(range(pad)))
        batch = {
            "input_ids": torch.tensor(ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "position_ids": torch.tensor(positions, dtype=torch.long),
        }
        if self.attention == "block_mask":
            batch["attention_mask"] = block_causal_mask(batch["position_ids"], self.mask_dtype)
        return batch


def _batch_width(lengths: Sequence[int], pad_to: int | None, what: str) -> int:
    """The width a batch is padded to: its longest row, or ``pad_to`` when set; ``ValueError`` for an empty
    batch or, naming ``what``, a row longer than ``pad_to``."""
    if not lengths:
        raise ValueError("cannot collate an empty batch")
    width = max(lengths)
    if pad_to is not None:
        if width > pad_to:
            raise ValueError(f"{what} has {width} tokens, more than pad_to={pad_to}")
        width = pad_to
    return width


class PaddedCollator:
    """One example per row, right-padded: `input_ids`, `labels`, 2-D `attention_mask` (the baseline).

    Padding has label IGNORE_INDEX and attention mask 0.
    """

    def __init__(self, pad_id: int, *, pad_to: int | None = None) -> None:
        self.pad_id, self.pad_to = pad_id, pad_to

    def __call__(self, examples: Sequence[TokenExample]) -> dict[str, torch.Tensor]:
        width = _batch_width([len(e.input_ids) for e in examples], self.pad_to, "an example")
        ids, labels, attention = [], [], []
        for e in examples:
            n, pad = len(e.input_ids), width - len(e.input_ids)
            ids.append([int(t) for t in e.input_ids] + [self.pad_id] * pad)
            labels.append([int(t) for t in e.labels] + [IGNORE_INDEX] * pad)
            attention.append([1] * n + [0] * pad)
        return {
            "input_ids": torch.tensor(ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "attention_mask": torch.tensor(attention, dtype=torch.long),
        }
