"""The ``Backend`` protocol the server talks to, and the shared implementation for causal LMs.

A backend serves one or more model ids from one set of weights (several LoRA adapters of one base
are one backend with one id per adapter). The server only calls what the protocol names.

Thread-safety contract: every method may be called from many threads at once. Generation is
serialized per backend by one lock: a KV cache and the active adapter are per-model state, and on a
shared CPU two interleaved generations are not faster than one after the other. The lock is taken on
the first ``next()`` of a ``Generation`` and released when it ends or is closed. The tokenizer has
its own short lock (a Rust fast tokenizer raises "Already borrowed" when one instance is used from
two threads while a call reconfigures it), so encoding a new request waits for one token's decode at
most, never for a whole generation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Generator, Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch

from appliance.serve.backends.decoding import Generation, SamplingParams, decode_loop


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
        before them. The caller must exhaust or ``close()`` it, or the model stays locked."""
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


class CausalLMBackend:
    """Tokenizer handling, locking and the decode loop; subclasses provide ``_forward`` and may
    override ``_activate`` (entered under the generation lock, e.g. to switch adapters)."""

    kind: ClassVar[str] = ""

    def __init__(self, tokenizer: Any, model_ids: Sequence[str], eos_ids: Collection[int],
                 context_length: int | None, device: torch.device | str = "cpu") -> None:
        if not model_ids:
            raise ValueError("a backend needs at least one model id")
        if len(set(model_ids)) != len(model_ids):
            raise ValueError(f"duplicate model ids {list(model_ids)}")
        self._tokenizer = tokenizer
        self._model_ids = tuple(model_ids)
        self._eos_ids = frozenset(eos_ids)
        self._context_length = context_length
        self._device = torch.device(device)
        self._generate_lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()

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

    def generate(self, prompt_ids: Sequence[int], max_tokens: int, temperature: float = 1.0, top_p: float = 1.0,
                 stop: Sequence[str] = (), seed: int | None = None, model_id: str | None = None) -> Generation:
        """Start a completion of ``prompt_ids`` for ``model_id`` (default: the first id). Lazy: nothing runs
        until the first ``next()``; raises ValueError for bad parameters or an unknown id at once."""
        model_id = model_id if model_id is not None else self._model_ids[0]
        if model_id not in self._model_ids:
            raise ValueError(f"model {model_id!r} is not served by this backend")
        if not prompt_ids:
            raise ValueError("the prompt is empty")
        params = SamplingParams(max_tokens, temperature, top_p, tuple(stop), seed)
        state = Generation(len(prompt_ids))
        return state.attach(self._run(model_id, list(prompt_ids), params, state))

    def _run(self, model_id: str, prompt_ids: list[int], params: SamplingParams,
             state: Generation) -> Generator[str, None, None]:
        with self._generate_lock, self._activate(model_id):
            yield from decode_loop(self._forward, prompt_ids, params, self._eos_ids, self.decode, state,
                                   self._device)

    def _activate(self, model_id: str) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, past: Any) -> tuple[torch.Tensor, Any]:
        raise NotImplementedError
