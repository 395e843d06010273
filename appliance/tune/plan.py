"""The data plan of a run: which rows each process trains on at each step, derived from (seed, epoch) only.

Rows are built once (packed with `appliance.data.packing.pack_examples`, or one example per row) and
their order is shuffled per epoch with a generator seeded by `(seed, epoch)`. Step `s` of a run takes
the next `batch_size * grad_accum * world_size` rows of that order; micro-batch `j` of process `r`
takes the slice `[(j * world + r) * batch_size, ... + batch_size)`. So:

- the global batch of a step does not depend on the number of processes (one process with batch 4
  trains exactly the rows two processes with batch 2 train together), and
- resuming at step `s` needs nothing but `s`: no iterator state to save.

A process whose slice is empty (the last, short step of an epoch) still runs a forward and backward on a
one-token dummy row with no loss targets, so that all processes take part in every gradient reduction.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

import torch

from appliance.data.packing import PackedCollator, PackedRow, TokenExample, pack_examples
from appliance.data.tasks import IGNORE_INDEX
from appliance.errors import InvalidInput
from appliance.tune.config import TuneConfig

DUMMY_ROW = PackedRow([0], [IGNORE_INDEX], [0], (), (1,))


def single_rows(examples: Sequence[TokenExample]) -> list[PackedRow]:
    """One row per example, labelled exactly like a packed row (the first token is never a target)."""
    rows = []
    for i, ex in enumerate(examples):
        ids = [int(t) for t in ex.input_ids]
        labels = [IGNORE_INDEX] + [int(t) for t in ex.labels[1:]]
        rows.append(PackedRow(ids, labels, list(range(len(ids))), (i,), (len(ids),)))
    return rows


def check_examples(examples: Sequence[TokenExample], max_seq_len: int) -> None:
    if not examples:
        raise InvalidInput("no training examples; the training split is empty")
    for i, ex in enumerate(examples):
        n = len(ex.input_ids)
        if n == 0 or n != len(ex.labels):
            raise InvalidInput(f"training example {i} is empty or has labels of a different length")
        if n > max_seq_len:
            raise InvalidInput(
                f"training example {i} has {n} tokens, more than max_seq_len={max_seq_len}; "
                "raise max_seq_len or lower the task's max_length"
            )


def examples_fingerprint(examples: Sequence[TokenExample]) -> str:
    """SHA-256 over every example's tokens and labels (a resume must see the same data)."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(array("q", [len(ex.input_ids)]).tobytes())
        digest.update(array("q", [int(t) for t in ex.input_ids]).tobytes())
        digest.update(array("q", [int(t) for t in ex.labels]).tobytes())
    return digest.hexdigest()


def build_rows(examples: Sequence[TokenExample], config: TuneConfig) -> list[PackedRow]:
    check_examples(examples, config.max_seq_len)
    if config.packing:
        return pack_examples(examples, config.max_seq_len)  # the module's default: fewest rows
    return single_rows(examples)


@dataclass(frozen=True)
class StepBatch:
    """What one process trains on in one optimizer step."""

    micro_batches: list[list[PackedRow]]  # grad_accum lists; an empty list means run the dummy row
    epoch: int
    label_tokens: int  # loss targets in the whole global step (all processes), for normalisation
    tokens: int  # non-padding tokens in the whole global step


class DataPlan:
    def __init__(self, examples: Sequence[TokenExample], config: TuneConfig, world_size: int = 1) -> None:
        self.config = config
        self.world_size = world_size
        self.rows = build_rows(examples, config)
        self.rows_per_step = config.batch_size * config.grad_accum * world_size
        self.steps_per_epoch = math.ceil(len(self.rows) / self.rows_per_step)
        self.total_steps = config.max_steps or config.epochs * self.steps_per_epoch
        self._order_epoch = -1
        self._order: list[int] = []

    def order(self, epoch: int) -> list[int]:
        """The row order of `epoch`: a permutation drawn from (seed, epoch) alone."""
        if epoch != self._order_epoch:
            # A string seed is hashed with SHA-512 by `random`, stable across platforms and runs.
            order = list(range(len(self.rows)))
            Random(f"appliance.tune.order:{self.config.seed}:{epoch}").shuffle(order)
            self._order_epoch, self._order = epoch, order
        return self._order

    def epoch_of(self, step: int) -> int:
        return step // self.steps_per_epoch

    def step(self, step: int, rank: int = 0) -> StepBatch:
        epoch, index = divmod(step, self.steps_per_epoch)
        order = self.order(epoch)
        chosen = [self.rows[i] for i in order[index * self.rows_per_step : (index + 1) * self.rows_per_step]]
        bs = self.config.batch_size
        micro = []
        for j in range(self.config.grad_accum):
            start = (j * self.world_size + rank) * bs
            micro.append(chosen[start : start + bs])
        return StepBatch(
            micro_batches=micro,
            epoch=epoch,
            label_tokens=sum(_targets(r) for r in chosen),
            tokens=sum(len(r) for r in chosen),
        )


def _targets(row: PackedRow) -> int:
    # Labels are unshifted; position 0 of a row is never predicted, so it does not count.
    return sum(1 for label in row.labels[1:] if label != IGNORE_INDEX)


def collate(rows: Sequence[PackedRow], collator: PackedCollator) -> dict[str, torch.Tensor]:
    return collator(list(rows) or [DUMMY_ROW])


def make_collator(pad_id: int) -> PackedCollator:
    # "positions": no L x L mask tensor in the batch. The model must be called with use_cache=False and
    # no 2-D attention mask; transformers then builds the block-diagonal causal mask from the restarts.
    return PackedCollator(pad_id, attention="positions")
