"""Transport: TLS, concurrency, responsiveness during generation, busy models, clients that hang up."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from appliance.errors import ApplianceError
from appliance.serve import MemorySink, ServeConfig, backends_by_model, serve

from .client import get, post
from .fakes import FakeBackend
from .tiny import ADAPTERS, KEYS

CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Chest pain."}]


@pytest.fixture
def fake_server(key_store):
    """Starts servers over a FakeBackend: ``start(backend, **config) -> (handle, sink)``; stops them after."""
    servers = []

    def start(backend: FakeBackend, **config):
        sink = MemorySink()
        handle = serve(backends_by_model(backend), key_store, sink, ServeConfig(port=0, **config))
        servers.append(handle)
        return handle, sink

    yield start
    for handle in servers:
        handle.stop()


def self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appliance.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_with_the_hospitals_certificate(tmp_path, backends, key_store) -> None:
    cert, key = self_signed(tmp_path)
    config = ServeConfig(port=0, tls_cert=cert, tls_key=key)
    with serve({"tiny": backends["tiny"]}, key_store, MemorySink(), config) as handle:
        assert handle.url.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=str(cert))
        assert get(handle.url, "/health", key=None, context=trusted).json()["status"] == "ok"
        resp = post(handle.url, CHAT, {"model": "tiny", "messages": MESSAGES, "max_tokens": 4, "stream": True},
                    context=trusted)
        assert resp.events()[-1] == "[DONE]"
        # A client that does not trust the certificate is refused by its own TLS check.
        with pytest.raises(ssl.SSLCertVerificationError):
            get(handle.url, "/health", key=None, context=ssl.create_default_context())
        # Plain HTTP to the TLS port gets no HTTP answer.
        plain = handle.url.replace("https://", "http://")
        with pytest.raises((ConnectionError, OSError)):
            get(plain, "/health", key=None, timeout=5)
        # The server still answers after those failed handshakes.
        assert get(handle.url, "/health", key=None, context=trusted).status == 200


def test_tls_handshake_does_not_block_other_clients(tmp_path, backends, key_store) -> None:
    cert, key = self_signed(tmp_path)
    config = ServeConfig(port=0, tls_cert=cert, tls_key=key)
    with serve({"tiny": backends["tiny"]}, key_store, MemorySink(), config) as handle:
        parts = urlsplit(handle.url)
        stalled = socket.create_connection((parts.hostname, parts.port))  # connects, never says hello
        try:
            trusted = ssl.create_default_context(cafile=str(cert))
            started = time.perf_counter()
            assert get(handle.url, "/health", key=None, context=trusted).status == 200
            assert time.perf_counter() - started < 5
        finally:
            stalled.close()


def test_parallel_requests_all_succeed_with_their_own_model(server) -> None:
    def ask(model: str, stream: bool) -> str:
        resp = post(server.url, CHAT, {"model": model, "messages": MESSAGES, "max_tokens": 10, "temperature": 0,
                                       "stream": stream})
        assert resp.status == 200, resp.raw
        if stream:
            return "".join(c["choices"][0]["delta"].get("content", "") for c in resp.events()[:-1])
        return resp.json()["choices"][0]["message"]["content"]

    models = ["tiny", "tiny-onnx", *ADAPTERS]
    expected = {m: ask(m, False) for m in models}
    jobs = [(m, i % 2 == 0) for i, m in enumerate(models * 3)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda job: ask(*job), jobs))
    assert results == [expected[m] for m, _ in jobs]


def test_other_routes_stay_responsive_while_a_model_generates(fake_server) -> None:
    backend = FakeBackend(tokens=3)
    backend.gate.clear()  # generation waits here until the test lets it go
    handle, _ = fake_server(backend)
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(post, handle.url, CHAT, {"model": "fake", "messages": MESSAGES})
        assert backend.started.wait(10)
        started = time.perf_counter()
        assert get(handle.url, "/health", key=None).status == 200
        assert get(handle.url, "/v1/models").status == 200
        assert get(handle.url, "/metrics").status == 200
        assert time.perf_counter() - started < 5
        backend.gate.set()
        assert running.result(30).json()["choices"][0]["message"]["content"] == "tok0 tok1 tok2 "


def test_busy_model_answers_503(fake_server) -> None:
    backend = FakeBackend(tokens=2)
    backend.gate.clear()
    handle, _ = fake_server(backend, max_queue_per_model=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(post, handle.url, CHAT, {"model": "fake", "messages": MESSAGES})
        assert backend.started.wait(10)
        busy = post(handle.url, CHAT, {"model": "fake", "messages": MESSAGES})
        assert busy.status == 503
        assert busy.json()["error"]["code"] == "model_busy"
        assert busy.headers["retry-after"] == "1"
        backend.gate.set()
        assert running.result(30).status == 200
    assert post(handle.url, CHAT, {"model": "fake", "messages": MESSAGES}).status == 200


def test_client_that_hangs_up_mid_stream_frees_the_model(fake_server) -> None:
    backend = FakeBackend(tokens=100_000, delay=0.002)
    handle, sink = fake_server(backend)
    parts = urlsplit(handle.url)
    import json

    body = json.dumps({"model": "fake", "messages": MESSAGES, "stream": True, "max_tokens": 1000}).encode()
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEYS["all"].encode()
                 + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                 + body)
    assert b"200" in sock.recv(4096)
    assert backend.started.wait(10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset on close
    sock.close()
    assert backend.closed_early.wait(10), "the generation kept running after the client left"
    backend.tokens = 2
    assert post(handle.url, CHAT, {"model": "fake", "messages": MESSAGES}).status == 200
    assert handle.api.sink.flush(10)
    statuses = [r.status for r in sink.records if r.route == CHAT]
    assert statuses == [499, 200]


def test_connections_over_the_limit_are_closed(fake_server) -> None:
    handle, _ = fake_server(FakeBackend(), max_connections=2)
    parts = urlsplit(handle.url)
    held = [socket.create_connection((parts.hostname, parts.port)) for _ in range(2)]
    try:
        time.sleep(0.2)
        extra = socket.create_connection((parts.hostname, parts.port))
        extra.settimeout(5)
        try:
            extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = extra.recv(100)
        except ConnectionResetError:  # closed with the request unread: the kernel resets
            answer = b""
        assert answer == b""  # closed without an answer
        extra.close()
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if get(handle.url, "/health", key=None, timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.05)
    else:
        pytest.fail("server did not accept connections again")


def test_port_in_use_is_a_clear_error(server, backends, key_store) -> None:
    port = urlsplit(server.url).port
    with pytest.raises(ApplianceError, match="cannot listen on 127.0.0.1"):
        serve({"tiny": backends["tiny"]}, key_store, MemorySink(), ServeConfig(port=port))


def test_stop_is_idempotent_and_frees_the_port(backends, key_store) -> None:
    handle = serve({"tiny": backends["tiny"]}, key_store, MemorySink(), ServeConfig(port=0))
    port = handle.port
    handle.stop()
    handle.stop()
    with pytest.raises(OSError):
        get(handle.url, "/health", key=None, timeout=2)
    again = serve({"tiny": backends["tiny"]}, key_store, MemorySink(), ServeConfig(port=port))
    again.stop()


def test_no_backends_is_an_error(key_store) -> None:
    with pytest.raises(ApplianceError, match="no models"):
        serve({}, key_store, MemorySink(), ServeConfig(port=0))


def _closed_by_server(sock: socket.socket, trickle: bytes, within: float) -> bool:
    """Send ``trickle`` one byte at a time (never finishing a request head); True once the server closes."""
    deadline = time.monotonic() + within
    sock.settimeout(0.2)
    for i in range(10_000):
        if time.monotonic() > deadline:
            return False
        try:
            sock.sendall(trickle[i % len(trickle):i % len(trickle) + 1])
            if sock.recv(100) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed
            return True
    return False


def test_slow_clients_trickling_a_header_are_closed_and_health_answers(fake_server) -> None:
    handle, _ = fake_server(FakeBackend(), max_connections=4, header_timeout_s=1.0)
    parts = urlsplit(handle.url)
    slow = [socket.create_connection((parts.hostname, parts.port)) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            closed = list(pool.map(lambda s: _closed_by_server(s, b"GET /health HTTP/1.1\r\nX-Slow: aaaa", 30), slow))
        assert closed == [True] * 4, "a client that never finishes its request head kept its connection"
    finally:
        for sock in slow:
            sock.close()
    assert get(handle.url, "/health", key=None, timeout=5).status == 200


def test_a_slow_header_after_a_kept_alive_request_is_closed_too(fake_server) -> None:
    handle, _ = fake_server(FakeBackend(), header_timeout_s=1.0, request_timeout_s=60.0)
    parts = urlsplit(handle.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        assert _closed_by_server(sock, b"GET /health HTTP/1.1\r\nX-Slow: aaaa", 30)
    finally:
        sock.close()


def test_connections_per_client_are_capped(fake_server) -> None:
    handle, _ = fake_server(FakeBackend(), max_connections=16, max_connections_per_client=2)
    parts = urlsplit(handle.url)
    held = [socket.create_connection((parts.hostname, parts.port)) for _ in range(2)]
    try:
        time.sleep(0.2)
        extra = socket.create_connection((parts.hostname, parts.port), timeout=5)
        try:
            extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = extra.recv(100)
        except (ConnectionResetError, BrokenPipeError):
            answer = b""
        finally:
            extra.close()
        assert answer == b""
        held[0].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # the admitted ones are served
        held[0].settimeout(5)
        assert held[0].recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()


def test_body_that_never_finishes_gets_400_after_the_body_deadline(fake_server) -> None:
    handle, _ = fake_server(FakeBackend(), body_timeout_s=1.0)
    parts = urlsplit(handle.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    try:
        sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEYS["all"].encode()
                     + b"\r\nContent-Length: 100\r\n\r\n{\"model\": ")
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 400") and b"incomplete_body" in reply
