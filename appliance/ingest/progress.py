"""Byte-counted file reading with throttled progress reports.

Every importer opens its file through `ByteMeter.open`, so progress is measured the same way for all
formats: bytes pulled from disk, summed over all files of one import. Reports go out when at least
`min_interval` seconds have passed since the last one, plus one at the start and one at the end, so a
fast parse over many small files cannot flood a progress bar or a JSON-lines event stream.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.ingest.base import ProgressFn

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

READ_BUFFER_BYTES = 64 * 1024


class ByteMeter:
    """Counts bytes read across the files of one import and reports `(done, total)`."""

    def __init__(self, total: int, callback: ProgressFn | None, min_interval: float = 0.25) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._min_interval = min_interval
        self._last_report: float | None = None
        self._file_start = 0
        self._file_size = 0

    def add(self, nbytes: int) -> None:
        self.done += nbytes
        self._maybe_report()

    def start_file(self, size: int) -> None:
        self._file_start = self.done
        self._file_size = size

    def end_file(self) -> None:
        """Count the whole current file as done, including parts a parser skipped or never read."""
        self.done = self._file_start + self._file_size
        self._maybe_report()

    def open(self, path: Path) -> io.BufferedReader:
        """Open `path` for binary reading; every byte read from disk is counted."""
        raw = open(path, "rb", buffering=0)  # closed when the returned reader is closed
        return io.BufferedReader(_CountingReader(raw, self), buffer_size=READ_BUFFER_BYTES)

    def report(self) -> None:
        """Report now, regardless of the throttle (used at the start and the end)."""
        if self._callback is not None:
            self._last_report = time.monotonic()
            self._callback(min(self.done, self.total), self.total)

    def _maybe_report(self) -> None:
        if self._callback is None:
            return
        now = time.monotonic()
        if self._last_report is None or now - self._last_report >= self._min_interval:
            self.report()


class _CountingReader(io.RawIOBase):
    """A raw stream that tells the meter how many bytes each read returned."""

    def __init__(self, raw: io.FileIO, meter: ByteMeter) -> None:
        super().__init__()
        self._raw = raw
        self._meter = meter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self._meter.add(count)
        return int(count or 0)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
