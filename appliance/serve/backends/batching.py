"""Continuous batching: one scheduler thread per backend runs every request's decode steps together.

Requests that arrive while others are decoding join the running batch at the next step, and a request
that ends (end of sequence, stop string, ``max_tokens``, or its consumer closed it) leaves it at once,
so a step always carries every live request: on a CPU, where a decode step is bound by reading the
weights, sixteen requests cost little more per step than one.

How a step works. Each new request is prefilled alone (batch 1, no padding: its first token is the
same as an unbatched run's), then joins its batch: one KV cache per layer, ``(rows, kv_heads,
positions, head_dim)``, shared by all rows. Rows of different lengths are left padded: a row's
cache occupies the last columns, ``attention_mask`` is 0 over the padding and 1 over the row's own
tokens, and ``position_ids`` count the row's own tokens, so a row's logits do not depend on the
others (up to float rounding of different matrix shapes). A decode step feeds every row's last
token and appends one column. Rows that end are dropped and the columns no row uses any more are
cut, in one copy. Sampling (temperature, top_p, seed), stop strings and detokenization stay per
request, in the scheduler thread; the consumer's thread only reads text deltas from its queue.

Shared prefix: a prompt that begins with one of the backend's public prefixes (the chat template's
opening, the same for every request: e.g. a default system prompt) is prefilled from that prefix's
cached KV, so only the rest of the prompt is computed. Only such constant, model-defined prefixes
are cached, never text from a request: a cache of request prefixes shared by all clients would let
one client time whether another recently sent a given text.

Adapters of one base (the torch backend) run as one batch per adapter, since the active adapter is
model-wide state; the scheduler switches between them step by step.

Hazards:
- Padding columns hold zeros, never garbage: a masked column gets weight 0, and 0 x NaN is NaN.
- A request whose consumer neither reads nor closes it keeps its row until ``max_tokens``; the
  `Generation` is closed when it is garbage collected, which frees the row then.
- An exception in a forward pass fails every request of that batch (their consumers re-raise it)
  and the scheduler carries on with an empty batch.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import secrets
import threading
import weakref
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from appliance.serve.backends.decoding import (
    FINISH_LENGTH,
    FINISH_STOP,
    Decode,
    Generation,
    IncrementalDetokenizer,
    SamplingParams,
    StopMatcher,
    sample,
)

log = logging.getLogger(__name__)

KV = list[tuple[torch.Tensor, torch.Tensor]]  # per layer (key, value), each (rows, kv_heads, positions, head_dim)
# forward(input_ids (rows, new), attention_mask (rows, past + new), position_ids (rows, new), past | None)
#   -> (logits of the last new position (rows, vocab) on the CPU, presents)
BatchForward = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, KV | None], tuple[torch.Tensor, KV]]
Activate = Callable[[str], contextlib.AbstractContextManager[Any]]


class BackendBusy(RuntimeError):
    """The model's queue of waiting requests is full; the server answers 503 and the client retries."""


class _End:
    pass


_END = _End()


class _Stream(Iterator[str]):
    """The consumer's side of one request: text deltas, then the end (or the scheduler's exception)."""

    def __init__(self, request: _Request) -> None:
        self._request = request
        self._done = False

    def __next__(self) -> str:
        if self._done:
            raise StopIteration
        item = self._request.out.get()
        if isinstance(item, str):
            return item
        self._done = True
        if isinstance(item, BaseException):
            raise item
        raise StopIteration

    def close(self) -> None:
        self._done = True
        self._request.cancel()


@dataclass(eq=False)
class _Request:
    prompt_ids: list[int]
    params: SamplingParams
    model_id: str
    state_ref: weakref.ref[Generation]  # weak: a Generation its consumer dropped ends its request
    wake: Callable[[], None]
    out: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    cancelled: bool = False
    generator: torch.Generator | None = None
    detok: IncrementalDetokenizer | None = None
    stops: StopMatcher | None = None
    next_token: int = 0
    position: int = 0  # the position id of next_token

    def cancel(self) -> None:
        self.cancelled = True
        self.wake()

    def live_state(self) -> Generation | None:
        """The consumer's Generation, or None once it was closed or dropped."""
        return None if self.cancelled else self.state_ref()


