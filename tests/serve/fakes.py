"""An in-memory backend whose generation the test controls: for timing-dependent transport tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Mapping, Sequence
from typing import Any

from appliance.serve.backends.decoding import Generation


class _Tokenizer:
    def __len__(self) -> int:
        return 1000


class FakeBackend:
    """Serves ``model_ids``; each generation yields ``tokens`` deltas "tok0 tok1 ...", waiting for
    ``gate`` before the first one and ``delay`` seconds between them. Records what happened."""

    kind = "fake"

    def __init__(self, model_ids: Sequence[str] = ("fake",), tokens: int = 5, delay: float = 0.0) -> None:
        self._model_ids = tuple(model_ids)
        self.tokens = tokens
        self.delay = delay
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.closed_early = threading.Event()
        self.lock = threading.Lock()

    @property
    def model_ids(self) -> tuple[str, ...]:
        return self._model_ids

    @property
    def tokenizer(self) -> Any:
        return _Tokenizer()

    @property
    def context_length(self) -> int | None:
        return 100_000

    def render_chat(self, messages: Sequence[Mapping[str, Any]]) -> str:
        return "".join(f"<{m['role']}>{m['content']}" for m in messages)

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return [ord(c) % 1000 for c in text]

    def generate(self, prompt_ids: Sequence[int], max_tokens: int, temperature: float = 1.0, top_p: float = 1.0,
                 stop: Sequence[str] = (), seed: int | None = None, model_id: str | None = None) -> Generation:
        state = Generation(len(prompt_ids))

        def run() -> Generator[str, None, None]:
            finished = False
            with self.lock:
                self.started.set()
                self.gate.wait(30)
                try:
                    for i in range(min(self.tokens, max_tokens)):
                        if self.delay:
                            time.sleep(self.delay)
                        state.completion_tokens += 1
                        yield f"tok{i} "
                    state.finish_reason = "length"
                    finished = True
                finally:
                    if not finished:
                        self.closed_early.set()

        return state.attach(run())
