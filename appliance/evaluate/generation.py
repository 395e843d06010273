"""Greedy replies to prompts, for the generative tasks (summarize, extract) and for canary extraction.

Greedy decoding makes evaluation deterministic: the same model and prompts give the same outputs, so
two methods are compared on what they would answer, not on sampling luck. Prompts are decoded one at a
time: no padding, so no left-padding position pitfalls, and on CPU batching small models gains little.

Hazard: outputs can contain PHI the model memorised; callers score them and must not log them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from appliance.evaluate.likelihood import pad_id_of
from appliance.runtime.contexts import inference_mode
from appliance.runtime.device import model_device

ProgressFn = Callable[[int, int], None]


def greedy_ids(model: Any, tokenizer: Any, prompt_ids: Sequence[int], max_new_tokens: int) -> list[int]:
    """New token ids of the greedy continuation of `prompt_ids`, stopping after the eos token."""
    if max_new_tokens < 1:
        raise ValueError("max_new_tokens must be positive")
    device = model_device(model)
    ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=device)
    eos = getattr(tokenizer, "eos_token_id", None)
    with inference_mode(model):
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            num_beams=1,
            eos_token_id=eos,
            pad_token_id=pad_id_of(tokenizer),
        )
    return [int(t) for t in out[0, ids.shape[1] :].tolist()]


def greedy_replies(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int = 128,
    progress: ProgressFn | None = None,
) -> list[str]:
    """Decoded greedy reply per prompt, without special tokens. `progress(done, total)` may raise to cancel."""
    replies = []
    for done, prompt in enumerate(prompts, 1):
        new = greedy_ids(model, tokenizer, prompt, max_new_tokens)
        replies.append(tokenizer.decode(new, skip_special_tokens=True).strip())
        if progress is not None:
            progress(done, len(prompts))
    return replies
