"""Routes, authentication and request validation, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from .client import get, post, request
from .tiny import ADAPTERS, KEYS

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
MESSAGES = [{"role": "user", "content": "Triage this note."}]


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status == status, resp.raw
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert set(body) == {"error"}
    assert set(body["error"]) >= {"message", "type", "code"}
    assert "\n" not in body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_health_needs_no_key(server) -> None:
    resp = get(server.url, "/health", key=None)
    assert resp.status == 200
    assert resp.json() == {"status": "ok", "models": 4}


def test_server_binds_loopback_by_default(server) -> None:
    assert server.host == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")


def test_models_lists_what_the_key_may_use(server) -> None:
    everything = get(server.url, "/v1/models").json()
    assert everything["object"] == "list"
    assert [m["id"] for m in everything["data"]] == sorted(["tiny", "tiny-onnx", *ADAPTERS])
    assert {m["object"] for m in everything["data"]} == {"model"}
    assert {m["id"]: m["backend"] for m in everything["data"]}["tiny-onnx"] == "onnx"
    limited = get(server.url, "/v1/models", key=KEYS["tiny-only"]).json()
    assert [m["id"] for m in limited["data"]] == ["tiny"]
    one = get(server.url, "/v1/models/tiny-lora-a").json()
    assert one["id"] == "tiny-lora-a" and one["context_length"] == 512
    assert_error(get(server.url, "/v1/models/tiny-lora-a", key=KEYS["tiny-only"]), 403, "model_not_allowed")
    assert_error(get(server.url, "/v1/models/nope"), 404, "model_not_found")


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/v1/models", None),
    ("GET", "/metrics", None),
    ("POST", CHAT, {"model": "tiny", "messages": MESSAGES}),
    ("POST", COMPLETIONS, {"model": "tiny", "prompt": "x"}),
    ("GET", "/no/such/route", None),
])
@pytest.mark.parametrize("auth", [None, "Bearer wrong-key", "Basic " + KEYS["all"], "Bearer", KEYS["all"]])
def test_every_route_but_health_needs_a_valid_key(server, method, path, body, auth) -> None:
    headers = {"Authorization": auth} if auth is not None else {}
    resp = request(server.url, method, path, body, key=None, headers=headers)
    error = assert_error(resp, 401)
    assert error["type"] == "authentication_error"
    assert resp.headers["www-authenticate"] == "Bearer"
    assert KEYS["all"] not in resp.raw.decode()


@pytest.mark.parametrize("path,body", [
    (CHAT, {"model": "tiny-lora-a", "messages": MESSAGES}),
    (COMPLETIONS, {"model": "tiny-onnx", "prompt": "x"}),
])
def test_key_not_allowed_this_model_gets_403(server, path, body) -> None:
    error = assert_error(post(server.url, path, body, key=KEYS["tiny-only"]), 403, "model_not_allowed")
    assert error["type"] == "permission_error"
    assert post(server.url, path, {**body, "model": "tiny", "max_tokens": 2}, key=KEYS["tiny-only"]).status == 200


def test_unknown_model_and_route_get_404(server) -> None:
    assert_error(post(server.url, CHAT, {"model": "gpt-4", "messages": MESSAGES}), 404, "model_not_found")
    assert_error(get(server.url, "/v2/whatever"), 404, "not_found")


def test_wrong_method_gets_405(server) -> None:
    assert_error(get(server.url, CHAT), 405)
    assert_error(request(server.url, "DELETE", "/v1/models"), 405)


BAD_REQUESTS = [
    ("not json", b"{model: tiny", CHAT, "invalid_json"),
    ("not an object", b"[1, 2]", CHAT, "invalid_json"),
    ("lone surrogate in a message", b'{"model": "tiny", "messages": [{"role": "user", "content": "a\\ud800b"}]}', CHAT,
     "invalid_json"),
    ("lone surrogate in a prompt", b'{"model": "tiny", "prompt": "\\udfff"}', COMPLETIONS, "invalid_json"),
    ("nested 40 deep", b'{"model": "tiny", "prompt": "x", "user": ' + b"[" * 40 + b"]" * 40 + b"}", COMPLETIONS,
     "invalid_json"),
    ("nested past the parser's stack", b'{"model": "tiny", "x": ' + b"[" * 20000 + b"]" * 20000 + b"}", COMPLETIONS,
     "invalid_json"),
    ("model missing", {"messages": MESSAGES}, CHAT, None),
    ("messages missing", {"model": "tiny"}, CHAT, None),
    ("messages empty", {"model": "tiny", "messages": []}, CHAT, None),
    ("bad role", {"model": "tiny", "messages": [{"role": "robot", "content": "x"}]}, CHAT, None),
    ("image part", {"model": "tiny", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, CHAT, None),
    ("temperature high", {"model": "tiny", "messages": MESSAGES, "temperature": 3}, CHAT, None),
    ("temperature string", {"model": "tiny", "messages": MESSAGES, "temperature": "0"}, CHAT, None),
    ("top_p zero", {"model": "tiny", "messages": MESSAGES, "top_p": 0}, CHAT, None),
    ("max_tokens zero", {"model": "tiny", "messages": MESSAGES, "max_tokens": 0}, CHAT, None),
    ("max_tokens bool", {"model": "tiny", "messages": MESSAGES, "max_tokens": True}, CHAT, None),
    ("max_tokens over limit", {"model": "tiny", "messages": MESSAGES, "max_tokens": 601}, CHAT, None),
    ("n > 1", {"model": "tiny", "messages": MESSAGES, "n": 2}, CHAT, "unsupported_parameter"),
    ("logprobs", {"model": "tiny", "messages": MESSAGES, "logprobs": True}, CHAT, "unsupported_parameter"),
    ("tools", {"model": "tiny", "messages": MESSAGES, "tools": [{"type": "function"}]}, CHAT, "unsupported_parameter"),
    ("json mode", {"model": "tiny", "messages": MESSAGES, "response_format": {"type": "json_object"}}, CHAT,
     "unsupported_parameter"),
    ("too many stops", {"model": "tiny", "messages": MESSAGES, "stop": ["a", "b", "c", "d", "e"]}, CHAT, None),
    ("empty stop", {"model": "tiny", "messages": MESSAGES, "stop": [""]}, CHAT, None),
    ("stream not bool", {"model": "tiny", "messages": MESSAGES, "stream": "yes"}, CHAT, None),
    ("prompt missing", {"model": "tiny"}, COMPLETIONS, None),
    ("prompt empty", {"model": "tiny", "prompt": ""}, COMPLETIONS, None),
    ("prompt batch", {"model": "tiny", "prompt": ["a", "b"]}, COMPLETIONS, None),
    ("token id out of vocabulary", {"model": "tiny", "prompt": [1, 99999]}, COMPLETIONS, None),
    ("echo", {"model": "tiny", "prompt": "x", "echo": True}, COMPLETIONS, "unsupported_parameter"),
    ("prompt over context", {"model": "tiny", "prompt": "chest pain " * 400}, COMPLETIONS, "context_length_exceeded"),
    ("prompt + max_tokens over context", {"model": "tiny", "prompt": "chest pain " * 60, "max_tokens": 500},
     COMPLETIONS, "context_length_exceeded"),
]


@pytest.mark.parametrize("name,body,path,code", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_requests_get_400_with_a_reason(server, name, body, path, code) -> None:
    error = assert_error(post(server.url, path, body), 400, code)
    assert error["type"] == "invalid_request_error"
    assert error["message"]


def test_error_messages_do_not_echo_request_text(server) -> None:
    secret = "Jane Roe MRN 55501"
    for body in ({"model": "tiny", "messages": [{"role": secret, "content": secret}]},
                 {"model": secret, "messages": [{"role": "user", "content": secret}]}):
        resp = post(server.url, CHAT, body)
        assert resp.status in (400, 404)
        assert secret not in resp.raw.decode()


def _raw_conn(server) -> http.client.HTTPConnection:
    parts = urlsplit(server.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def test_oversized_body_gets_413_without_being_read(server) -> None:
    # Declared size over the limit: answered from the headers alone, and the connection is closed.
    conn = _raw_conn(server)
    conn.putrequest("POST", CHAT)
    conn.putheader("Authorization", f"Bearer {KEYS['all']}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(50 * 1024 * 1024))
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413
    assert json.loads(resp.read())["error"]["code"] == "request_too_large"
    assert resp.getheader("Connection") == "close"
    conn.close()
    # A real body just over the limit.
    big = {"model": "tiny", "messages": [{"role": "user", "content": "x" * (65 * 1024)}]}
    assert_error(post(server.url, CHAT, big), 413, "request_too_large")


def test_oversized_body_without_key_gets_401(server) -> None:
    big = {"model": "tiny", "messages": [{"role": "user", "content": "x" * (65 * 1024)}]}
    assert_error(post(server.url, CHAT, big, key=None), 401)


def test_body_shorter_than_its_length_gets_400(server) -> None:
    import socket

    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEYS["all"].encode()
                 + b"\r\nContent-Length: 100\r\n\r\n{\"model\": ")
    sock.shutdown(socket.SHUT_WR)
    reply = b""
    while chunk := sock.recv(4096):
        reply += chunk
    sock.close()
    assert reply.startswith(b"HTTP/1.1 400") and b"incomplete_body" in reply


def test_http_1_0_client_gets_a_plain_stream(server) -> None:
    import socket

    parts = urlsplit(server.url)
    body = json.dumps({"model": "tiny", "prompt": "x", "max_tokens": 3, "stream": True}).encode()
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(b"POST /v1/completions HTTP/1.0\r\nAuthorization: Bearer " + KEYS["all"].encode()
                 + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    reply = b""
    while chunk := sock.recv(4096):
        reply += chunk
    sock.close()
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert b"200" in head.split(b"\r\n")[0] and b"chunked" not in head.lower()
    assert payload.startswith(b"data: {") and payload.endswith(b"data: [DONE]\n\n")


def test_chunked_upload_gets_411(server) -> None:
    # The whole request goes out in one write: the server answers from the head and closes without reading
    # the body, and a client still sending chunks after that answer would see a broken pipe, not the 411.
    import socket

    parts = urlsplit(server.url)
    body = b'{"model": "tiny"}'
    raw = (f"POST {CHAT} HTTP/1.1\r\nHost: {parts.hostname}\r\nAuthorization: Bearer {KEYS['all']}\r\n"
           "Transfer-Encoding: chunked\r\n\r\n").encode() + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 411


def test_keep_alive_serves_several_requests_on_one_connection(server) -> None:
    conn = _raw_conn(server)
    headers = {"Authorization": f"Bearer {KEYS['all']}", "Content-Type": "application/json"}
    for _ in range(2):
        conn.request("GET", "/health")
        assert conn.getresponse().read()
        conn.request("POST", COMPLETIONS, body=json.dumps({"model": "tiny", "prompt": "x", "max_tokens": 2,
                                                           "stream": True}), headers=headers)
        assert conn.getresponse().read().endswith(b"data: [DONE]\n\n")
    conn.close()


def _counter(text: str, name: str, **labels: str) -> float:
    """The value of series ``name`` with exactly ``labels`` (in any order) in an exposition, else 0."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, value = line.rsplit(" ", 1)
        found_name, _, rest = series.partition("{")
        found = dict(pair.split("=", 1) for pair in rest.rstrip("}").split(",") if pair) if rest else {}
        if found_name == name and {k: v.strip('"') for k, v in found.items()} == labels:
            return float(value)
    return 0.0


