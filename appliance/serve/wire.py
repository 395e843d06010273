"""What crosses the transport: the parsed HTTP request, the reply (a JSON body or a stream of
server-sent events), and the checks a JSON body passes before any handler sees it.

The body is read only after its declared size was accepted (``read_json``), so an oversized upload
is never buffered; what JSON allows but text cannot hold (a lone surrogate) or no request of this
API needs (deep nesting) is refused with 400 before it reaches the parsers in ``schema`` and ``tasks``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from appliance.serve.errors import ApiError, bad_request

JSON = "application/json"


@dataclass
class HttpRequest:
    method: str
    path: str  # without the query string
    headers: Mapping[str, str]  # lower-case names
    content_length: int | None
    read_body: Callable[[], bytes]


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    stream: EventStream | None = None  # SSE frames; when set, body is unused and the transport must close() it


MAX_JSON_DEPTH = 32


def check_json(body: Any) -> None:
    """400 for what JSON allows but text cannot hold: a lone surrogate escape (``"\\ud800"``), or
    nesting no request of this API needs (deep nesting would exhaust the stack further on)."""
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise bad_request(f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="invalid_json")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise bad_request("request body holds a string that is not valid Unicode (a lone surrogate)",
                                  code="invalid_json") from None
        elif isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A compact UTF-8 JSON reply."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Reply(status, body, JSON, headers)


def sse_frame(payload: Any) -> bytes:
    """One server-sent event carrying ``payload`` as JSON."""
    return b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"


class EventStream(Iterator[bytes]):
    """SSE frames plus the bookkeeping that must run exactly once when the response ends, whether the
    frames ran out, failed, or the transport gave up. The transport must call ``close()`` in all cases
    (a generator closed before its first ``next()`` would not run its own ``finally``)."""

    def __init__(self, frames: Iterator[bytes], cleanup: Callable[[], None]) -> None:
        self._frames = frames
        self._cleanup: Callable[[], None] | None = cleanup

    def __next__(self) -> bytes:
        return next(self._frames)

    def close(self) -> None:
        close = getattr(self._frames, "close", None)
        try:
            if close is not None:
                close()
        finally:
            cleanup, self._cleanup = self._cleanup, None
            if cleanup is not None:
                cleanup()


def read_json(request: HttpRequest, max_body_bytes: int) -> dict[str, Any]:
    """The body as a JSON object, read only once its declared size is within ``max_body_bytes``; 411, 413
    or 400 (``invalid_json``) otherwise."""
    if request.content_length is None:
        raise ApiError(411, "a Content-Length header is required", "length_required")
    if request.content_length > max_body_bytes:
        raise ApiError(413, f"request body is {request.content_length} bytes; the limit is "
                            f"{max_body_bytes}", "request_too_large")
    raw = request.read_body()
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_request("request body is not valid JSON", code="invalid_json") from None
    except RecursionError:
        raise bad_request(f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object", code="invalid_json")
    check_json(body)
    return body
