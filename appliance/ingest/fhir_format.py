"""FHIR R4 JSON: a Bundle (or one resource) per ``.json`` file, or NDJSON with one resource per line.

Bundles are streamed with ijson, one entry at a time, so a Bundle of any size is read with memory
bounded by its largest entry (at most `ImportOptions.max_record_bytes`). Locations are ``entry N``
(1-based position in ``Bundle.entry``) for Bundles, ``line N`` for NDJSON (``line N entry M`` for a
Bundle written on one line) and ``file`` for a file that holds one resource.

Resources that carry no note (Patient, Encounter, Observation, ...) come out as `Skipped`, because
real Bundles are full of them; set `ImportOptions.reject_unsupported` to list them as Rejected.
Invalid JSON inside a Bundle cannot be resynchronised: it ends that file with one Rejected at the
entry being read, after the entries already read.

Attachments that reference a Binary (``Binary/<id>``, or the Binary's ``urn:uuid:`` fullUrl) are
resolved within the same Bundle, or for NDJSON within the file and the ``Binary*.ndjson`` files beside
it (a bulk export writes one file per resource type). To find them without holding a whole file, a file
that mentions ``Binary/`` or ``urn:uuid:`` at all is read up to twice more before the main pass: once
to learn which Binaries are referenced (and the fullUrls of Patients), once to load just those. The
loaded Binaries are held until the file is done; everything else stays bounded by the largest entry.

FHIR JSON is UTF-8 by definition, so `ImportOptions.encoding` does not apply here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson

from appliance.ingest.base import ImportOptions, Record, Rejected, Skipped
from appliance.ingest.fhir_resources import (
    FhirContext,
    ResourceError,
    attachment_urls,
    binary_content,
    binary_key,
    carries_notes,
    note_from_resource,
    resource_type_name,
)
from appliance.ingest.jsonl_format import parse_json_line
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_CONTENT, NO_CLAIM, register
from appliance.ingest.textio import iter_lines

_NDJSON_EXTENSIONS = (".ndjson", ".jsonl")
_DOCUMENT_EXTENSIONS = (".json",)
_ENTRY_PREFIX = "entry.item"
_UTF8_BOM = b"\xef\xbb\xbf"
_DEPTH_CHANGE = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}


_REFERENCE_MARKERS = (b"Binary/", b"urn:uuid:")
_SCAN_CHUNK = 1024 * 1024

Outcome = Record | Rejected | Skipped


@dataclass
class _Found:
    """One resource found in a file, with where it was and the fullUrl its Bundle entry gave it."""

    location: str
    resource: Any
    full_url: str | None = None


@register
class FhirImporter:
    name = "fhir"

    def claims(self, path: Path, head: bytes) -> int:
        if head.removeprefix(_UTF8_BOM).lstrip()[:1] == b"{" and b'"resourceType"' in head:
            return CLAIM_BY_CONTENT
        return NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Outcome]:
        context = _context_for(path, options)
        with meter.open(path) as stream:
            for found in _iter_found(path, stream, options, lambda: meter.done):
                if isinstance(found, Rejected):
                    yield found
                else:
                    yield _outcome(found, path, options, context)


def _context_for(path: Path, options: ImportOptions) -> FhirContext:
    """The Binaries this file references and its Patients' fullUrls (empty when it mentions neither)."""
    context = FhirContext()
    if not _mentions_references(path):
        return context
    wanted: set[str] = set()
    for found in _scan(path, options):
        resource = found.resource
        kind = resource.get("resourceType")
        if kind == "Patient" and found.full_url and isinstance(resource.get("id"), str):
            context.patients[found.full_url] = resource["id"]
        for url in attachment_urls(resource):
            wanted.add(binary_key(url) or url)
    if not wanted:
        return context
    sources = [path]
    if _is_ndjson(path):
        sources += sorted(p for p in path.parent.glob("Binary*.ndjson") if p != path and p.is_file())
    for source in sources:
        for found in _scan(source, options):
            resource = found.resource
            if resource.get("resourceType") != "Binary":
                continue
            keys = {f"Binary/{resource.get('id')}", found.full_url} & wanted
            if not keys:
                continue
            try:
                content = binary_content(resource)
            except ResourceError:
                continue  # reported when the Binary itself is read in the main pass
            for key in keys:
                if key is not None:
                    context.binaries[key] = content
    return context


def _mentions_references(path: Path) -> bool:
    tail = b""
    with open(path, "rb") as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _REFERENCE_MARKERS):
                return True
            tail = chunk[-16:]
    return False


def _scan(path: Path, options: ImportOptions) -> Iterator[_Found]:
    """The well-formed resources of a file, read without the progress meter; problems are left to the main pass."""
    try:
        with open(path, "rb") as stream:
            counter = _CountingStream(stream)
            for found in _iter_found(path, counter, options, lambda: counter.count):
                if isinstance(found, _Found) and isinstance(found.resource, dict):
                    yield found
    except OSError:
        return


