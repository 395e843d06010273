"""The ``Backend`` protocol the server talks to, and the shared implementation for causal LMs.

A backend serves one or more model ids from one set of weights (several LoRA adapters of one base
are one backend with one id per adapter). The server only calls what the protocol names.

Thread-safety contract: every method may be called from many threads at once. Generation goes
through the backend's `Scheduler` (`appliance.serve.backends.batching`): one thread per backend that
runs all live requests' decode steps as one batch (continuous batching), with a bounded queue of
requests waiting for a row; ``generate`` raises `BackendBusy` when that queue is full. The tokenizer
has its own short lock (a Rust fast tokenizer raises "Already borrowed" when one instance is used
from two threads while a call reconfigures it).
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch

from appliance.serve.backends.batching import KV, BackendBusy, Scheduler
from appliance.serve.backends.decoding import Generation, SamplingParams

__all__ = ["KV", "Backend", "BackendBusy", "CausalLMBackend", "ChatTemplateError", "Generation", "SamplingParams"]


class ChatTemplateError(ValueError):
    """The model's chat template rejected the messages (e.g. roles that do not alternate)."""


@runtime_checkable
class Backend(Protocol):
    kind: str  # the registry name: "torch", "onnx"

    @property
    def model_ids(self) -> tuple[str, ...]:
        """The ids clients send as "model" for this backend (one per adapter for a multi-adapter base)."""
        ...

    @property
    def tokenizer(self) -> Any:
        """The Hugging Face tokenizer; ``len(tokenizer)`` bounds valid token ids."""
        ...

    @property
    def context_length(self) -> int | None:
        """Most tokens (prompt + completion) the model attends to; None when the config does not say."""
        ...

    def render_chat(self, messages: Sequence[Mapping[str, Any]]) -> str:
        """The prompt text for role/content ``messages`` via the chat template, ending where the assistant
        reply begins. Raises ChatTemplateError when there is no template or it rejects the messages."""
        ...

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]: ...

    def generate(self, prompt_ids: Sequence[int], max_tokens: int, temperature: float = 1.0, top_p: float = 1.0,
                 stop: Sequence[str] = (), seed: int | None = None, model_id: str | None = None) -> Generation:
        """A lazy completion: iterate it for text deltas, then read its counts and finish reason.
        ``temperature`` 0 is greedy; ``seed`` makes sampling repeatable; ``stop`` strings end the text
        before them. Raises BackendBusy when the model's queue is full. The caller should exhaust or
        ``close()`` it: until then (or until it is garbage collected) it keeps a row of the batch."""
        ...


