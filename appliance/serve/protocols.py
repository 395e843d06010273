"""What the server needs from the rest of the appliance: a key store and a request sink.

The workspace provides the real implementations (keys stored as hashes, audit in the encrypted store);
the server only sees these two protocols, so it can be run and tested without a database.

Contracts:
- ``KeyStore.check`` is called on every authenticated request, from many threads at once. It must be
  thread-safe, fast, and compare key hashes in constant time. It returns ``None`` for an unknown key.
- ``RequestSink.record`` receives one ``RequestRecord`` per request. The server never calls it from a
  request thread: it goes through ``BatchingSink``, which calls the inner sink from one background
  thread. A record holds hashes of the prompt and the response, never their text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NewType, Protocol, runtime_checkable

ModelId = NewType("ModelId", str)
KeyName = NewType("KeyName", str)


@dataclass(frozen=True)
class KeyInfo:
    """Who presented a valid key. ``models`` is the set of model ids the key may use; ``None`` = all.
    ``admin``: the key may also read /metrics (every model's traffic), for the appliance's operators."""

    name: str
    models: frozenset[str] | None = None
    admin: bool = False

    def allows(self, model_id: str) -> bool:
        return self.models is None or model_id in self.models


@runtime_checkable
class KeyStore(Protocol):
    def check(self, presented_key: str) -> KeyInfo | None:
        """The key's holder, or None when the key is unknown. Constant-time over the stored hashes."""
        ...


@dataclass(frozen=True)
class RequestRecord:
    """One served request, as audited. Never holds prompt or response text.

    ``prompt_sha256`` is the SHA-256 (hex) of the exact prompt text the model saw (for chat requests,
    the messages rendered through the chat template; for token-id prompts, the ids joined by commas);
    ``response_sha256`` of the completion text returned. Both are "" for routes that generate nothing.
    ``status`` is the HTTP status sent; 499 marks a stream the client abandoned before its end.
    """

    key_name: str
    model: str
    route: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    prompt_sha256: str
    response_sha256: str
    status: int
    request_id: str = ""
    time: float = 0.0  # unix time the request arrived
    attempts: int = 1  # for a sampled unauthenticated record: the attempts since the previous one


@runtime_checkable
class RequestSink(Protocol):
    def record(self, event: RequestRecord) -> None:
        """Store one record. May be slow (a database write): the server calls it off the request path."""
        ...


@runtime_checkable
class BatchRequestSink(RequestSink, Protocol):
    """A sink that can store many records at once (one transaction per batch). Optional."""

    def record_batch(self, events: Sequence[RequestRecord]) -> None: ...


@runtime_checkable
class ServeGate(Protocol):
    """Whether a configured model may still be served, asked on every request that names one.

    The workspace's gate answers from the registry (a run rejected, or an approval rolled back, by
    another process is refused on the next request); it must be thread-safe and cheap when nothing
    changed."""

    def refusal(self, model_id: str) -> str | None:
        """None when ``model_id`` may be served; otherwise a one-line reason (no PHI)."""
        ...
