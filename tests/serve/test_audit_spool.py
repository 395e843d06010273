"""The request audit fails closed: an answer is sent only once its record is durable in the encrypted
spool; the spool keeps serving while another connection holds a long write transaction, and is drained
into the audit chain when it ends; a full or unwritable spool gives 503. Unauthenticated attempts are
counted, and sampled into the audit."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from appliance.errors import IntegrityError
from appliance.serve import MemorySink, RequestRecord, ServeConfig, StaticKeyStore, TorchBackend, serve
from appliance.serve.api import UnauthenticatedSampler
from appliance.serve.served import SPOOL_DIR, workspace_spool
from appliance.serve.spool import AuditUnavailable, DurableSpool, read_frames
from appliance.serve.workspace_keys import WorkspaceKeys, create_key
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

from .client import get, post
from .tiny import build_model, build_tokenizer

KEY = bytes(range(32))
CHAT = {"model": "tiny", "messages": [{"role": "user", "content": "Chest pain since this morning."}],
        "max_tokens": 3, "temperature": 0}


def record(i: int) -> RequestRecord:
    return RequestRecord("ehr", "tiny", "/v1/chat/completions", 5, 3, 1.0, "a" * 64, "b" * 64, 200,
                         request_id=f"req-{i}")


class Gated:
    """An inner sink that fails while ``closed`` is set (a chain that cannot be written)."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.inner = MemorySink()

    def record_batch(self, events) -> None:
        if self.closed.is_set():
            raise RuntimeError("database is locked")
        for event in events:
            self.inner.record(event)


def test_spool_is_bounded_encrypted_and_drained_in_order(tmp_path: Path) -> None:
    inner = Gated()
    inner.closed.set()
    spool = DurableSpool(tmp_path, KEY, inner, max_records=3, retry_s=0.01)
    try:
        for i in range(3):
            spool.record(record(i))
        with pytest.raises(AuditUnavailable):
            spool.record(record(3))
        with pytest.raises(AuditUnavailable):
            spool.admit()
        assert spool.pending == 3 and spool.dropped == 1 and not inner.inner.records
        data = spool.path.read_bytes()
        assert b"req-0" not in data and b"ehr" not in data and b"/v1/chat" not in data  # encrypted at rest
        assert [r.request_id for r in read_frames(spool.path, KEY)] == ["req-0", "req-1", "req-2"]
        inner.closed.clear()
        assert spool.flush(30)
        assert [r.request_id for r in inner.inner.records] == ["req-0", "req-1", "req-2"]
        assert spool.path.stat().st_size == 0 and spool.delivered == 3
        spool.record(record(4))  # room again
        assert spool.flush(30)
    finally:
        spool.close()
    assert not spool.path.exists()


def test_a_spool_left_behind_is_recovered_and_tampering_is_detected(tmp_path: Path) -> None:
    inner = Gated()
    inner.closed.set()
    first = DurableSpool(tmp_path, KEY, inner, retry_s=0.01)
    for i in range(2):
        first.record(record(i))
    first.close(timeout=0.2)  # the chain stays unwritable: the records stay in the file
    assert first.path.exists()
    left = first.path.read_bytes()

    inner.closed.clear()
    second = DurableSpool(tmp_path, KEY, inner, retry_s=0.01)
    try:
        assert second.recover() == 2
        assert second.flush(30)
    finally:
        second.close()
    assert [r.request_id for r in inner.inner.records] == ["req-0", "req-1"]
    assert not first.path.exists()

    damaged = tmp_path / first.path.name
    data = bytearray(left)
    data[20] ^= 1
    damaged.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="does not authenticate"):
        read_frames(damaged, KEY)


def test_unauthenticated_attempts_are_counted_and_sampled() -> None:
    sampler = UnauthenticatedSampler(window=3600)
    assert [sampler.attempt() for _ in range(5)] == [1, 0, 0, 0, 0]
    sampler._last = float("-inf")  # the window has passed
    assert sampler.attempt() == 5 and sampler.total == 6


@pytest.fixture
def tiny_backend() -> TorchBackend:
    tokenizer = build_tokenizer()
    return TorchBackend(build_model(tokenizer), tokenizer, model_id="tiny")


