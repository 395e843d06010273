"""Request audit off the serving path: ``BatchingSink`` queues records and hands them to the real sink
from one background thread, in batches; ``UnauthenticatedSampler`` decides which refused attempts
are written (one record per window, carrying the count since the last).

Contract: ``BatchingSink.record`` never blocks and never raises. When the queue is full (the inner sink
cannot keep up for a long time) the record is dropped and counted; the count is exported in /metrics
so an operator sees a gap in the audit instead of a server that slowed to the audit's pace.

Hazards:
- The inner sink is called from the flusher thread only, never from the thread that created it; a
  sink holding a thread-bound handle (a default ``sqlite3`` connection) must open it on first use.
- Records hold hashes, never text; ``sha256_text`` is how the server makes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from appliance.serve.protocols import RequestRecord, RequestSink

log = logging.getLogger("appliance.serve.audit")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class NullSink:
    """Records nothing: for running without an audit (tests, benchmarks)."""

    def record(self, event: RequestRecord) -> None:
        pass


class MemorySink:
    """Keeps records in a list (tests, and a running server's recent history)."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def record(self, event: RequestRecord) -> None:
        with self._lock:
            self.records.append(event)


class JsonlSink:
    """Appends records as JSON lines to a file readable by its owner only (for a stand-alone server)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def record(self, event: RequestRecord) -> None:
        self.record_batch([event])

    def record_batch(self, events: Sequence[RequestRecord]) -> None:
        lines = "".join(json.dumps(asdict(e), separators=(",", ":")) + "\n" for e in events)
        with self._lock:
            self._file.write(lines)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


_STOP = object()


class BatchingSink:
    """Queue in front of ``inner``; a daemon thread delivers up to ``max_batch`` records at a time, at
    most ``max_delay`` seconds after the first of them arrived. Uses ``inner.record_batch`` when the
    inner sink has it (one transaction per batch), else ``inner.record`` per record."""

    def __init__(self, inner: RequestSink, max_batch: int = 256, max_delay: float = 0.5,
                 max_queue: int = 100_000) -> None:
        if max_batch < 1 or max_delay <= 0 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be >= 1 and max_delay > 0")
        self.inner = inner
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.delivered = 0
        self.dropped = 0
        self.failed = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._idle = threading.Condition()
        self._outstanding = 0  # queued or being delivered
        self._closed = False
        self._last_drop_log = 0.0
        self._thread = threading.Thread(target=self._run, name="audit-sink", daemon=True)
        self._thread.start()

    def record(self, event: RequestRecord) -> None:
        if self._closed:
            self._drop()
            return
        with self._idle:
            self._outstanding += 1
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._idle:
                self._outstanding -= 1
                self._idle.notify_all()
            self._drop()

    def _drop(self) -> None:
        with self._idle:
            self.dropped += 1
        now = time.monotonic()
        if now - self._last_drop_log > 10:
            self._last_drop_log = now
            log.warning("audit queue full or closed: %d request record(s) dropped so far", self.dropped)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record queued so far has been handed to the inner sink. False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued, then stop the thread. Records after close are dropped."""
        if self._closed:
            return
        self._closed = True
        self.flush(timeout)
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            deadline = time.monotonic() + self.max_delay
            stop = False
            while len(batch) < self.max_batch:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._deliver([e for e in batch if isinstance(e, RequestRecord)])
            if stop:
                return

    def _deliver(self, batch: list[RequestRecord]) -> None:
        try:
            record_batch = getattr(self.inner, "record_batch", None)
            if record_batch is not None:
                record_batch(batch)
            else:
                for event in batch:
                    self.inner.record(event)
            self.delivered += len(batch)
        except Exception as exc:  # a failing audit store must not kill the flusher; counted in /metrics
            self.failed += len(batch)
            log.error("audit sink failed on %d record(s): %s", len(batch), type(exc).__name__)
        finally:
            with self._idle:
                self._outstanding -= len(batch)
                self._idle.notify_all()


class UnauthenticatedSampler:
    """Counts unauthenticated attempts; ``attempt()`` returns how many a record written now should carry
    (all since the last record) once per ``window`` seconds, else 0 (not written)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.total = 0
        self._since = 0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def attempt(self) -> int:
        with self._lock:
            self.total += 1
            self._since += 1
            now = time.monotonic()
            if now - self._last < self.window:
                return 0
            self._last, count, self._since = now, self._since, 0
            return count
