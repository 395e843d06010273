"""Pieces of one training step: optimizer, schedule, the masked loss of a micro-batch, evaluation.

The loss is a sum of token cross-entropies over positions whose (shifted) label is not IGNORE_INDEX;
the trainer divides it by the number of such positions in the whole global step, so gradient
accumulation and data parallelism give the same update as one large batch.

Only the positions that carry a loss target go through the output head (`logits_to_keep`): for
instruction data that is a small part of each row, and the head (vocabulary x hidden) is the largest
single matrix of a small model, so this saves both time and the memory of full-vocabulary logits.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from appliance.data.packing import PackedCollator, PackedRow
from appliance.data.tasks import IGNORE_INDEX
from appliance.runtime.contexts import inference_mode
from appliance.tune.config import TuneConfig
from appliance.tune.plan import collate


def make_optimizer(model: Any, config: TuneConfig) -> torch.optim.Optimizer:
    """AdamW over trainable parameters; no weight decay on biases and norm weights (1-D tensors)."""
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for _name, p in model.named_parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": config.weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    # foreach=False: the per-parameter loop is deterministic and as fast for adapter-sized states on CPU.
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=(0.9, 0.999), eps=1e-8, foreach=False)


def make_scheduler(optimizer: torch.optim.Optimizer, config: TuneConfig, total_steps: int) -> Any:
    """Linear warmup, then cosine or linear decay to 0 at `total_steps`, or constant."""
    warmup = config.warmup_steps

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if config.scheduler == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        if config.scheduler == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def shifted_labels(labels: torch.Tensor) -> torch.Tensor:
    """Target of position t is the label at t+1; the last position has none."""
    out = torch.full_like(labels, IGNORE_INDEX)
    out[:, :-1] = labels[:, 1:]
    return out


def accepts_logits_to_keep(model: Any) -> bool:
    base = model
    while hasattr(base, "module"):  # DistributedDataParallel
        base = base.module
    get_base = getattr(base, "get_base_model", None)
    if callable(get_base):
        base = get_base()
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def micro_loss(model: Any, batch: dict[str, torch.Tensor], *, keep_logits: bool = True) -> tuple[torch.Tensor, int]:
    """(sum of token losses, number of target tokens) for one collated batch.

    The batch comes from `PackedCollator(attention="positions")`: no attention mask, so the model must
    see `use_cache=False` for transformers to derive per-example attention from the position restarts.
    """
    targets = shifted_labels(batch["labels"])
    kwargs: dict[str, Any] = {}
    if keep_logits:
        keep = (targets != IGNORE_INDEX).any(dim=0).nonzero().squeeze(1)
        if keep.numel() == 0:
            keep = torch.zeros(1, dtype=torch.long, device=targets.device)  # the dummy row: zero loss
        kwargs["logits_to_keep"] = keep
        targets = targets[:, keep]
    out = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False, **kwargs)
    logits = out.logits.float()
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum"
    )
    return loss, int((targets != IGNORE_INDEX).sum())


def evaluate_loss(
    model: Any,
    rows: Sequence[PackedRow],
    collator: PackedCollator,
    batch_size: int,
    device: torch.device,
    *,
    keep_logits: bool = True,
) -> tuple[float, int]:
    """(sum of token losses, target tokens) over `rows`; the caller reduces across processes."""
    total, count = 0.0, 0
    with inference_mode(model):  # safe for QLoRA's 4-bit layers
        for start in range(0, len(rows), batch_size):
            batch = {k: v.to(device) for k, v in collate(rows[start : start + batch_size], collator).items()}
            loss, n = micro_loss(model, batch, keep_logits=keep_logits)
            total += float(loss)
            count += n
    return total, count
