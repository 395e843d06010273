"""A small HTTP client for the tests: http.client with JSON and server-sent-event parsing."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .tiny import KEYS


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)

    def events(self) -> list[Any]:
        """SSE ``data:`` payloads in order; the final ``[DONE]`` stays a string."""
        out: list[Any] = []
        for block in self.raw.decode("utf-8").split("\n\n"):
            if block.startswith("data: "):
                data = block[len("data: "):]
                out.append(data if data == "[DONE]" else json.loads(data))
        return out


def request(url: str, method: str, path: str, body: Any = None, key: str | None = KEYS["all"],
            headers: dict[str, str] | None = None, context: ssl.SSLContext | None = None,
            timeout: float = 60) -> Response:
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                                       context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def post(url: str, path: str, body: Any, **kwargs: Any) -> Response:
    return request(url, "POST", path, body, **kwargs)


def get(url: str, path: str, **kwargs: Any) -> Response:
    return request(url, "GET", path, **kwargs)
