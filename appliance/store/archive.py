"""Directories as encrypted blobs: a tar stream piped straight into (and out of) the blob store.

Checkpoints, adapters, converted models and exports are directories. ``seal_dir`` streams a tar of
one into a new blob through a pipe, so no plaintext archive ever lands on disk; ``unseal_dir``
streams it back out into a (scratch) directory, refusing members that would escape it.
"""

from __future__ import annotations

import io
import os
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.errors import IntegrityError
from appliance.store.blobs import BlobInfo, BlobStore


class _ChunkReader(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (the blob store's authenticated chunks)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def write_dir(store: BlobStore, directory: Path, kind: str) -> BlobInfo:
    """Tar ``directory`` into a new (not yet registered) blob; see ``BlobStore.write``."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "wb") as sink, tarfile.open(fileobj=sink, mode="w|") as tar:
                for path in sorted(Path(directory).rglob("*")):
                    tar.add(path, arcname=str(path.relative_to(directory)), recursive=False)
        except BaseException as exc:  # reported after the reader finishes
            failure.append(exc)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    with os.fdopen(read_fd, "rb") as source:
        info = store.write(source, kind)
    producer.join()
    if failure:
        (store.root / info.blob_id).unlink(missing_ok=True)
        raise failure[0]
    return info


def extract_dir(store: BlobStore, info: BlobInfo, dest: Path) -> Path:
    """Unpack a directory blob into ``dest`` (created, 0700). Chunks are authenticated as they stream."""
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    reader = io.BufferedReader(_ChunkReader(store.chunks(info)), buffer_size=1 << 20)
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            tar.extractall(dest, filter="data")
    except tarfile.TarError as exc:
        raise IntegrityError(f"blob {info.blob_id} is not a directory archive ({exc})") from None
    return dest
