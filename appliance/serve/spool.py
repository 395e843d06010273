"""Request audit that fails closed: a request is answered only once its audit record is durable.

`DurableSpool.record` encrypts the record (AES-256-GCM), appends it to a spool file and fsyncs it
before it returns; only then does the server send the answer. A background thread moves spooled
records into the audit chain (``inner.record_batch``, one transaction per batch) whenever the database
takes a write, and empties the file once everything in it is in the chain. So:

- a long write transaction held by another process (a big import) delays the chain, not the answers:
  records wait in the spool;
- the spool is bounded (``max_records``): when it is full, or a write or fsync fails, ``record`` raises
  `AuditUnavailable` and the server answers 503 instead of serving unaudited.

File format: frames of ``[4-byte big-endian length][12-byte nonce][ciphertext + GCM tag]``; the plaintext
is one record as JSON; the associated data binds the spool file's id and the frame's sequence number,
so frames cannot be reordered, dropped from the middle or moved between spools unnoticed. The key is a
per-workspace secret kept in the encrypted database. Each server holds its spool file under an
exclusive ``flock``; a spool left by a server that crashed is read back and delivered by the next
server started on the workspace (`recover`). A crash between the chain's commit and the emptying of
the spool delivers that batch twice; both copies carry the same ``request_id``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.errors import IntegrityError
from appliance.serve.protocols import RequestRecord

log = logging.getLogger("appliance.serve.spool")

SUFFIX = ".spool"
_HEADER = struct.Struct(">I")


class AuditUnavailable(Exception):
    """The record could not be made durable: the spool is full or cannot be written."""


def _aad(spool_id: str, seq: int) -> bytes:
    return spool_id.encode("ascii") + struct.pack(">Q", seq)


def read_frames(path: Path, key: bytes) -> list[RequestRecord]:
    """Every record of a spool file, in order. A torn last frame (a crash mid-write, never acknowledged)
    is ignored; any other damage raises IntegrityError."""
    data = path.read_bytes()
    spool_id, aead, out, pos, seq = path.stem, AESGCM(key), [], 0, 0
    while pos + _HEADER.size <= len(data):
        (length,) = _HEADER.unpack_from(data, pos)
        end = pos + _HEADER.size + length
        if end > len(data):
            break  # torn tail
        frame = data[pos + _HEADER.size:end]
        try:
            plain = aead.decrypt(frame[:12], frame[12:], _aad(spool_id, seq))
        except InvalidTag:
            raise IntegrityError(f"{path}: audit spool frame {seq} does not authenticate") from None
        out.append(RequestRecord(**json.loads(plain)))
        pos, seq = end, seq + 1
    return out


class DurableSpool:
    """Bounded encrypted spool in front of ``inner`` (a sink with ``record_batch``); see the module doc.

    Counters (exported in /metrics): ``delivered`` (records moved to the chain), ``dropped`` (records
    refused: spool full or unwritable, each a request answered 503), ``failed`` (delivery attempts that
    failed and will be retried), ``pending`` (records in the spool, not yet in the chain)."""

    def __init__(self, directory: Path, key: bytes, inner: Any, max_records: int = 10_000,
                 retry_s: float = 0.2, max_batch: int = 256) -> None:
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._aead = AESGCM(key)
        self._key = key
        self.inner = inner
        self.max_records = max_records
        self.retry_s = retry_s
        self.max_batch = max_batch
        self.delivered = self.dropped = self.failed = 0
        self._spool_id = f"serve-{secrets.token_hex(8)}"
        self.path = self.directory / (self._spool_id + SUFFIX)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._seq = 0
        self._pending: list[RequestRecord] = []
        self._lock = threading.Lock()  # the file, the sequence and the pending list
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="audit-spool", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    # -- the request path --------------------------------------------------------------------------

    def admit(self) -> None:
        """Raise AuditUnavailable now if a record could not be spooled (a stream checks before it starts)."""
        with self._lock:
            if self._closed or len(self._pending) >= self.max_records:
                raise AuditUnavailable("the audit spool is full")

    def record(self, event: RequestRecord) -> None:
        """Append ``event`` durably or raise AuditUnavailable. Thread-safe; one fsync per call."""
        with self._lock:
            if self._closed or len(self._pending) >= self.max_records:
                self.dropped += 1
                raise AuditUnavailable("the audit spool is full")
            try:
                os.write(self._fd, self._frame(event, self._seq))
                os.fsync(self._fd)
            except OSError as exc:
                self.dropped += 1
                log.error("audit spool write failed: %s", type(exc).__name__)
                raise AuditUnavailable("the audit spool cannot be written") from None
            self._seq += 1
            self._pending.append(event)
            self._wake.notify_all()

    def _frame(self, event: RequestRecord, seq: int) -> bytes:
        plain = json.dumps(asdict(event), separators=(",", ":")).encode("utf-8")
        nonce = secrets.token_bytes(12)
        frame = nonce + self._aead.encrypt(nonce, plain, _aad(self._spool_id, seq))
        return _HEADER.pack(len(frame)) + frame

    def _compact(self) -> None:
        """Rewrite the file with only the pending records (under the lock). Under steady traffic the spool
        may never be empty at the moment a batch lands, so the file is rewritten instead of emptied once it
        holds many more frames than records pending, keeping it bounded too."""
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, b"".join(self._frame(e, i) for i, e in enumerate(self._pending)))
            os.fsync(fd)
            os.replace(temporary, self.path)
        except BaseException:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise
        os.close(self._fd)
        self._fd, self._seq = fd, len(self._pending)

    # -- delivery ----------------------------------------------------------------------------------

    def recover(self) -> int:
        """Re-spool the records of spools left by servers that stopped without emptying them (their files
        are not locked), then remove those files. Returns how many records were recovered."""
        recovered = 0
        for path in sorted(self.directory.glob("*" + SUFFIX)):
            if path == self.path:
                continue
            fd = os.open(path, os.O_RDWR)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a running server's spool
                for event in read_frames(path, self._key):
                    self.record(event)
                    recovered += 1
                path.unlink()
            finally:
                os.close(fd)
        if recovered:
            log.warning("recovered %d audit record(s) from a previous server's spool", recovered)
        return recovered

    def _run(self) -> None:
        while True:
            with self._lock:
                self._wake.wait_for(lambda: bool(self._pending) or self._closed)
                if self._closed:
                    return  # what is left stays in the file, for the next server's `recover`
                batch = list(self._pending[: self.max_batch])
            if not self._deliver(batch):
                with self._lock:
                    if self._closed:
                        return
                    self._wake.wait(self.retry_s)

    def _deliver(self, batch: Sequence[RequestRecord]) -> bool:
        try:
            self.inner.record_batch(batch)
        except Exception as exc:  # the chain is busy (a long write elsewhere) or failing: keep them spooled
            self.failed += 1
            log.debug("audit chain not written yet (%s); %d record(s) stay spooled", type(exc).__name__, len(batch))
            return False
        with self._lock:
            del self._pending[: len(batch)]
            self.delivered += len(batch)
            if not self._pending:
                # Everything written so far is in the chain: start the file afresh (same id, new sequence).
                os.ftruncate(self._fd, 0)
                os.fsync(self._fd)
                self._seq = 0
            elif self._seq > 2 * self.max_records:
                try:
                    self._compact()
                except OSError as exc:  # the old file is intact: retried after the next batch
                    log.error("audit spool compaction failed: %s", type(exc).__name__)
            self._wake.notify_all()
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every spooled record is in the chain. False on timeout."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._pending, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what can be delivered within ``timeout``; what cannot stays in the file for the next server."""
        deadline = time.monotonic() + timeout
        self.flush(timeout)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._wake.notify_all()
        self._thread.join(max(0.1, deadline - time.monotonic()))
        if self._thread.is_alive():  # stuck in the chain's write: it keeps the file; it is recovered later
            log.warning("audit spool still delivering at shutdown; %s is kept for the next server", self.path.name)
            return
        with self._lock:
            empty = not self._pending
            os.close(self._fd)
            self._fd = -1
        if empty:
            self.path.unlink(missing_ok=True)