def test_requests_are_answered_while_another_connection_holds_a_write_transaction(
        ws_path: Path, tiny_backend: TorchBackend) -> None:
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def holder() -> None:
        """Another connection (as another process would) holding the write lock until told to stop."""
        with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as other:
            with other.transaction("test.long-import", ["held"], {}):
                held.set()
                release.wait(120)
        done.set()

    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        key = create_key(ws, "ehr")
        lock = threading.Lock()
        config = ServeConfig(port=0, audit_spool_max_records=4)
        spool = workspace_spool(ws, lock, config.audit_spool_max_records)
        handle = serve({"tiny": tiny_backend}, WorkspaceKeys(ws, lock), spool, config)
        thread = threading.Thread(target=holder)
        try:
            assert post(handle.url, "/v1/chat/completions", CHAT, key=key).status == 200
            assert spool.flush(60)
            before = len(list(ws.audit_entries(action="serve.request")))
            thread.start()
            assert held.wait(60)
            statuses = [post(handle.url, "/v1/chat/completions", CHAT, key=key).status for _ in range(3)]
            statuses.append(get(handle.url, "/v1/models", key=key).status)
            # All answered while the other transaction is still open: the audit did not wait for it.
            assert statuses == [200, 200, 200, 200] and not done.is_set()
            assert spool.pending == 4
            full = post(handle.url, "/v1/chat/completions", CHAT, key=key)
            assert full.status == 503 and full.json()["error"]["code"] == "audit_unavailable"
            assert "choices" not in full.json()
            streamed = post(handle.url, "/v1/chat/completions", {**CHAT, "stream": True}, key=key)
            assert streamed.status == 503
            metrics = get(handle.url, "/metrics", key=key)
            assert metrics.status == 503  # even reading the metrics needs a durable audit record
            release.set()
            thread.join(60)
            assert spool.flush(60)
            assert post(handle.url, "/v1/chat/completions", CHAT, key=key).status == 200
            assert spool.flush(60)
        finally:
            release.set()
            handle.stop()
            spool.close()
        entries = list(ws.audit_entries(action="serve.request"))[before:]
        assert [(e.details["route"], e.details["status"]) for e in entries] == [
            *[("/v1/chat/completions", 200)] * 3, ("/v1/models", 200), ("/v1/chat/completions", 200)]
        assert ws.verify().ok
        assert not any((ws.root / SPOOL_DIR).iterdir())


def test_unwritable_spool_gives_503_not_an_unaudited_answer(tmp_path: Path, tiny_backend: TorchBackend) -> None:
    class Unwritable(DurableSpool):
        def record(self, event: RequestRecord) -> None:
            self.dropped += 1
            raise AuditUnavailable("the audit spool cannot be written")

    spool = Unwritable(tmp_path, KEY, MemorySink())
    keys = StaticKeyStore.from_plain({"ehr": ("sk-test-ehr", None)})
    handle = serve({"tiny": tiny_backend}, keys, spool, ServeConfig(port=0))
    try:
        refused = post(handle.url, "/v1/chat/completions", CHAT, key="sk-test-ehr")
        assert refused.status == 503 and refused.json()["error"]["code"] == "audit_unavailable"
        assert refused.headers.get("retry-after") == "1"
        # A stream admitted while the spool had room, whose record then cannot be spooled, ends in an
        # error event instead of [DONE]: the client can tell its answer was not audited.
        streamed = post(handle.url, "/v1/chat/completions", {**CHAT, "stream": True}, key="sk-test-ehr")
        assert streamed.status == 200
        events = streamed.events()
        assert "[DONE]" not in events and events[-1]["error"]["code"] == "audit_unavailable"
        assert get(handle.url, "/health", key=None).status == 200  # nothing to audit: still answered
    finally:
        handle.stop()
        spool.close()


def test_spool_file_stays_bounded_under_steady_traffic(tmp_path: Path) -> None:
    """The spool is never empty when a batch lands, yet its file is rewritten to the pending records."""
    allowed: set[str] = set()
    delivered: list[str] = []

    class Selective:
        def record_batch(self, events) -> None:
            if any(e.request_id not in allowed for e in events):
                raise RuntimeError("database is locked")
            delivered.extend(e.request_id for e in events)

    spool = DurableSpool(tmp_path, KEY, Selective(), max_records=2, retry_s=0.01, max_batch=1)
    try:
        spool.record(record(0))
        for i in range(1, 5):
            spool.record(record(i))
            allowed.add(f"req-{i - 1}")
            with spool._wake:  # the spool's own condition: notified once a batch has left the spool
                assert spool._wake.wait_for(lambda i=i: spool.delivered == i, 30)
            assert spool.pending == 1
        # Five records written, four delivered, one pending: the file holds that one alone.
        assert [r.request_id for r in read_frames(spool.path, KEY)] == ["req-4"]
        allowed.add("req-4")
        assert spool.flush(30)
    finally:
        spool.close()
    assert delivered == [f"req-{i}" for i in range(5)]
