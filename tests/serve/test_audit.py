"""Request audit: every request leaves one record of hashes, never text; the sink never slows serving."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time

import pytest

from appliance.serve import BatchingSink, MemorySink, RequestRecord
from appliance.serve.audit import JsonlSink

from .client import get, post
from .tiny import KEYS

SECRET = "Jane Roe, MRN 5550123, lives at 12 Zebra Lane"
MESSAGES = [{"role": "user", "content": f"Summarize: {SECRET}."}]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def records_for(server, memory_sink, request_id: str) -> list[RequestRecord]:
    assert server.api.sink.flush(10)
    return [r for r in memory_sink.records if r.request_id == request_id]


def all_text(record: RequestRecord) -> str:
    return " ".join(str(v) for v in dataclasses.astuple(record))


@pytest.mark.parametrize("stream", [False, True])
def test_sink_receives_hashes_and_no_text(server, memory_sink, backends, stream, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    resp = post(server.url, "/v1/chat/completions",
                {"model": "tiny-lora-b", "messages": MESSAGES, "max_tokens": 12, "temperature": 0, "stream": stream})
    assert resp.status == 200
    if stream:
        chunks = resp.events()[:-1]
        answer = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    else:
        answer = resp.json()["choices"][0]["message"]["content"]
    [record] = records_for(server, memory_sink, resp.headers["x-request-id"])
    rendered = backends["tiny-lora-b"].tokenizer.apply_chat_template(MESSAGES, tokenize=False,
                                                                      add_generation_prompt=True)
    assert record.prompt_sha256 == sha(rendered)
    assert record.response_sha256 == sha(answer)
    assert (record.key_name, record.model, record.route, record.status) == \
        ("all", "tiny-lora-b", "/v1/chat/completions", 200)
    assert record.prompt_tokens == len(backends["tiny"].tokenizer.encode(rendered, add_special_tokens=False))
    assert record.completion_tokens > 0 and record.latency_ms > 0 and record.time > 0
    for fragment in (SECRET, "Zebra", "5550123", "Summarize"):
        assert fragment not in all_text(record)
        assert fragment not in caplog.text
    assert answer.strip() == "" or answer not in all_text(record)
    assert KEYS["all"] not in caplog.text


def test_failed_and_non_generating_requests_are_recorded_too(server, memory_sink) -> None:
    server.api.sink.flush(10)
    start = len(memory_sink.records)
    post(server.url, "/v1/chat/completions", {"model": "tiny", "messages": MESSAGES}, key="sk-wrong")
    post(server.url, "/v1/chat/completions", {"model": "tiny-onnx", "messages": MESSAGES}, key=KEYS["tiny-only"])
    get(server.url, "/v1/models")
    get(server.url, "/health", key=None)
    assert server.api.sink.flush(10)
    new = memory_sink.records[start:]
    assert len({r.request_id for r in new}) == 3 and all(r.request_id for r in new)
    assert [(r.key_name, r.model, r.route, r.status) for r in new] == [
        ("", "", "/v1/chat/completions", 401),
        ("tiny-only", "tiny-onnx", "/v1/chat/completions", 403),
        ("all", "", "/v1/models", 200),
    ]  # /health is not audited
    assert all(r.prompt_sha256 == "" and r.response_sha256 == "" for r in new)


class SlowSink:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.seen: list[RequestRecord] = []

    def record(self, event: RequestRecord) -> None:
        time.sleep(self.delay)
        self.seen.append(event)


class BatchSink:
    def __init__(self) -> None:
        self.batches: list[list[RequestRecord]] = []

    def record(self, event: RequestRecord) -> None:
        raise AssertionError("record_batch should be used")

    def record_batch(self, events) -> None:
        self.batches.append(list(events))


def make_record(i: int = 0) -> RequestRecord:
    return RequestRecord("k", "m", "/v1/completions", 1, 2, 3.0, "a" * 64, "b" * 64, 200, f"id-{i}")


def test_batching_sink_record_never_waits_for_a_slow_sink() -> None:
    inner = SlowSink(0.05)
    sink = BatchingSink(inner, max_batch=100, max_delay=0.01)
    started = time.perf_counter()
    for i in range(200):
        sink.record(make_record(i))
    assert time.perf_counter() - started < 0.5  # 200 x 50 ms would be 10 s if record() waited
    sink.close(timeout=0.1)  # gives up waiting; nothing blocks


def test_batching_sink_batches_and_flushes() -> None:
    inner = BatchSink()
    sink = BatchingSink(inner, max_batch=10, max_delay=0.2)
    for i in range(25):
        sink.record(make_record(i))
    assert sink.flush(10)
    assert [len(b) for b in inner.batches][:2] == [10, 10]
    assert [r.request_id for b in inner.batches for r in b] == [f"id-{i}" for i in range(25)]
    assert sink.delivered == 25
    sink.close()
    sink.record(make_record())
    assert sink.dropped == 1


def test_batching_sink_delivers_after_max_delay() -> None:
    inner = MemorySink()
    sink = BatchingSink(inner, max_batch=1000, max_delay=0.05)
    sink.record(make_record())
    deadline = time.monotonic() + 5
    while not inner.records and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(inner.records) == 1
    sink.close()


def test_batching_sink_drops_and_counts_when_full() -> None:
    gate = threading.Event()

    class Blocked:
        def record(self, event: RequestRecord) -> None:
            gate.wait(10)

    sink = BatchingSink(Blocked(), max_batch=1, max_delay=0.01, max_queue=5)
    for i in range(50):
        sink.record(make_record(i))
    assert sink.dropped >= 40
    gate.set()
    assert sink.flush(10)
    sink.close()


def test_batching_sink_survives_a_failing_sink() -> None:
    class Broken:
        def record(self, event: RequestRecord) -> None:
            raise RuntimeError("disk full")

    sink = BatchingSink(Broken(), max_batch=5, max_delay=0.01)
    for i in range(7):
        sink.record(make_record(i))
    assert sink.flush(10)
    assert sink.failed == 7
    sink.close()


def test_jsonl_sink_writes_private_file(tmp_path) -> None:
    import json
    import stat

    path = tmp_path / "audit.jsonl"
    sink = JsonlSink(path)
    sink.record_batch([make_record(1), make_record(2)])
    sink.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["request_id"] for line in lines] == ["id-1", "id-2"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
