"""Parity: does the export generate what the PyTorch reference generates?

Two figures, both measured for every format, one of which decides (the format's `ParityRule`):
- ``exact_32``: per prompt, the export's greedy continuation (up to 32 tokens, or to the end-of-sequence
  token) equals the reference's token for token. Float32 exports must reach 95% of prompts.
- ``top1_agreement``: teacher-forced over the whole sequence, the prompt followed by the reference's
  greedy path (both models read the same tokens), the fraction of positions where both pick the same
  most likely token. One early divergence does not compound, which suits quantized exports; int8 must
  reach 90%. The prompt's positions count too: a classification run's greedy answer is a label and an
  end token, so the continuation alone gives a handful of positions per prompt (24 over 5 prompts in the
  quick demo, where three near-ties decided a pass or a fail), while the prompt gives hundreds, read by
  the same weights the served label scoring uses. The continuation-only figure is kept in the details
  as ``path_top1``.

The reference is run once (`run_reference`) and freed before the export is loaded, so both models are
never in memory together. Only numbers are recorded, never prompt text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.export.base import PARITY_TOKENS, Generator, Metric, ParityResult, ParityRule, ProgressFn


@dataclass
class ReferenceRun:
    """The reference's greedy paths and, over each prompt + path, its teacher-forced argmax and top logit."""

    prompt_ids: list[list[int]]
    paths: list[list[int]]
    argmax: list[np.ndarray]
    top_logit: list[np.ndarray]
    metric: float | None


def teacher_forced_logits(gen: Generator, prompt_ids: list[int], path: list[int]) -> np.ndarray:
    """Logits at every position of ``prompt_ids + path[:-1]``: shape ``(len(prompt_ids) + len(path) - 1, vocab)``;
    the last ``len(path)`` rows predict the tokens of `path` (see `path_rows`).

    Uses one forward pass when the generator offers ``sequence_logits``, else one call per position.
    """
    seq = list(prompt_ids) + list(path[:-1])
    sequence_logits = getattr(gen, "sequence_logits", None)
    if callable(sequence_logits):
        return np.asarray(sequence_logits(seq))
    return np.stack([gen.next_token_logits(seq[: k + 1]) for k in range(len(seq))])


def path_rows(prompt_ids: list[int], path: list[int]) -> slice:
    """The rows of `teacher_forced_logits` that predict the tokens of `path`."""
    start = len(prompt_ids) - 1
    return slice(start, start + len(path))


def run_reference(gen: Generator, prompt_ids: list[list[int]], *, metric: Metric | None = None,
                  progress: ProgressFn | None = None, tokens: int = PARITY_TOKENS) -> ReferenceRun:
    paths, argmax, top = [], [], []
    for i, ids in enumerate(prompt_ids):
        path = gen.greedy(ids, tokens)
        logits = teacher_forced_logits(gen, ids, path)
        paths.append(path)
        argmax.append(np.argmax(logits, axis=-1))
        top.append(np.max(logits, axis=-1))
        if progress is not None:
            progress(i + 1, len(prompt_ids), stage="reference")
    return ReferenceRun(prompt_ids, paths, argmax, top, metric(gen) if metric is not None else None)


def measure(fmt: str, rule: ParityRule, ref: ReferenceRun, candidate: Generator, *,
            metric: Metric | None = None, progress: ProgressFn | None = None,
            tokens: int = PARITY_TOKENS) -> ParityResult:
    """Compare `candidate` with the reference run; `passed` follows `rule`."""
    exact: list[bool] = []
    agree_total = positions = path_agree = path_positions = 0
    max_logit_drift = 0.0
    per_prompt: list[dict[str, Any]] = []
    for i, (ids, path) in enumerate(zip(ref.prompt_ids, ref.paths, strict=True)):
        produced = candidate.greedy(ids, tokens)
        exact.append(produced == path)
        logits = teacher_forced_logits(candidate, ids, path)
        same = np.argmax(logits, axis=-1) == ref.argmax[i]
        agree = int(np.sum(same))
        agree_total += agree
        positions += len(same)
        on_path = same[path_rows(ids, path)]
        path_agree += int(np.sum(on_path))
        path_positions += len(on_path)
        # How far the export moved the reference's chosen logit: a drift figure independent of ties.
        drift = float(np.max(np.abs(logits[np.arange(len(same)), ref.argmax[i]] - ref.top_logit[i])))
        max_logit_drift = max(max_logit_drift, drift)
        per_prompt.append({"prompt_tokens": len(ids), "reference_tokens": len(path), "exact": produced == path,
                           "first_divergence": _first_divergence(produced, path), "top1_agree": agree,
                           "top1_positions": len(same), "path_top1_agree": int(np.sum(on_path))})
        if progress is not None:
            progress(i + 1, len(ref.paths), stage="parity")
    exact_32 = float(np.mean(exact)) if exact else 0.0
    top1 = agree_total / positions if positions else 0.0
    measured = exact_32 if rule.measure == "exact_32" else top1
    metric_export = metric(candidate) if metric is not None else None
    details = {"rule": rule.measure, "required": rule.minimum, "measured": measured, "tokens": tokens,
               "positions": positions, "path_top1": path_agree / path_positions if path_positions else 0.0,
               "path_positions": path_positions, "max_logit_drift": max_logit_drift, "per_prompt": per_prompt}
    return ParityResult(passed=measured >= rule.minimum, fmt=fmt, prompts=len(exact), exact_32=exact_32,
                        top1_agreement=top1, metric_reference=ref.metric, metric_export=metric_export,
                        details=details)


def failure_message(result: ParityResult, rule: ParityRule) -> str:
    measured = result.details.get("measured", 0.0)
    return (f"{result.fmt} export failed parity: {rule.label} {measured:.1%} on "
            f"{result.prompts} prompts, required >= {rule.minimum:.0%}; nothing was exported")


def _first_divergence(a: list[int], b: list[int]) -> int | None:
    for k, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return k
    return None if len(a) == len(b) else min(len(a), len(b))
