"""Encrypted blob store: large artifacts (models, checkpoints, exports) as AES-256-GCM chunk streams.

File layout of ``blobs/<blob_id>``::

    header  = b"APBLOB1\\0" | chunk_size (u32 BE) | blob_id (16 bytes)
    chunk i = nonce (12) | ciphertext | tag (16)

Each blob has its own random data key, kept in the ``blobs`` table of the encrypted database (so a
master-key rotation re-protects it without rewriting gigabytes). The associated data of chunk ``i``
is ``blob_id | i | final-flag``: chunks cannot be reordered, swapped between blobs, or the stream
truncated, without a tag failure. Memory use is one chunk whatever the blob size.

Writing is two-phase: ``write`` streams to a temporary file, fsyncs and renames it into place;
``register`` inserts the row inside the caller's transaction (next to its audit entry). A crash
between the two leaves an unreferenced file that ``sweep`` removes when the workspace is next
opened alone; a row never points at a half-written file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.errors import ApplianceError, IntegrityError
from appliance.store.db import Connection
from appliance.store.keyslots import fsync_dir, write_whole

MAGIC = b"APBLOB1\0"
HEADER = struct.Struct(">8sI16s")
DEFAULT_CHUNK = 1024 * 1024
NONCE, TAG = 12, 16

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class BlobInfo:
    blob_id: str
    kind: str
    size: int
    sha256: str
    chunk_size: int
    chunks: int
    data_key: bytes


def _aad(blob_id: bytes, index: int, final: bool) -> bytes:
    return blob_id + struct.pack(">QB", index, 1 if final else 0)


def _read_full(fh: BinaryIO, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        part = fh.read(size - len(buf))
        if not part:
            break
        buf += part
    return bytes(buf)


class BlobStore:
    """Blobs under one directory. Reached through ``Workspace.blobs``; never opened on its own."""

    def __init__(self, root: Path, chunk_size: int = DEFAULT_CHUNK) -> None:
        self.root = root
        self.chunk_size = chunk_size

    def path(self, blob_id: str) -> Path:
        if len(blob_id) != 32 or any(c not in "0123456789abcdef" for c in blob_id):
            raise ApplianceError(f"'{blob_id}' is not a blob id")
        return self.root / blob_id

    # -- writing -------------------------------------------------------------------------------

    def write(self, source: Path | BinaryIO, kind: str, progress: ProgressFn | None = None) -> BlobInfo:
        """Encrypt ``source`` into a new blob file. The blob exists for readers only after ``register``."""
        blob_id = secrets.token_hex(16)
        key = AESGCM.generate_key(bit_length=256)
        aead = AESGCM(key)
        raw_id = bytes.fromhex(blob_id)
        tmp = self.root / f".{blob_id}.tmp"
        digest = hashlib.sha256()
        total = source.stat().st_size if isinstance(source, Path) else 0
        size = chunks = 0
        src: BinaryIO = open(source, "rb") if isinstance(source, Path) else source  # noqa: SIM115
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(HEADER.pack(MAGIC, self.chunk_size, raw_id))
                current = _read_full(src, self.chunk_size)
                while True:
                    # Read one chunk ahead so the last chunk can carry the final flag.
                    following = _read_full(src, self.chunk_size) if len(current) == self.chunk_size else b""
                    final = not following
                    nonce = os.urandom(NONCE)
                    out.write(nonce + aead.encrypt(nonce, current, _aad(raw_id, chunks, final)))
                    digest.update(current)
                    size += len(current)
                    chunks += 1
                    if progress:
                        progress(size, total)
                    if final:
                        break
                    current = following
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.root / blob_id)
            fsync_dir(self.root)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            if isinstance(source, Path):
                src.close()
        return BlobInfo(blob_id, kind, size, digest.hexdigest(), self.chunk_size, chunks, key)

    @staticmethod
    def register(conn: Connection, info: BlobInfo, user: str) -> None:
        """Insert the blob row; call inside the transaction that also writes the audit entry."""
        conn.execute(
            "INSERT INTO blobs (blob_id, kind, size, sha256, chunk_size, chunks, data_key, created, created_by)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (info.blob_id, info.kind, info.size, info.sha256, info.chunk_size, info.chunks, info.data_key,
             datetime.now(UTC).isoformat(timespec="seconds"), user),
        )

    @staticmethod
    def unregister(conn: Connection, blob_id: str) -> None:
        """Delete the blob row (its file goes after the commit); call inside the audited transaction."""
        conn.execute("DELETE FROM blobs WHERE blob_id = ?", (blob_id,))

    # -- reading -------------------------------------------------------------------------------

    @staticmethod
    def ids(conn: Connection) -> list[str]:
        """Every registered blob, oldest first."""
        return [r[0] for r in conn.execute("SELECT blob_id FROM blobs ORDER BY created, blob_id")]

    @staticmethod
    def info(conn: Connection, blob_id: str) -> BlobInfo:
        row = conn.execute(
            "SELECT blob_id, kind, size, sha256, chunk_size, chunks, data_key FROM blobs WHERE blob_id = ?", (blob_id,)
        ).fetchone()
        if row is None:
            raise ApplianceError(f"no blob '{blob_id}' in this workspace")
        return BlobInfo(row[0], row[1], row[2], row[3], row[4], row[5], bytes(row[6]))

    def chunks(self, info: BlobInfo) -> Iterator[bytes]:
        """Yield the plaintext chunk by chunk, authenticating each; raise IntegrityError on any damage."""
        path = self.path(info.blob_id)
        raw_id = bytes.fromhex(info.blob_id)
        aead = AESGCM(info.data_key)
        digest = hashlib.sha256()
        try:
            fh = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise IntegrityError(f"blob {info.blob_id} is missing from blobs/") from None
        with fh:
            header = fh.read(HEADER.size)
            if len(header) != HEADER.size:
                raise IntegrityError(f"blob {info.blob_id}: header is truncated")
            magic, chunk_size, stored_id = HEADER.unpack(header)
            if magic != MAGIC or chunk_size != info.chunk_size or stored_id != raw_id:
                raise IntegrityError(f"blob {info.blob_id}: header does not match its record")
            for index in range(info.chunks):
                final = index == info.chunks - 1
                want = NONCE + (info.size - index * chunk_size if final else chunk_size) + TAG
                sealed = _read_full(fh, want)
                if len(sealed) != want:
                    raise IntegrityError(f"blob {info.blob_id}: chunk {index} is truncated")
                try:
                    plain = aead.decrypt(sealed[:NONCE], sealed[NONCE:], _aad(raw_id, index, final))
                except InvalidTag:
                    raise IntegrityError(
                        f"blob {info.blob_id}: chunk {index} failed authentication (tampered)") from None
                digest.update(plain)
                yield plain
            if fh.read(1):
                raise IntegrityError(f"blob {info.blob_id}: unexpected data after the last chunk")
        if digest.hexdigest() != info.sha256:
            raise IntegrityError(f"blob {info.blob_id}: content hash does not match its record")

    def get(self, info: BlobInfo, dest: Path, progress: ProgressFn | None = None) -> Path:
        """Decrypt to ``dest`` (0600). Written to a temporary name first: ``dest`` appears only if whole."""
        def reported() -> Iterator[bytes]:
            done = 0
            for plain in self.chunks(info):
                yield plain  # written before its progress is reported
                done += len(plain)
                if progress:
                    progress(done, info.size)

        write_whole(dest, reported(), suffix="part")
        return dest

    def verify(self, info: BlobInfo) -> None:
        for _ in self.chunks(info):
            pass

    # -- housekeeping --------------------------------------------------------------------------

    def sweep(self, known: set[str]) -> list[str]:
        """Remove temporary files and blob files no row refers to. Only safe under the exclusive lock."""
        removed = []
        for entry in self.root.iterdir():
            if entry.name.endswith(".tmp") or (entry.name not in known and len(entry.name) == 32):
                entry.unlink(missing_ok=True)
                removed.append(entry.name)
        return removed