class _CountingStream(io.RawIOBase):
    def __init__(self, raw: Any) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)
        self.count += count or 0
        return int(count or 0)


def _outcome(found: _Found, path: Path, options: ImportOptions, context: FhirContext) -> Outcome:
    """The Record, Rejected or Skipped that one resource gives."""
    resource, location = found.resource, found.location
    if not isinstance(resource, dict):
        return Rejected(str(path), location, f"expected a JSON object, found {type(resource).__name__}")
    if "resourceType" not in resource:
        return Rejected(str(path), location, "not a FHIR resource (no resourceType)")
    kind = resource_type_name(resource)
    if not carries_notes(resource):
        if kind == "Binary" and _is_referenced(resource, found.full_url, context):
            return Skipped(str(path), location, "Binary read as the attachment of the resource that references it")
        if options.reject_unsupported:
            return Rejected(str(path), location, f"resource type {kind} carries no note")
        return Skipped(str(path), location, f"resource type {kind} carries no note")
    try:
        note = note_from_resource(resource, context)
    except ResourceError as exc:
        return Rejected(str(path), location, str(exc))
    if note is None:  # carries_notes said otherwise; kept for the type checker
        return Skipped(str(path), location, f"resource type {kind} carries no note")
    return Record(
        note_id=note.note_id or f"{path.stem}-{location.replace(' ', '-')}",
        patient_id=note.patient_id,
        source=f"{path.name}:{location}",
        date=note.date,
        note_type=note.note_type,
        text=note.text,
        metadata=note.metadata,
    )


def _is_referenced(resource: dict[str, Any], full_url: str | None, context: FhirContext) -> bool:
    return f"Binary/{resource.get('id')}" in context.binaries or (full_url is not None and full_url in context.binaries)


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
                return parse_json_line(line.removeprefix(_UTF8_BOM), "utf-8")[1] is None
    return False


def _iter_found(
    path: Path, stream: Any, options: ImportOptions, bytes_read: Callable[[], int]
) -> Iterator[_Found | Rejected]:
    if _is_ndjson(path):
        yield from _read_ndjson(path, stream, options)
    else:
        yield from _read_document(path, stream, options, bytes_read, path.stat().st_size)


def _read_ndjson(path: Path, stream: Any, options: ImportOptions) -> Iterator[_Found | Rejected]:
    for line_number, line in iter_lines(stream, options.max_record_bytes):
        location = f"line {line_number}"
        if line is None:
            yield Rejected(str(path), location, "line longer than max_record_bytes")
            continue
        if line_number == 1:
            line = line.removeprefix(_UTF8_BOM)
        if not line.strip():
            continue
        resource, problem = parse_json_line(line, "utf-8")
        if problem is not None:
            yield Rejected(str(path), location, problem)
        elif isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            # A Bundle on one line (some exports write them so): its entries, located within the line.
            entries = resource.get("entry")
            for number, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
                yield _entry_found(entry, path, f"{location} entry {number}")
        else:
            yield _Found(location, resource)


def _read_document(
    path: Path, stream: Any, options: ImportOptions, bytes_read: Callable[[], int], size: int
) -> Iterator[_Found | Rejected]:
    """Stream Bundle entries; keep the rest of the top-level object to learn what the file holds.

    The top-level object minus its entries is small for a Bundle; for a file larger than
    max_record_bytes it is not kept at all (only its resourceType), so memory stays bounded.
    """
    top = ijson.ObjectBuilder() if size <= options.max_record_bytes else None
    top_type: Any = None
    entries = 0
    where = "file"  # what to blame if the JSON breaks
    reader = io.BufferedReader(stream) if not isinstance(stream, io.BufferedReader) else stream
    if reader.peek(len(_UTF8_BOM))[: len(_UTF8_BOM)] == _UTF8_BOM:
        reader.read(len(_UTF8_BOM))
    events = ijson.parse(reader, use_float=True)
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
                    yield _entry_found(entry, path, location)
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
    yield _Found("file", top.value)


def _is_entry_event(prefix: str, event: str, value: Any) -> bool:
    return (
        prefix == "entry" or prefix.startswith("entry.") or (prefix == "" and event == "map_key" and value == "entry")
    )


def _entry_found(entry: Any, path: Path, location: str) -> _Found | Rejected:
    if not isinstance(entry, dict):
        return Rejected(str(path), location, f"Bundle entry is a {type(entry).__name__}, not an object")
    resource = entry.get("resource")
    if resource is None:
        return Rejected(str(path), location, "Bundle entry has no resource")
    full_url = entry.get("fullUrl")
    return _Found(location, resource, full_url if isinstance(full_url, str) else None)


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