def _pad_left(tensor: torch.Tensor, columns: int, dim: int) -> torch.Tensor:
    if columns == 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = columns
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


class _Batch:
    """The running rows of one model id and their shared, left-padded KV cache."""

    def __init__(self) -> None:
        self.rows: list[_Request] = []
        self.past: KV = []
        self.mask = torch.zeros((0, 0), dtype=torch.long)

    def add(self, joining: Sequence[tuple[_Request, KV]]) -> None:
        """Append rows, each with its own ``(1, heads, length, head_dim)`` cache: one copy for all."""
        if not joining:
            return
        width = max([self.mask.shape[1], *(kv[0][0].shape[2] for _, kv in joining)])
        masks = [_pad_left(self.mask, width - self.mask.shape[1], 1)] if self.rows else []
        layers: list[tuple[list[torch.Tensor], list[torch.Tensor]]] = [([], []) for _ in joining[0][1]]
        if self.rows:
            for (keys, values), (k, v) in zip(layers, self.past, strict=True):
                keys.append(_pad_left(k, width - k.shape[2], 2))
                values.append(_pad_left(v, width - v.shape[2], 2))
        for request, kv in joining:
            length = kv[0][0].shape[2]
            masks.append(_pad_left(torch.ones((1, length), dtype=torch.long), width - length, 1))
            for (keys, values), (k, v) in zip(layers, kv, strict=True):
                keys.append(_pad_left(k, width - length, 2))
                values.append(_pad_left(v, width - length, 2))
            self.rows.append(request)
        self.mask = torch.cat(masks, dim=0)
        self.past = [(torch.cat(keys, dim=0), torch.cat(values, dim=0)) for keys, values in layers]

    def keep(self, rows: Sequence[int]) -> None:
        """Keep only ``rows`` (indices), and cut the leading columns none of them attends to."""
        if len(rows) == len(self.rows):
            return
        self.rows = [self.rows[i] for i in rows]
        if not rows:
            self.past, self.mask = [], torch.zeros((0, 0), dtype=torch.long)
            return
        index = torch.tensor(rows, dtype=torch.long)
        used = self.mask.index_select(0, index).sum(dim=0).nonzero()
        start = int(used[0]) if len(used) else self.mask.shape[1]
        self.mask = self.mask[:, start:].index_select(0, index)
        index = index.to(self.past[0][0].device)  # the cache may live on a GPU; the mask stays on the CPU
        self.past = [(k[:, :, start:].index_select(0, index).contiguous(),
                      v[:, :, start:].index_select(0, index).contiguous()) for k, v in self.past]


