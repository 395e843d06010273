"""FHIR R4 JSON: a Bundle (or one resource) per ``.json`` file, or NDJSON with one resource per line.

Bundles are streamed with ijson, one entry at a time, so a Bundle of any size is read with memory
bounded by its largest entry (at most `ImportOptions.max_record_bytes`). Locations are ``entry N``
(1-based position in ``Bundle.entry``) for Bundles, ``line N`` for NDJSON (``line N entry M`` for a
Bundle written on one line) and ``file`` for a file that holds one resource.

Resources that carry no note (Patient, Encounter, Observation, ...) are skipped silently, because
real Bundles are full of them; set `ImportOptions.reject_unsupported` to list them as Rejected.
Invalid JSON inside a Bundle cannot be resynchronised: it ends that file with one Rejected at the
entry being read, after the entries already read.

FHIR JSON is UTF-8 by definition, so `ImportOptions.encoding` does not apply here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ijson

from appliance.ingest.base import ImportOptions, Record, Rejected
from appliance.ingest.fhir_resources import ResourceError, note_from_resource, resource_type_name
from appliance.ingest.jsonl_format import parse_json_line
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_CONTENT, NO_CLAIM, register
from appliance.ingest.textio import iter_lines

_NDJSON_EXTENSIONS = (".ndjson", ".jsonl")
_DOCUMENT_EXTENSIONS = (".json",)
_ENTRY_PREFIX = "entry.item"
_UTF8_BOM = b"\xef\xbb\xbf"
_DEPTH_CHANGE = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}


@register
class FhirImporter:
    name = "fhir"

    def claims(self, path: Path, head: bytes) -> int:
        if head.removeprefix(_UTF8_BOM).lstrip()[:1] == b"{" and b'"resourceType"' in head:
            return CLAIM_BY_CONTENT
        return NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Record | Rejected]:
        ndjson = _is_ndjson(path)
        with meter.open(path) as stream:
            if ndjson:
                yield from _read_ndjson(path, stream, options)
            else:
                size = path.stat().st_size
                yield from _read_document(path, stream, options, lambda: meter.done, size)


def _outcome(resource: Any, path: Path, location: str, options: ImportOptions) -> Record | Rejected | None:
    """The Record a parsed resource gives, a Rejected, or None for a silently skipped resource."""
    if not isinstance(resource, dict):
        return Rejected(str(path), location, f"expected a JSON object, found {type(resource).__name__}")
    if "resourceType" not in resource:
        return Rejected(str(path), location, "not a FHIR resource (no resourceType)")
    try:
        note = note_from_resource(resource)
    except ResourceError as exc:
        return Rejected(str(path), location, str(exc))
    if note is None:
        if not options.reject_unsupported:
            return None
        return Rejected(
            str(path),
            location,
            f"resource type {resource_type_name(resource)} carries no note; DocumentReference and DiagnosticReport do",
        )
    return Record(
        note_id=note.note_id or f"{path.stem}-{location.replace(' ', '-')}",
        patient_id=note.patient_id,
        source=f"{path.name}:{location}",
        date=note.date,
        note_type=note.note_type,
        text=note.text,
        metadata=note.metadata,
    )


def _is_ndjson(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in _NDJSON_EXTENSIONS:
        return True
    if suffix in _DOCUMENT_EXTENSIONS:
        return False
    # Unknown extension: NDJSON if the first non-blank line is a complete JSON value on its own.
    with open(path, "rb") as stream:
        for _, line in iter_lines(stream, 1024 * 1024):
            if line is None:
                return False
            if line.strip():
                return parse_json_line(line, "utf-8")[1] is None
    return False


def _read_ndjson(path: Path, stream: io.BufferedReader, options: ImportOptions) -> Iterator[Record | Rejected]:
    for line_number, line in iter_lines(stream, options.max_record_bytes):
        location = f"line {line_number}"
        if line is None:
            yield Rejected(str(path), location, "line longer than max_record_bytes")
            continue
        if not line.strip():
            continue
        resource, problem = parse_json_line(line, "utf-8")
        if problem is not None:
            yield Rejected(str(path), location, problem)
        elif isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            # A Bundle on one line (some exports write them so): its entries, located within the line.
            entries = resource.get("entry")
            for number, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
                result = _entry_outcome(entry, path, f"{location} entry {number}", options)
                if result is not None:
                    yield result
        else:
            result = _outcome(resource, path, location, options)
            if result is not None:
                yield result


def _read_document(
    path: Path, stream: io.BufferedReader, options: ImportOptions, bytes_read: Callable[[], int], size: int
) -> Iterator[Record | Rejected]:
    """Stream Bundle entries; keep the rest of the top-level object to learn what the file holds.

    The top-level object minus its entries is small for a Bundle; for a file larger than
    max_record_bytes it is not kept at all (only its resourceType), so memory stays bounded.
    """
    top = ijson.ObjectBuilder() if size <= options.max_record_bytes else None
    top_type: Any = None
    entries = 0
    where = "file"  # what to blame if the JSON breaks
    if stream.peek(len(_UTF8_BOM))[: len(_UTF8_BOM)] == _UTF8_BOM:
        stream.read(len(_UTF8_BOM))
    events = ijson.parse(stream, use_float=True)
    try:
        for prefix, event, value in events:
            if prefix == _ENTRY_PREFIX:
                entries += 1
                where = f"entry {entries}"
                entry, too_big = _build_value(events, event, value, bytes_read, options.max_record_bytes)
                location, where = where, f"after entry {entries}"
                if too_big:
                    yield Rejected(str(path), location, "entry larger than max_record_bytes")
                else:
                    result = _entry_outcome(entry, path, location, options)
                    if result is not None:
                        yield result
                continue
            if prefix == "resourceType" and event == "string":
                top_type = value
            if top is not None and not _is_entry_event(prefix, event, value):
                top.event(event, value)
    except ijson.JSONError:
        # The parser's message quotes the bytes around the error, which may be note text.
        yield Rejected(str(path), where, "invalid JSON; rest of file skipped")
        return
    if top_type == "Bundle":
        return
    if entries:
        return  # entries were read as Bundle entries already; the top-level type is not one that has them
    if top is None:
        yield Rejected(str(path), "file", "resource larger than max_record_bytes")
        return
    result = _outcome(top.value, path, "file", options)
    if result is not None:
        yield result


def _is_entry_event(prefix: str, event: str, value: Any) -> bool:
    return (
        prefix == "entry" or prefix.startswith("entry.") or (prefix == "" and event == "map_key" and value == "entry")
    )


def _entry_outcome(entry: Any, path: Path, location: str, options: ImportOptions) -> Record | Rejected | None:
    if not isinstance(entry, dict):
        return Rejected(str(path), location, f"Bundle entry is a {type(entry).__name__}, not an object")
    resource = entry.get("resource")
    if resource is None:
        return Rejected(str(path), location, "Bundle entry has no resource")
    return _outcome(resource, path, location, options)


def _build_value(
    events: Iterator[tuple[str, str, Any]],
    event: str,
    value: Any,
    bytes_read: Callable[[], int],
    max_bytes: int,
) -> tuple[Any, bool]:
    """Assemble the JSON value that starts with (`event`, `value`), pulling the rest from `events`.

    Returns ``(value, False)``, or ``(None, True)`` if the value spanned more than `max_bytes` of input
    (it is then consumed but not kept).
    """
    depth = _DEPTH_CHANGE.get(event, 0)
    if depth == 0:
        return value, False
    builder: Any = ijson.ObjectBuilder()
    builder.event(event, value)
    start = bytes_read()
    while depth:
        try:
            _, event, value = next(events)
        except StopIteration:  # ijson raises IncompleteJSONError first; this guards PEP 479 regardless
            raise ijson.IncompleteJSONError("JSON ended inside a value") from None
        depth += _DEPTH_CHANGE.get(event, 0)
        if builder is not None:
            builder.event(event, value)
            if bytes_read() - start > max_bytes:
                builder = None
    return (None, True) if builder is None else (builder.value, False)
