"""Token log-likelihoods under a causal language model: the one place evaluation runs plain forwards.

`token_log_probs(model, rows)` returns, for every row of token ids, `log p(row[t] | row[:t])` for
t = 1..len(row)-1. Perplexity, canary exposure and the general-text forgetting check are all built on
it; label scoring has its own prompt-sharing forward (`label_scoring`).

Contracts:
- Rows are right-padded within a batch. In a causal model a real token never attends to positions on
  its right, so right padding cannot change a real token's log-probability; the attention mask is
  passed anyway so models with non-causal quirks still see the padding as padding.
- Batches are formed by a token budget (`max_batch_tokens`, padded length x rows), not a row count:
  full-vocabulary logits are rows x length x vocabulary floats (49k entries per token for SmolLM2),
  which is what runs out of memory first.
- Results are float64 numpy arrays in the order of the input rows.

Forwards run under `appliance.runtime.contexts.inference_mode`, which is safe for QLoRA's 4-bit layers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from appliance.runtime.contexts import inference_mode
from appliance.runtime.device import model_device

DEFAULT_BATCH_TOKENS = 2048


def pad_id_of(tokenizer: Any) -> int:
    """The tokenizer's pad id, else its eos id, else 0 (padding is masked, so any id is correct)."""
    for name in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, name, None)
        if isinstance(value, int):
            return value
    return 0


def _batches(lengths: Sequence[int], max_batch_tokens: int) -> Iterator[list[int]]:
    """Row indices grouped by similar length so that (longest row x rows) stays within the budget."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batch: list[int] = []
    for i in order:
        # Ascending order: the row being added is the longest of its batch. A row longer than the
        # budget still gets a batch of its own.
        if batch and lengths[i] * (len(batch) + 1) > max_batch_tokens:
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def logits_to_log_probs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log softmax(logits)[target] without materialising a second vocabulary-sized tensor."""
    logits = logits.float()
    picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return picked - torch.logsumexp(logits, dim=-1)


def token_log_probs(
    model: Any,
    rows: Sequence[Sequence[int]],
    *,
    pad_id: int = 0,
    max_batch_tokens: int = DEFAULT_BATCH_TOKENS,
) -> list[np.ndarray]:
    """For each row, `log p(row[t] | row[:t])` for t = 1..len(row)-1 (an empty array for rows of length < 2)."""
    if max_batch_tokens < 1:
        raise ValueError("max_batch_tokens must be positive")
    lengths = [len(r) for r in rows]
    out: list[np.ndarray] = [np.zeros(0) for _ in rows]
    device = model_device(model)
    with inference_mode(model):
        for batch in _batches(lengths, max_batch_tokens):
            width = max(lengths[i] for i in batch)
            if width < 2:
                continue
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for r, i in enumerate(batch):
                ids[r, : lengths[i]] = torch.tensor(list(rows[i]), dtype=torch.long)
                mask[r, : lengths[i]] = 1
            ids, mask = ids.to(device), mask.to(device)
            logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits
            lp = logits_to_log_probs(logits[:, :-1, :], ids[:, 1:]).double().cpu().numpy()
            for r, i in enumerate(batch):
                out[i] = lp[r, : max(0, lengths[i] - 1)].copy()
    return out


def sequence_log_likelihoods(
    model: Any,
    rows: Sequence[Sequence[int]],
    *,
    score_from: int = 1,
    pad_id: int = 0,
    max_batch_tokens: int = DEFAULT_BATCH_TOKENS,
) -> np.ndarray:
    """Sum of log-probabilities of the tokens at positions >= `score_from` of each row."""
    if score_from < 1:
        raise ValueError("score_from must be >= 1: the first token has no context to be predicted from")
    lps = token_log_probs(model, rows, pad_id=pad_id, max_batch_tokens=max_batch_tokens)
    return np.array([float(lp[score_from - 1 :].sum()) for lp in lps], dtype=np.float64)
