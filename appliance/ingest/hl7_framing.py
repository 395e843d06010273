"""Cutting an HL7 v2 byte stream into messages, incrementally.

python-hl7 parses one message held in memory (and its `split_file` wants the whole file and ``\\r``
endings), so this module only finds message boundaries while streaming: segments end at ``\\r``,
``\\n`` or ``\\r\\n``; MLLP framing bytes (``\\x0b`` ... ``\\x1c\\r``) are treated as segment ends; every
``MSH`` segment starts a message; batch and file envelopes (FHS, BHS, BTS, FTS) are dropped; a UTF-8
byte order mark at the start of a segment (where a file, or each of several concatenated files, starts)
is dropped; a last segment without a terminator is kept. Field
and component parsing is left to python-hl7.

Splitting happens on bytes, before decoding, which is correct for the ASCII-compatible encodings HL7
v2 uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

_CHUNK_BYTES = 64 * 1024
_SEGMENT_END = re.compile(rb"[\r\n\x0b\x1c]")
_ENVELOPE_SEGMENTS = (b"FHS", b"BHS", b"BTS", b"FTS")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class RawMessage:
    """The segments of one message, undecoded.

    `number` is 1-based in file order; 0 stands for segments found before the first MSH.
    `oversize` is set (and `segments` emptied) when the message outgrew the byte limit.
    """

    number: int
    segments: list[bytes] = field(default_factory=list)
    oversize: bool = False


def iter_segments(stream: BinaryIO, max_bytes: int) -> Iterator[bytes | None]:
    """Non-empty segments in order; None in place of a segment longer than `max_bytes` (not kept)."""
    pending: list[bytes] = []
    pending_bytes = 0
    too_long = False
    while chunk := stream.read(_CHUNK_BYTES):
        pieces = _SEGMENT_END.split(chunk)
        if len(pieces) == 1:
            if not too_long:
                pending.append(chunk)
                pending_bytes += len(chunk)
                if pending_bytes > max_bytes:
                    too_long, pending, pending_bytes = True, [], 0
            continue
        if too_long:
            yield None
        else:
            first = b"".join([*pending, pieces[0]])
            if first.strip():
                yield first
        yield from (piece for piece in pieces[1:-1] if piece.strip())
        pending, pending_bytes, too_long = [pieces[-1]], len(pieces[-1]), False
    if too_long:
        yield None
    else:
        last = b"".join(pending)
        if last.strip():
            yield last


def iter_messages(stream: BinaryIO, max_bytes: int) -> Iterator[RawMessage]:
    """Messages in file order, each holding at most `max_bytes` of segments."""
    current: RawMessage | None = None
    size = 0
    count = 0
    for segment in iter_segments(stream, max_bytes):
        if segment is not None:
            # A byte order mark where a file starts, or where files were concatenated; never part of a segment.
            segment = segment.removeprefix(_UTF8_BOM)
            if not segment.strip():
                continue
        if segment is not None and segment[:3] in _ENVELOPE_SEGMENTS:
            continue
        if segment is not None and segment.startswith(b"MSH"):
            if current is not None:
                yield current
            count += 1
            current, size = RawMessage(count, [segment]), len(segment)
            continue
        if current is None:
            current = RawMessage(0)
        if current.oversize:
            continue
        if segment is None or size + len(segment) + 1 > max_bytes:
            current.oversize, current.segments = True, []
            continue
        current.segments.append(segment)
        size += len(segment) + 1
    if current is not None:
        yield current
