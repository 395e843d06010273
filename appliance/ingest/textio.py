"""Byte-level helpers for line-oriented formats: bounded line reading and decoding rules.

Lines are split on ``\\n`` in bytes, before decoding, so one bad byte costs one line and not the rest of
the file. That is only correct for ASCII-compatible encodings (UTF-8, Latin-1, cp1252, ...), which is
what line-oriented clinical exports use.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

_SKIP_CHUNK_BYTES = 64 * 1024
# What the "surrogateescape" error handler turns undecodable bytes into.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def reading_encoding(encoding: str) -> str:
    """The codec to read with: UTF-8 becomes UTF-8-with-optional-BOM, since spreadsheet exports add one."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def has_undecodable(text: str) -> bool:
    """True if `text` was decoded with ``errors="surrogateescape"`` and held bytes the codec rejected."""
    return not text.isascii() and _ESCAPED_BYTE.search(text) is not None


def iter_lines(stream: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line_number, line)`` for each ``\\n``-terminated line, 1-based, terminator included.

    A line longer than `max_bytes` is skipped without being held in memory and yielded as
    ``(line_number, None)``, so one runaway line cannot exhaust memory.
    """
    line_number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        line_number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(_SKIP_CHUNK_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield line_number, None
            continue
        yield line_number, line
