"""The HTTP transport: a threading HTTP/1.1 server (standard library only) around ``Api``, with TLS.

``serve`` starts it in a background thread and returns a ``ServerHandle``; ``serve_forever`` runs it
in the foreground until SIGINT/SIGTERM. One thread per connection; keep-alive is supported, and
streams are sent with chunked transfer encoding so a connection survives its stream.

Hazards:
- TLS handshakes run in the connection's own thread (not in the accept loop), so a client that
  connects and stalls cannot hold up everybody else; ``request_timeout_s`` bounds each read and write.
- Connections beyond ``max_connections`` are closed at once rather than queued without bound.
- A reply sent before its request body was read (401, 413...) closes the connection: the unread body
  would otherwise be parsed as the next request.
- ``stop()`` stops accepting and closes the listening socket; requests already running finish in
  their (daemon) threads.
"""

from __future__ import annotations

import logging
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from appliance.errors import ApplianceError
from appliance.serve.api import Api, HttpRequest, Reply
from appliance.serve.audit import BatchingSink
from appliance.serve.backends.base import Backend
from appliance.serve.config import ServeConfig
from appliance.serve.errors import ApiError
from appliance.serve.protocols import KeyStore, RequestSink

log = logging.getLogger("appliance.serve.http")


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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return "appliance"  # no Python/library versions in the Server header

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    do_PUT = do_DELETE = do_PATCH = do_POST  # answered 405 (with auth first) by Api

    def _serve(self) -> None:
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            length = -1
        if length is not None and length < 0:
            self._send(Reply(400, b'{"error":{"message":"invalid Content-Length","type":"invalid_request_error",'
                                  b'"param":null,"code":"invalid_request"}}'), close=True)
            return
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            length = None  # chunked uploads are not supported; Api answers 411 and the connection closes
        body_read = False

        def read_body() -> bytes:
            nonlocal body_read
            body_read = True
            try:
                data = self.rfile.read(length or 0)
            except OSError:  # includes the socket timeout of a client that stalls mid-body
                data = b""
            if len(data) != (length or 0):
                self.close_connection = True
                raise ApiError(400, "the request body ended before its Content-Length", "incomplete_body")
            return data

        request = HttpRequest(self.command, urlsplit(self.path).path,
                              {k.lower(): v for k, v in self.headers.items()}, length, read_body)
        reply = self.server.api.handle(request)
        unread = not body_read and (length or self.headers.get("Transfer-Encoding"))
        self._send(reply, close=bool(unread) or self.close_connection)
        if unread:
            self._linger()

    def _linger(self) -> None:
        """Briefly read and drop what the client is still sending of a body we refused unread.

        Closing a socket with unread input makes the kernel reset the connection, which can destroy
        our answer before the client reads it (and fail the client's own send). Shutting down our
        side first and draining for a moment lets the client finish and read the status.
        """
        try:
            self.wfile.flush()
            if isinstance(self.connection, ssl.SSLSocket):
                return
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            for _ in range(16):
                if not self.connection.recv(65536):
                    break
        except OSError:
            pass

    def _send(self, reply: Reply, close: bool = False) -> None:
        """Write ``reply``; a stream is closed whatever happens (its close records the request)."""
        try:
            self._write(reply, close)
        except OSError:  # client gone (reset, broken pipe, timeout): a stream records 499
            self.close_connection = True
        finally:
            if reply.stream is not None:
                reply.stream.close()

    def _write(self, reply: Reply, close: bool) -> None:
        if close:
            self.close_connection = True
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
        if reply.stream is None:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        # HTTP/1.0 has no chunked encoding: the stream then ends when the connection closes.
        chunked = self.request_version != "HTTP/1.0"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.close_connection = True
        self.end_headers()
        for frame in reply.stream:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame) if chunked else frame)
            self.wfile.flush()
        # Account for the request before the client can see the end of it, so a client that reads
        # the metrics or audit right after its stream finds this request there.
        reply.stream.close()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # Api logs each request with its route and status; the raw request line is not logged

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        log.debug("http: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, config: ServeConfig, api: Api) -> None:
        self.config = config
        self.api = api
        self.ssl_context = tls_context(config)
        self._connections = threading.BoundedSemaphore(config.max_connections)
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._connections.acquire(blocking=False):
            log.warning("connection limit (%d) reached; closing a new connection", self.config.max_connections)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._connections.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(self.config.request_timeout_s)
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.info("TLS handshake failed: %s", type(exc).__name__)
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            try:
                tls.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.warning("connection error: %s", "see debug log")
        log.debug("connection error", exc_info=True)


@dataclass
class ServerHandle:
    """A running server. ``url`` is its base address (``http(s)://host:port``); ``stop()`` is idempotent."""

    url: str
    host: str
    port: int
    api: Api
    _server: _Server
    _thread: threading.Thread
    _sink: BatchingSink
    _owns_sink: bool

    def stop(self, timeout: float = 10.0) -> None:
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout)
        if self._owns_sink:
            self._sink.close(timeout)
        else:
            self._sink.flush(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(backends: Mapping[str, Backend], keys: KeyStore, sink: RequestSink, config: ServeConfig) -> ServerHandle:
    """Start serving ``backends`` (model id -> backend) in background threads; returns once listening.

    ``sink`` receives one record per request from a background thread: pass a ``BatchingSink`` to set
    its batching yourself (it is then flushed, not closed, on stop), or any ``RequestSink`` to have one
    made from the config. Raises ``ApplianceError`` when the address cannot be bound or TLS is unusable.
    """
    if not backends:
        raise ApplianceError("no models to serve")
    owns = not isinstance(sink, BatchingSink)
    batching = sink if isinstance(sink, BatchingSink) else BatchingSink(
        sink, config.audit_max_batch, config.audit_max_delay_s, config.audit_max_queue)
    api = Api(backends, keys, batching, config)
    try:
        server = _Server(config, api)
    except OSError as exc:
        if owns:
            batching.close()
        raise ApplianceError(f"cannot listen on {config.host}:{config.port} ({exc.strerror or exc}); "
                             "choose another host or port") from None
    except BaseException:
        if owns:
            batching.close()
        raise
    host, port = str(server.server_address[0]), int(server.server_address[1])
    scheme = "https" if server.ssl_context else "http"
    shown = f"[{host}]" if ":" in host else host
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="serve-accept",
                              daemon=True)
    thread.start()
    log.info("serving %d model(s) on %s://%s:%d", len(backends), scheme, shown, port)
    return ServerHandle(f"{scheme}://{shown}:{port}", host, port, api, server, thread, batching, owns)


def serve_forever(backends: Mapping[str, Backend], keys: KeyStore, sink: RequestSink, config: ServeConfig,
                  on_ready: Callable[[str], None] | None = None) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, then stop cleanly (the audit queue is flushed).

    ``on_ready`` receives the bound URL (the real port when ``config.port`` is 0) once requests are accepted.
    """
    handle = serve(backends, keys, sink, config)
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