def test_metrics_counters_move(server) -> None:
    assert_error(get(server.url, "/metrics", key=None), 401)
    before = get(server.url, "/metrics")
    assert before.status == 200
    assert before.headers["content-type"].startswith("text/plain; version=0.0.4")
    resp = post(server.url, CHAT, {"model": "tiny", "messages": MESSAGES, "max_tokens": 3, "temperature": 0})
    usage = resp.json()["usage"]
    post(server.url, CHAT, {"model": "nope", "messages": MESSAGES})
    after = get(server.url, "/metrics").raw.decode()
    old = before.raw.decode()
    labels = {"model": "tiny", "route": CHAT}
    assert _counter(after, "appliance_requests_total", **labels, status="200") == \
        _counter(old, "appliance_requests_total", **labels, status="200") + 1
    assert _counter(after, "appliance_requests_total", model="unknown", route=CHAT, status="404") >= 1
    assert _counter(after, "appliance_prompt_tokens_total", model="tiny") == \
        _counter(old, "appliance_prompt_tokens_total", model="tiny") + usage["prompt_tokens"]
    assert _counter(after, "appliance_completion_tokens_total", model="tiny") == \
        _counter(old, "appliance_completion_tokens_total", model="tiny") + usage["completion_tokens"]
    assert _counter(after, "appliance_request_duration_seconds_count", **labels) == \
        _counter(old, "appliance_request_duration_seconds_count", **labels) + 1
    assert _counter(after, "appliance_request_duration_seconds_bucket", **labels, le="+Inf") == \
        _counter(after, "appliance_request_duration_seconds_count", **labels)
    assert "# TYPE appliance_request_duration_seconds histogram" in after
    # Generation latencies: time to first token, and per output token after the first.
    assert _counter(after, "appliance_time_to_first_token_seconds_count", model="tiny") == \
        _counter(old, "appliance_time_to_first_token_seconds_count", model="tiny") + 1
    assert _counter(after, "appliance_time_per_output_token_seconds_count", model="tiny") == \
        _counter(old, "appliance_time_per_output_token_seconds_count", model="tiny") + usage["completion_tokens"] - 1
    assert _counter(after, "appliance_time_to_first_token_seconds_sum", model="tiny") > 0
    assert "# TYPE appliance_time_per_output_token_seconds histogram" in after
    assert _counter(after, "appliance_models") == 4
    assert _counter(after, "appliance_audit_records_dropped_total") == 0
    assert "# TYPE appliance_audit_records_dropped_total counter" in after


def test_metrics_need_an_admin_scoped_key(server) -> None:
    refused = get(server.url, "/metrics", key=KEYS["tiny-only"])
    assert_error(refused, 403)
    assert refused.json()["error"]["code"] == "admin_scope_required"


def test_openapi_document_is_served_without_a_key_and_describes_every_route(server) -> None:
    resp = get(server.url, "/openapi.json", key=None)
    assert resp.status == 200
    doc = resp.json()
    assert doc["openapi"].startswith("3.")
    assert {"/health", "/v1/models", "/v1/completions", "/v1/chat/completions", "/v1/classify",
            "/v1/extract", "/metrics"} <= set(doc["paths"])
    assert doc["paths"]["/v1/chat/completions"]["post"]["security"] == [{"bearer": []}]
    assert b"http://" not in resp.raw and b"https://" not in resp.raw  # nothing fetched from elsewhere
