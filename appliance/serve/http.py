"""The HTTP transport: uvicorn (asyncio, h11) running a small ASGI application around ``Api``, with TLS.

``serve`` starts it in a background thread and returns a ``ServerHandle``; ``serve_forever`` runs it
in the foreground until SIGINT/SIGTERM. ``Api`` stays synchronous: each request is answered in a worker
thread (its body is read back through the event loop), and a stream's frames are pulled from the
generation one by one in a worker thread, so the event loop never waits on a model.

Hazards, and what guards each:
- Slow clients: a connection must complete its request headers within ``header_timeout_s`` of
  connecting (or of its previous response), however it trickles bytes; a body must arrive within
  ``body_timeout_s``. A connection over either deadline is closed. Waiting costs no thread.
- Connections: at most ``max_connections`` in all and ``max_connections_per_client`` from one address;
  connections beyond either are closed at once rather than queued.
- A reply sent before its request body was read (401, 413...) closes the connection.
- A client that leaves mid-stream: the next frame is not pulled, the stream is closed (the model is
  freed) and the request is recorded as 499.
- ``stop()`` stops accepting, lets running requests finish for a few seconds, then closes the rest.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from appliance.errors import ApplianceError
from appliance.serve.api import Api, HttpRequest, Reply
from appliance.serve.audit import BatchingSink
from appliance.serve.backends.base import Backend
from appliance.serve.config import ServeConfig
from appliance.serve.errors import ApiError
from appliance.serve.protocols import KeyStore, RequestSink, ServeGate
from appliance.serve.spool import DurableSpool
from appliance.serve.tasks import Classifier, Extractor

log = logging.getLogger("appliance.serve.http")

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def tls_context(config: ServeConfig) -> ssl.SSLContext | None:
    if not config.tls_enabled:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(config.tls_cert), str(config.tls_key))
    except (OSError, ssl.SSLError) as exc:
        raise ApplianceError(f"TLS certificate or key not usable ({exc.__class__.__name__}: {exc}); "
                             "check tls_cert and tls_key") from None
    return context


class _Connections:
    """Open connections, in all and per client address (touched only from the event loop)."""

    def __init__(self, config: ServeConfig) -> None:
        self.limit = config.max_connections
        self.per_client = config.max_connections_per_client
        self.header_timeout = config.header_timeout_s
        self.total = 0
        self.by_client: Counter[str] = Counter()

    def admit(self, client: str) -> bool:
        if self.total >= self.limit:
            log.warning("connection limit (%d) reached; closing a new connection", self.limit)
            return False
        if self.by_client[client] >= self.per_client:
            log.warning("per-client connection limit (%d) reached; closing a new connection", self.per_client)
            return False
        self.total += 1
        self.by_client[client] += 1
        return True

    def leave(self, client: str) -> None:
        self.total -= 1
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]


def _guarded_protocol(connections: _Connections) -> type[H11Protocol]:
    """uvicorn's h11 protocol with connection caps and a deadline for a whole request head."""

    class GuardedProtocol(H11Protocol):
        _admitted_as: str | None = None
        _head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, tuple) and peer else "-"
            if not connections.admit(client):
                transport.abort()
                return
            self._admitted_as = client
            super().connection_made(transport)
            self._arm_head_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._admitted_as is None:
                return
            connections.leave(self._admitted_as)
            self._admitted_as = None
            self._disarm_head_deadline()
            super().connection_lost(exc)

        def eof_received(self) -> bool | None:  # type: ignore[override]
            """A client that half-closes mid-body still reads our answer (400: the body ended early)."""
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete and cycle.more_body:
                cycle.more_body = False
                cycle.message_event.set()
                return True  # keep our sending side open
            return None

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:  # a request head was complete
                self._disarm_head_deadline()

        def on_response_complete(self) -> None:
            self._arm_head_deadline()
            super().on_response_complete()

        def _arm_head_deadline(self) -> None:
            self._disarm_head_deadline()
            self._head_deadline = self.loop.call_later(connections.header_timeout, self._head_too_slow)

        def _disarm_head_deadline(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_too_slow(self) -> None:
            self._head_deadline = None  # disarmed whenever a head completes: this one is late
            log.info("closing a connection that did not send its request head within %.0f s",
                     connections.header_timeout)
            self.transport.close()

    return GuardedProtocol


class AsgiApp:
    """The ASGI application: hands each HTTP request to ``Api.handle`` in a worker thread."""

    def __init__(self, api: Api, config: ServeConfig) -> None:
        self.api = api
        self.config = config
        self.limiter = anyio.CapacityLimiter(config.max_connections)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off; websockets are not offered
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        length: int | None = None
        if "content-length" in headers:
            length = int(headers["content-length"])  # h11 has checked it is a non-negative integer
        if headers.get("transfer-encoding", "").lower() not in ("", "identity"):
            length = None  # chunked uploads are not supported; Api answers 411 and the connection closes
        state = {"body_read": False, "gone": False}

        async def read_all() -> bytes:
            chunks: list[bytes] = []
            with anyio.move_on_after(self.config.body_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        state["gone"] = True
                        break
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        break
            return b"".join(chunks)

        def read_body() -> bytes:
            state["body_read"] = True
            data = anyio.from_thread.run(read_all)
            if len(data) != (length or 0):
                state["gone"] = True  # the connection cannot carry another request
                raise ApiError(400, "the request body ended before its Content-Length", "incomplete_body")
            return data

        request = HttpRequest(scope["method"], scope["path"], headers, length, read_body)
        reply = await anyio.to_thread.run_sync(self.api.handle, request, limiter=self.limiter)
        unread = not state["body_read"] and bool(length or headers.get("transfer-encoding"))
        close = unread or state["gone"]
        try:
            await self._send(reply, send, receive, close, state)
        finally:
            if reply.stream is not None:
                await anyio.to_thread.run_sync(reply.stream.close, limiter=self.limiter)

    async def _send(self, reply: Reply, send: Send, receive: Receive, close: bool, state: dict[str, bool]) -> None:
        headers = [(b"content-type", reply.content_type.encode("latin-1"))]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
        if close:
            headers.append((b"connection", b"close"))
        if reply.stream is None:
            headers.append((b"content-length", str(len(reply.body)).encode()))
            await send({"type": "http.response.start", "status": reply.status, "headers": headers})
            await send({"type": "http.response.body", "body": reply.body})
            return
        stream = reply.stream
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            state["gone"] = True

        def pull() -> bytes | None:
            return next(stream, None)

        async with anyio.create_task_group() as group:
            group.start_soon(watch)
            while not state["gone"]:
                frame = await anyio.to_thread.run_sync(pull, limiter=self.limiter)
                if frame is None:
                    # Account for the request before the client can see the end of it, so a client that
                    # reads the metrics or audit right after its stream finds this request there.
                    await anyio.to_thread.run_sync(stream.close, limiter=self.limiter)
                    break
                if state["gone"]:
                    break
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            if not state["gone"]:
                await send({"type": "http.response.body", "body": b""})
            group.cancel_scope.cancel()


def _bind(config: ServeConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host.strip("[]"), config.port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@dataclass
class ServerHandle:
    """A running server. ``url`` is its base address (``http(s)://host:port``); ``stop()`` is idempotent."""

    url: str
    host: str
    port: int
    api: Api
    _server: uvicorn.Server
    _socket: socket.socket
    _thread: threading.Thread
    _sink: BatchingSink | DurableSpool
    _owns_sink: bool

    def stop(self, timeout: float = 10.0) -> None:
        if not self._thread.is_alive():
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._socket.close()
        if self._owns_sink:
            self._sink.close(timeout)
        else:
            self._sink.flush(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(backends: Mapping[str, Backend], keys: KeyStore, sink: RequestSink, config: ServeConfig,
          tasks: Mapping[str, Classifier | Extractor] | None = None, gate: ServeGate | None = None) -> ServerHandle:
    """Start serving ``backends`` (model id -> backend) in a background thread; returns once listening.

    ``sink`` receives one record per request: a ``DurableSpool`` makes each record durable before its
    answer is sent (the audit fails closed, 503); a ``BatchingSink`` (or any ``RequestSink``, wrapped in
    one made from the config) hands records over from a background thread without waiting. A sink passed
    in is flushed, not closed, on stop. Raises ``ApplianceError`` when the address cannot be bound or TLS is unusable.
    """
    if not backends:
        raise ApplianceError("no models to serve")
    owns = not isinstance(sink, BatchingSink | DurableSpool)
    batching = sink if isinstance(sink, BatchingSink | DurableSpool) else BatchingSink(
        sink, config.audit_max_batch, config.audit_max_delay_s, config.audit_max_queue)
    try:
        api = Api(backends, keys, batching, config, tasks, gate)
        context = tls_context(config)
        try:
            sock = _bind(config)
        except OSError as exc:
            raise ApplianceError(f"cannot listen on {config.host}:{config.port} ({exc.strerror or exc}); "
                                 "choose another host or port") from None
    except BaseException:
        if owns:
            batching.close()
        raise
    uv_config = uvicorn.Config(
        AsgiApp(api, config), http=_guarded_protocol(_Connections(config)), lifespan="off", log_config=None,
        access_log=False, server_header=False, timeout_keep_alive=max(1, int(config.request_timeout_s)),
        timeout_graceful_shutdown=5, h11_max_incomplete_event_size=64 * 1024)
    uv_config.load()
    uv_config.ssl = context  # our context: TLS 1.2 at least, and the clear error above when unusable
    server = uvicorn.Server(uv_config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="serve-loop", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        sock.close()
        if owns:
            batching.close()
        raise ApplianceError("the HTTP server did not start; see the log")
    host, port = str(sock.getsockname()[0]), int(sock.getsockname()[1])
    scheme = "https" if context else "http"
    shown = f"[{host}]" if ":" in host else host
    log.info("serving %d model(s) on %s://%s:%d", len(backends), scheme, shown, port)
    return ServerHandle(f"{scheme}://{shown}:{port}", host, port, api, server, sock, thread, batching, owns)


def serve_forever(backends: Mapping[str, Backend], keys: KeyStore, sink: RequestSink, config: ServeConfig,
                  on_ready: Callable[[str], None] | None = None,
                  tasks: Mapping[str, Classifier | Extractor] | None = None, gate: ServeGate | None = None) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, then stop cleanly (the audit queue is flushed).

    ``on_ready`` receives the bound URL (the real port when ``config.port`` is 0) once requests are accepted.
    """
    handle = serve(backends, keys, sink, config, tasks, gate)
    if on_ready is not None:
        on_ready(handle.url)
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopped.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        handle.stop()
