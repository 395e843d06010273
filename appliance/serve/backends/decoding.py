"""Token-by-token decoding shared by every backend: sampling, incremental detokenization, stop strings.

A backend supplies one function, ``forward(input_ids, attention_mask, past) -> (last_logits, past)``;
``decode_loop`` runs prefill + one step per token with the KV cache and yields text deltas, so the
same loop serves streaming and non-streaming requests, on torch and on ONNX Runtime alike.

Hazards:
- Byte-level tokenizers can split one character over several tokens; a delta is only emitted once
  the decoded text no longer ends in U+FFFD, and SentencePiece-style tokenizers change how a token
  decodes depending on its left neighbour, so deltas are computed against a short decoded window
  (the method vLLM uses) rather than token by token.
- Text that might be the beginning of a stop string is held back until it is known not to be, so a
  stream never shows part of a stop string.
- Sampling uses a per-request ``torch.Generator``, never the global RNG: concurrent requests with
  the same seed give the same output.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

Forward = Callable[[torch.Tensor, torch.Tensor, Any], tuple[torch.Tensor, Any]]
Decode = Callable[[Sequence[int]], str]

FINISH_STOP = "stop"
FINISH_LENGTH = "length"


@dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens. ``temperature == 0`` is greedy decoding (argmax), and ignores top_p and seed."""

    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if self.temperature < 0:
            raise ValueError("temperature must not be negative")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if any(not s for s in self.stop):
            raise ValueError("stop strings must not be empty")


class Generation(Iterator[str]):
    """Text deltas of one completion. After the iterator is exhausted, ``finish_reason`` is "stop" or
    "length" and ``completion_tokens`` the number of tokens generated (an end-of-sequence token is
    not counted). ``close()`` abandons the generation and releases the model at once; call it (or use
    ``with``) when the consumer stops early, e.g. a client that hung up mid-stream."""

    def __init__(self, prompt_tokens: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = 0
        self.finish_reason: str | None = None
        self._deltas: Iterator[str] = iter(())

    def attach(self, deltas: Iterator[str]) -> Generation:
        """Take the deltas from ``deltas``; its ``close()``, if it has one, is called by ours."""
        self._deltas = deltas
        return self

    def __next__(self) -> str:
        return next(self._deltas)

    def close(self) -> None:
        close = getattr(self._deltas, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Generation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def text(self) -> str:
        """Run to the end and return the whole completion."""
        return "".join(self)


class IncrementalDetokenizer:
    """Turns a growing list of token ids into text deltas whose concatenation is ``decode(all ids)``."""

    def __init__(self, decode: Decode) -> None:
        self._decode = decode
        self.ids: list[int] = []
        self._prefix = 0  # start of the window decoded for context
        self._read = 0  # ids before this one have been emitted
        self.emitted = ""

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        prefix_text = self._decode(self.ids[self._prefix:self._read])
        window_text = self._decode(self.ids[self._prefix:])
        if len(window_text) > len(prefix_text) and not window_text.endswith("\ufffd"):
            delta = window_text[len(prefix_text):]
            self._prefix, self._read = self._read, len(self.ids)
            self.emitted += delta
            return delta
        return ""

    def flush(self) -> str:
        """What is left to emit at the end: held-back bytes, and any drift from the windowed decode."""
        full = self._decode(self.ids)
        if full.startswith(self.emitted):
            rest = full[len(self.emitted):]
            self.emitted = full
            return rest
        return ""


class StopMatcher:
    """Cuts the text at the first stop string and holds back a possible stop-string prefix."""

    def __init__(self, stop: Sequence[str]) -> None:
        self.stop = tuple(stop)
        self._pending = ""
        self.stopped = False

    def push(self, delta: str) -> str:
        if not self.stop:
            return delta
        self._pending += delta
        hits = [i for i in (self._pending.find(s) for s in self.stop) if i >= 0]
        if hits:
            out = self._pending[:min(hits)]
            self._pending = ""
            self.stopped = True
            return out
        hold = 0
        for s in self.stop:
            for k in range(min(len(s) - 1, len(self._pending)), hold, -1):
                if self._pending.endswith(s[:k]):
                    hold = k
                    break
        cut = len(self._pending) - hold
        out, self._pending = self._pending[:cut], self._pending[cut:]
        return out

    def flush(self) -> str:
        out, self._pending = self._pending, ""
        return out


def sample(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator | None) -> int:
    """One token id from the last position's logits (a 1-D tensor)."""
    if params.temperature == 0:
        return int(torch.argmax(logits))
    scores = logits.float() / params.temperature
    probs = torch.softmax(scores, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        cumulative = torch.cumsum(sorted_probs, dim=-1)
        # Keep the smallest set whose mass reaches top_p; the first token is always kept.
        drop = cumulative - sorted_probs >= params.top_p
        sorted_probs = sorted_probs.masked_fill(drop, 0.0)
        choice = torch.multinomial(sorted_probs, 1, generator=generator)
        return int(order[choice])
    return int(torch.multinomial(probs, 1, generator=generator))


def decode_loop(forward: Forward, prompt_ids: Sequence[int], params: SamplingParams, eos_ids: Collection[int],
                decode: Decode, state: Generation, device: torch.device | str = "cpu") -> Generator[str, None, None]:
    """Yield text deltas of a completion of ``prompt_ids``; sets ``state``'s counts and finish reason."""
    generator: torch.Generator | None = None
    if params.temperature > 0:
        seed = params.seed if params.seed is not None else secrets.randbits(63)
        generator = torch.Generator(device="cpu").manual_seed(seed)
    detok = IncrementalDetokenizer(decode)
    stops = StopMatcher(params.stop)
    input_ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=device)
    mask = torch.ones_like(input_ids)
    logits, past = forward(input_ids, mask, None)
    for step in range(params.max_tokens):
        # Sampling on CPU keeps seeded results identical whatever device the model runs on.
        token = sample(logits.detach().to("cpu"), params, generator)
        if token in eos_ids:
            state.finish_reason = FINISH_STOP
            break
        state.completion_tokens += 1
        delta = stops.push(detok.push(token))
        if delta:
            yield delta
        if stops.stopped:
            state.finish_reason = FINISH_STOP
            return
        if step + 1 < params.max_tokens:
            next_ids = torch.tensor([[token]], dtype=torch.long, device=device)
            mask = torch.cat([mask, torch.ones((1, 1), dtype=mask.dtype, device=device)], dim=1)
            logits, past = forward(next_ids, mask, past)
    else:
        state.finish_reason = FINISH_LENGTH
    tail = stops.push(detok.flush())
    if stops.stopped:
        state.finish_reason = FINISH_STOP
    else:
        tail += stops.flush()
    if tail:
        yield tail