class Scheduler:
    """The per-backend scheduler thread: admits requests from a bounded queue into the running batch
    (at most ``max_batch`` rows) and runs their prefill and decode steps. Started on the first request."""

    def __init__(self, forward: BatchForward, activate: Activate, eos_ids: Collection[int], decode: Decode,
                 max_batch: int = 16, max_waiting: int = 64, name: str = "model",
                 prefixes: Sequence[Sequence[int]] = ()) -> None:
        if max_batch < 1 or max_waiting < 0:
            raise ValueError("max_batch must be at least 1 and max_waiting not negative")
        self._forward = forward
        self._activate = activate
        self._eos = frozenset(eos_ids)
        self._decode = decode
        self.max_batch = max_batch
        self.max_waiting = max_waiting
        self._name = name
        self._cond = threading.Condition()
        # Held around every forward pass (with its adapter switch); `CausalLMBackend.exclusive` takes it
        # to use the model for something else between two steps.
        self.lock = threading.Lock()
        self._waiting: deque[_Request] = deque()
        self._batches: dict[str, _Batch] = {}
        self._admitting: list[_Request] = []  # taken from the queue, being prefilled
        self._thread: threading.Thread | None = None
        self._closed = False
        # Longest first, so the longest matching prefix wins; a prefix must leave a token to prefill.
        self._prefixes = sorted({tuple(p) for p in prefixes if len(p) >= 2}, key=len, reverse=True)
        self._prefix_kv: dict[tuple[str, tuple[int, ...]], KV] = {}
        self.prefix_tokens_reused = 0  # prompt tokens not computed thanks to a cached prefix
        self.steps = 0  # decode steps run (each serves every row of one batch)
        self.rows_stepped = 0  # rows summed over those steps: rows_stepped / steps is the mean batch size

    # -- the consumers' side -----------------------------------------------------------------------

    def submit(self, prompt_ids: Sequence[int], params: SamplingParams, model_id: str) -> Generation:
        state = Generation(len(prompt_ids))
        request = _Request(list(prompt_ids), params, model_id, weakref.ref(state), self._wake)
        with self._cond:
            if self._closed:
                raise BackendBusy(f"{self._name}: the scheduler is stopped")
            if len(self._waiting) >= self.max_waiting + max(0, self.max_batch - self._running()):
                raise BackendBusy(f"{self._name}: {len(self._waiting)} requests are already waiting")
            self._waiting.append(request)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=f"batch-{self._name}", daemon=True)
                self._thread.start()
            self._cond.notify()
        return state.attach(_Stream(request))

    @property
    def queued(self) -> int:
        """Requests waiting for a row."""
        with self._cond:
            return len(self._waiting)

    @property
    def running(self) -> int:
        with self._cond:
            return self._running()

    def _running(self) -> int:
        return len(self._admitting) + sum(len(b.rows) for b in self._batches.values())

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread; requests still queued or running end with BackendBusy."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # -- the scheduler thread ----------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._waiting and not self._running():
                    self._cond.wait()
                if self._closed:
                    self._fail_all(BackendBusy(f"{self._name}: the scheduler stopped"))
                    return
                room = self.max_batch - self._running()
                admitted = [self._waiting.popleft() for _ in range(min(room, len(self._waiting)))]
                self._admitting = admitted
                # Cancelled before they ran: end them here, they never take a row.
                for request in [r for r in self._waiting if r.live_state() is None]:
                    self._waiting.remove(request)
                    request.out.put(_END)
            try:
                try:
                    self._admit(admitted)
                finally:
                    with self._cond:
                        self._admitting = []
                for model_id in list(self._batches):
                    self._step(model_id)
            except Exception as exc:  # never let the thread die, nor a consumer wait forever
                log.error("batch scheduler for %s failed: %s", self._name, type(exc).__name__)
                with self._cond:
                    for request in itertools.chain(admitted, *(b.rows for b in self._batches.values())):
                        request.out.put(exc)  # ignored by a request that had already ended
                    self._batches.clear()

    def _fail_all(self, error: BaseException) -> None:
        for request in itertools.chain(self._waiting, *(b.rows for b in self._batches.values())):
            request.out.put(error)
        self._waiting.clear()
        self._batches.clear()

    def _admit(self, admitted: Sequence[_Request]) -> None:
        joining: dict[str, list[tuple[_Request, KV]]] = {}
        for request in admitted:
            if request.live_state() is None:
                request.out.put(_END)
                continue
            params = request.params
            if params.temperature > 0:
                seed = params.seed if params.seed is not None else secrets.randbits(63)
                request.generator = torch.Generator(device="cpu").manual_seed(seed)
            request.detok = IncrementalDetokenizer(self._decode)
            request.stops = StopMatcher(params.stop)
            count = len(request.prompt_ids)
            try:
                with self.lock, self._activate(request.model_id):
                    past, start = self._cached_prefix(request)
                    input_ids = torch.tensor([request.prompt_ids[start:]], dtype=torch.long)
                    logits, kv = self._forward(input_ids, torch.ones((1, count), dtype=torch.long),
                                               torch.arange(start, count, dtype=torch.long).unsqueeze(0), past)
            except Exception as exc:
                log.error("prefill failed on %s: %s", self._name, type(exc).__name__)
                request.out.put(exc)
                continue
            request.position = count
            if self._accept(request, logits[0], int(torch.argmax(logits[0]))):
                joining.setdefault(request.model_id, []).append((request, kv))
        for model_id, rows in joining.items():
            with self._cond:
                batch = self._batches.setdefault(model_id, _Batch())
            batch.add(rows)

    def _cached_prefix(self, request: _Request) -> tuple[KV | None, int]:
        """The KV of the longest public prefix ``request``'s prompt starts with (computed on first use),
        and its length; (None, 0) when none applies. Called with the request's model id active."""
        ids = request.prompt_ids
        for prefix in self._prefixes:
            if len(ids) > len(prefix) and tuple(ids[:len(prefix)]) == prefix:
                key = (request.model_id, prefix)
                kv = self._prefix_kv.get(key)
                if kv is None:
                    count = len(prefix)
                    _, kv = self._forward(torch.tensor([prefix], dtype=torch.long),
                                          torch.ones((1, count), dtype=torch.long),
                                          torch.arange(count, dtype=torch.long).unsqueeze(0), None)
                    self._prefix_kv[key] = kv
                else:
                    self.prefix_tokens_reused += len(prefix)
                return kv, len(prefix)
        return None, 0

    def _step(self, model_id: str) -> None:
        batch = self._batches[model_id]
        live = [i for i, r in enumerate(batch.rows) if r.live_state() is not None]
        for request in batch.rows:
            if request.live_state() is None:
                request.out.put(_END)
        batch.keep(live)
        if not batch.rows:
            with self._cond:
                del self._batches[model_id]
            return
        rows = len(batch.rows)
        input_ids = torch.tensor([[r.next_token] for r in batch.rows], dtype=torch.long)
        positions = torch.tensor([[r.position] for r in batch.rows], dtype=torch.long)
        mask = torch.cat([batch.mask, torch.ones((rows, 1), dtype=torch.long)], dim=1)
        try:
            with self.lock, self._activate(model_id):
                logits, batch.past = self._forward(input_ids, mask, positions, batch.past)
        except Exception as exc:
            log.error("decode step failed on %s: %s", self._name, type(exc).__name__)
            for request in batch.rows:
                request.out.put(exc)
            with self._cond:
                del self._batches[model_id]
            return
        batch.mask = mask
        self.steps += 1
        self.rows_stepped += rows
        greedy = torch.argmax(logits, dim=-1).tolist()
        keep = []
        for i, request in enumerate(batch.rows):
            request.position += 1
            if self._accept(request, logits[i], greedy[i]):
                keep.append(i)
        batch.keep(keep)
        if not batch.rows:
            with self._cond:
                del self._batches[model_id]

    def _accept(self, request: _Request, logits: torch.Tensor, greedy: int) -> bool:
        """Take one sampled token for ``request``: emit its text, or end it. True while it goes on."""
        state = request.live_state()
        if state is None:
            request.out.put(_END)
            return False
        assert request.detok is not None and request.stops is not None
        params, stops = request.params, request.stops
        token = greedy if params.temperature == 0 else sample(logits, params, request.generator)
        if token in self._eos:
            self._finish(request, state, FINISH_STOP)
            return False
        state.completion_tokens += 1
        delta = stops.push(request.detok.push(token))
        if delta:
            request.out.put(delta)
        if stops.stopped:
            state.finish_reason = FINISH_STOP
            request.out.put(_END)
            return False
        if state.completion_tokens >= params.max_tokens:
            self._finish(request, state, FINISH_LENGTH)
            return False
        request.next_token = token
        return True

    @staticmethod
    def _finish(request: _Request, state: Generation, reason: str) -> None:
        assert request.detok is not None and request.stops is not None
        stops = request.stops
        tail = stops.push(request.detok.flush())
        if stops.stopped:
            reason = FINISH_STOP
        else:
            tail += stops.flush()
        if tail:
            request.out.put(tail)
        state.finish_reason = reason
        request.out.put(_END)
