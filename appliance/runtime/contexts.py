"""Inference contexts: running a model without gradients or dropout, safely for every tuning method.

Hazard: a QLoRA model (bitsandbytes 4-bit layers) must not be put in eval mode on CPU: its layers would
repack into an inference layout that silently breaks later training (see `appliance.tune.methods`).
`inference_mode` keeps those layers in training mode; they have no dropout, so scores are unaffected.
Training's periodic evaluation and every evaluation metric go through this one context, so a
bitsandbytes change is handled in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


def is_bnb_4bit(module: torch.nn.Module) -> bool:
    return type(module).__module__.startswith("bitsandbytes") and "4bit" in type(module).__name__


@contextmanager
def inference_mode(model: Any) -> Iterator[None]:
    """Dropout off and no gradients for the duration; restores the model's training flag afterwards."""
    was_training = bool(getattr(model, "training", False))
    model.eval()
    for module in model.modules():
        if is_bnb_4bit(module):
            module.train()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)
