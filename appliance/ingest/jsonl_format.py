"""JSON Lines: one JSON object per line, keys named by ImportOptions like CSV columns.

Blank lines are skipped. Keys that are not mapped go into `metadata` with their JSON values.
``NaN`` and ``Infinity`` (which Python's json accepts but JSON does not) are rejected so that every
Record's metadata stays valid JSON for hashing and storage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.ingest.base import ImportOptions, Record, Rejected
from appliance.ingest.mapping import record_from_mapping
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_EXTENSION, NO_CLAIM, register
from appliance.ingest.textio import iter_lines, reading_encoding

_EXTENSIONS = (".jsonl", ".ndjson")


class _NonStandardJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonStandardJson(name)


def parse_json_line(line: bytes, encoding: str) -> tuple[Any, str | None]:
    """``(value, None)`` for a line holding one JSON value, else ``(None, reason)``; never quotes the line."""
    try:
        text = line.decode(reading_encoding(encoding)).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return None, f"bytes not valid in {encoding} at column {exc.start + 1}"
    try:
        return json.loads(text, parse_constant=_refuse_constant), None
    except _NonStandardJson as exc:
        return None, f"invalid JSON: {exc} is not allowed"
    except json.JSONDecodeError as exc:
        # exc.msg is the parser's description ("Expecting ',' delimiter"), free of content.
        return None, f"invalid JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"


@register
class JsonlImporter:
    name = "jsonl"

    def claims(self, path: Path, head: bytes) -> int:
        return CLAIM_BY_EXTENSION if path.suffix.lower() in _EXTENSIONS else NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Record | Rejected]:
        with meter.open(path) as stream:
            for line_number, line in iter_lines(stream, options.max_record_bytes):
                location = f"line {line_number}"
                if line is None:
                    yield Rejected(str(path), location, "line longer than max_record_bytes")
                    continue
                if not line.strip():
                    continue
                value, problem = parse_json_line(line, options.encoding)
                if problem is not None:
                    yield Rejected(str(path), location, problem)
                elif not isinstance(value, dict):
                    yield Rejected(str(path), location, f"expected a JSON object, found {type(value).__name__}")
                else:
                    yield record_from_mapping(value, path=path, line=line_number, location=location, options=options)