def eos_token_ids(tokenizer: Any, generation_config: Any = None) -> frozenset[int]:
    """End-of-sequence ids from the generation config (may be a list) and the tokenizer."""
    ids: set[int] = set()
    configured = getattr(generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif isinstance(configured, list | tuple):
        ids.update(int(i) for i in configured)
    if getattr(tokenizer, "eos_token_id", None) is not None:
        ids.add(int(tokenizer.eos_token_id))
    return frozenset(ids)


def context_length_of(config: Any) -> int | None:
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


class CausalLMBackend(ABC):
    """Tokenizer handling and the batch scheduler; subclasses provide ``_forward_batch`` and may override
    ``_activate`` (entered by the scheduler thread around each forward pass of one model id, e.g. to
    switch adapters). ``max_batch`` rows decode together; ``max_waiting`` more requests may queue."""

    kind: ClassVar[str] = ""

    def __init__(self, tokenizer: Any, model_ids: Sequence[str], eos_ids: Collection[int],
                 context_length: int | None, device: torch.device | str = "cpu", max_batch: int = 16,
                 max_waiting: int = 64) -> None:
        if not model_ids:
            raise ValueError("a backend needs at least one model id")
        if len(set(model_ids)) != len(model_ids):
            raise ValueError(f"duplicate model ids {list(model_ids)}")
        self._tokenizer = tokenizer
        self._model_ids = tuple(model_ids)
        self._eos_ids = frozenset(eos_ids)
        self._context_length = context_length
        self._device = torch.device(device)
        self._tokenizer_lock = threading.Lock()
        self.scheduler = Scheduler(self._forward_on_device, self._activate, self._eos_ids, self.decode,
                                   max_batch=max_batch, max_waiting=max_waiting, name=self._model_ids[0],
                                   prefixes=self._template_prefixes())

    @property
    def model_ids(self) -> tuple[str, ...]:
        return self._model_ids

    @property
    def tokenizer(self) -> Any:
        return self._tokenizer

    @property
    def context_length(self) -> int | None:
        return self._context_length

    def render_chat(self, messages: Sequence[Mapping[str, Any]]) -> str:
        """The prompt text for ``messages`` through the tokenizer's chat template, ready for the reply."""
        if not getattr(self._tokenizer, "chat_template", None):
            raise ChatTemplateError("this model has no chat template; use /v1/completions")
        from jinja2 import TemplateError

        try:
            with self._tokenizer_lock:
                text = self._tokenizer.apply_chat_template(list(messages), tokenize=False,
                                                           add_generation_prompt=True)
        except TemplateError as exc:
            raise ChatTemplateError(f"the chat template rejected the messages: {exc}") from None
        return str(text)

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        with self._tokenizer_lock:
            return list(self._tokenizer.encode(text, add_special_tokens=add_special_tokens))

    def decode(self, ids: Sequence[int]) -> str:
        with self._tokenizer_lock:
            return str(self._tokenizer.decode(list(ids), skip_special_tokens=True))

    def _template_prefixes(self) -> list[list[int]]:
        """The chat template's opening for a user message, as token ids: text every chat request without
        its own system message starts with (the model's default system prompt, if any), so its KV is
        computed once and shared. Nothing when there is no template or it needs more than one message."""
        if not getattr(self._tokenizer, "chat_template", None):
            return []
        probe = "\x00probe\x00"
        try:
            text = self.render_chat([{"role": "user", "content": probe}])
        except (ChatTemplateError, TypeError, ValueError):
            return []
        opening = text.split(probe, 1)[0]
        return [self.encode(opening, add_special_tokens=False)] if opening and probe in text else []

    def generate(self, prompt_ids: Sequence[int], max_tokens: int, temperature: float = 1.0, top_p: float = 1.0,
                 stop: Sequence[str] = (), seed: int | None = None, model_id: str | None = None) -> Generation:
        """Queue a completion of ``prompt_ids`` for ``model_id`` (default: the first id); it starts at the
        scheduler's next step. Raises ValueError for bad parameters or an unknown id, BackendBusy when
        the queue is full."""
        model_id = model_id if model_id is not None else self._model_ids[0]
        if model_id not in self._model_ids:
            raise ValueError(f"model {model_id!r} is not served by this backend")
        if not prompt_ids:
            raise ValueError("the prompt is empty")
        params = SamplingParams(max_tokens, temperature, top_p, tuple(stop), seed)
        return self.scheduler.submit(prompt_ids, params, model_id)

    @contextlib.contextmanager
    def exclusive(self, model_id: str) -> Iterator[None]:
        """The model to oneself with ``model_id``'s adapter active, between two scheduler steps (label
        scoring uses it); the running batch waits meanwhile and carries on after."""
        with self.scheduler.lock, self._activate(model_id):
            yield

    def close(self) -> None:
        """Stop the scheduler thread (requests still running end with BackendBusy)."""
        self.scheduler.close()

    def _activate(self, model_id: str) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def _forward_on_device(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                           past: KV | None) -> tuple[torch.Tensor, KV]:
        device = self._device
        if device.type != "cpu":
            input_ids, attention_mask, position_ids = (t.to(device) for t in (input_ids, attention_mask, position_ids))
        logits, presents = self._forward_batch(input_ids, attention_mask, position_ids, past)
        return logits.float().cpu(), presents  # sampling on the CPU: seeded results do not depend on the device

    @abstractmethod
    def _forward_batch(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                       past: KV | None) -> tuple[torch.Tensor, KV]:
        """One forward pass over a batch (see `appliance.serve.backends.batching.BatchForward`): the logits
        of each row's last position ``(rows, vocab)``, and the cache with the new positions appended."""
