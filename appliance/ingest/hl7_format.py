"""HL7 v2 messages that carry report or document text, parsed with python-hl7 (PyPI ``hl7``).

Note text comes from OBX-5 of every OBX whose value type (OBX-2) is TX, FT or ST (one OBX per line,
repetitions as lines, HL7 escapes such as ``\\.br\\``, ``\\X41\\`` and ``\\F\\`` decoded), and from ED values
(an embedded document: text/plain, RTF, HTML or PDF, Base64, hex or plain, read like a FHIR attachment),
in any message type: ORU results, MDM documents, and ADT or other events that carry a report.

One report makes one Record. OBX segments belong to the OBR before them; every OBR with text is its own
note (an ORU with three reports gives three), and OBX segments before any OBR form one more. Fields:

- ORU and other types: note id OBR-3, else OBR-2, else MSH-10 (``-<n>`` added when the message holds
  several reports); date OBR-7, else EVN-2, else MSH-7; type OBR-4 (text, else code), else the first text
  OBX's OBX-3.
- MDM^T02 and the other "with content" events T04, T06, T08, T10: note id TXA-12, else MSH-10; date
  TXA-4, else MSH-7; type TXA-2 (text, else code); TXA-17 goes to metadata.

The patient id is the PID-3 repetition whose identifier type (PID-3.5) is MR, else the first. The
message is decoded in the character set MSH-18 names (ASCII, 8859/n, UNICODE UTF-8 and their ISO IR
names), else in `ImportOptions.encoding`. A result or document message (ORU^R01, MDM with content)
without any text is rejected; other messages without text are skipped (rejected with
`ImportOptions.reject_unsupported`).

Hazard: python-hl7 logs whole field values when it meets odd escape sequences; those fields are note
text, so its loggers are silenced when this module is imported.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hl7
import hl7.containers
import hl7.util

from appliance.ingest.base import ImportOptions, Record, Rejected, Skipped
from appliance.ingest.documents import DocumentError, document_text
from appliance.ingest.hl7_framing import RawMessage, iter_messages
from appliance.ingest.normalise import clean_text, normalise_date
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_CONTENT, CLAIM_BY_EXTENSION, NO_CLAIM, register

for _module in (hl7.util, hl7.containers):
    logging.getLogger(_module.__file__).addFilter(lambda _record: False)
# Its use of the deprecated Logger.warn would otherwise surface as a warning on every odd escape.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"hl7\.util")

_EXTENSIONS = (".hl7", ".hl7v2")
_TEXT_VALUE_TYPES = frozenset({"TX", "FT", "ST"})
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
# Highlighting escapes (\H\, \N\) mark emphasis; python-hl7 would turn them into "_".
_ESCAPE_OVERRIDES = {"H": "", "N": ""}
_UTF8_BOM = b"\xef\xbb\xbf"
_MAX_REPETITIONS = 50
# MSH-18 values (HL7 table 0211) -> Python codecs. Only ASCII-compatible sets: messages are cut on bytes.
_CHARSETS = {
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "ISO IR192": "utf-8",
    **{f"8859/{n}": f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 15)},
    "ISO IR100": "iso8859-1",
    "ISO IR101": "iso8859-2",
    "ISO IR109": "iso8859-3",
    "ISO IR110": "iso8859-4",
    "ISO IR144": "iso8859-5",
    "ISO IR127": "iso8859-6",
    "ISO IR126": "iso8859-7",
    "ISO IR138": "iso8859-8",
    "ISO IR148": "iso8859-9",
    "CP1252": "cp1252",
    "WINDOWS-1252": "cp1252",
}
# ED type of data / subtype (HL7 tables 0191, 0291) -> media type.
_ED_SUBTYPES = {
    "PDF": "application/pdf",
    "RTF": "text/rtf",
    "HTML": "text/html",
    "XHTML": "text/html",
    "PLAIN": "text/plain",
    "TEXT": "text/plain",
}
_DOCUMENT_TYPES = frozenset({("ORU", "R01"), *(("MDM", event) for event in ("T02", "T04", "T06", "T08", "T10"))})

Outcome = Record | Rejected | Skipped


class _MessageError(ValueError):
    """A message that cannot become a Record; the text is the one-line reason, free of content."""


@dataclass
class _NoteFields:
    note_id: str
    date: str
    note_type: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Report:
    """The text lines of one OBR (number 0: OBX segments before any OBR) and its first text OBX-3."""

    obr: int
    lines: list[str] = field(default_factory=list)
    observation: str = ""


def _get(message: Any, segment: str, field_num: int, component: int = 1, occurrence: int = 1) -> str:
    """First repetition's component of a field of the `occurrence`-th such segment; "" when absent."""
    try:
        value = message.extract_field(segment, occurrence, field_num, 1, component)
    except (KeyError, IndexError):
        return ""
    return str(value).strip()


def _coded(message: Any, segment: str, field_num: int, occurrence: int = 1) -> str:
    """A coded element's text (component 2), else its code (component 1)."""
    return _get(message, segment, field_num, 2, occurrence) or _get(message, segment, field_num, 1, occurrence)


def _result_fields(message: Any, report: _Report, several: bool) -> _NoteFields:
    control_id = _get(message, "MSH", 10)
    fallback = f"{control_id}-{max(report.obr, 1)}" if several and control_id else control_id
    if report.obr == 0:
        return _NoteFields(
            note_id=fallback,
            date=_get(message, "EVN", 2) or _get(message, "MSH", 7),
            note_type=report.observation,
        )
    return _NoteFields(
        note_id=_get(message, "OBR", 3, occurrence=report.obr) or _get(message, "OBR", 2, occurrence=report.obr)
        or fallback,
        date=_get(message, "OBR", 7, occurrence=report.obr) or _get(message, "EVN", 2) or _get(message, "MSH", 7),
        note_type=_coded(message, "OBR", 4, report.obr) or report.observation,
    )


def _mdm_fields(message: Any, report: _Report, several: bool) -> _NoteFields:
    try:
        message.segment("TXA")
    except KeyError:
        raise _MessageError("MDM message has no TXA segment") from None
    status = _get(message, "TXA", 17)
    note_id = _get(message, "TXA", 12) or _get(message, "MSH", 10)
    return _NoteFields(
        note_id=f"{note_id}-{max(report.obr, 1)}" if several and note_id else note_id,
        date=_get(message, "TXA", 4) or _get(message, "MSH", 7),
        note_type=_coded(message, "TXA", 2),
        metadata={"document_status": status} if status else {},
    )


# MSH-9.1 -> how that message type names its notes; every other type is read like a result.
MESSAGE_TYPES: dict[str, Callable[[Any, _Report, bool], _NoteFields]] = {"MDM": _mdm_fields}


def _reports(message: Any) -> list[_Report]:
    """The reports of a message that have text, in order."""
    reports: dict[int, _Report] = {}
    obr = 0
    obx_number = 0
    for segment in message:
        segment_id = str(segment[0]).strip()
        if segment_id == "OBR":
            obr += 1
            continue
        if segment_id != "OBX":
            continue
        obx_number += 1
        if len(segment) <= 5:
            continue
        value_type = str(segment(2)).strip().upper()
        if value_type in _TEXT_VALUE_TYPES:
            lines = _text_lines(message, segment, obx_number)
        elif value_type == "ED":
            lines = _document_lines(message, segment, obx_number)
        else:
            continue
        if not any(line.strip() for line in lines):
            continue
        report = reports.setdefault(obr, _Report(obr))
        report.lines.extend(lines)
        if not report.observation and len(segment) > 3:
            report.observation = _component_text(str(segment(3)), message)
    return list(reports.values())


def _text_lines(message: Any, obx: Any, number: int) -> list[str]:
    value = obx(5)
    repetitions = [value] if isinstance(value, str) else list(value)
    try:
        return [message.unescape(str(rep), app_map=_ESCAPE_OVERRIDES) for rep in repetitions]
    except Exception:  # python-hl7 raises bare ValueError/IndexError on bad escapes
        raise _MessageError(f"bad escape sequence in OBX-5 of OBX {number}") from None


def _document_lines(message: Any, obx: Any, number: int) -> list[str]:
    """The text of an ED value: source ^ type of data ^ subtype ^ encoding ^ data."""
    components = str(obx(5)).split(_component_separator(message))
    while len(components) < 5:
        components.append("")
    _, data_type, subtype, encoding, *data_parts = (part.strip() for part in components)
    data = _component_separator(message).join(data_parts)
    media = _ED_SUBTYPES.get(subtype.upper()) or ("text/plain" if data_type.upper() in ("TX", "TEXT") else None)
    where = f"ED document in OBX {number}"
    if media is None:
        raise _MessageError(f"{where} is of type {_safe(data_type)}/{_safe(subtype)}, not a text document")
    try:
        raw = _ed_bytes(message, data, encoding.upper())
        return [document_text(raw, media)]
    except DocumentError as exc:
        raise _MessageError(f"{where}: {exc}") from None
    except (ValueError, binascii.Error):
        raise _MessageError(f"{where} is not valid {_safe(encoding) or 'plain'} data") from None


def _ed_bytes(message: Any, data: str, encoding: str) -> bytes:
    if encoding in ("BASE64", "B64"):
        return base64.b64decode("".join(data.split()), validate=True)
    if encoding == "HEX":
        return bytes.fromhex("".join(data.split()))
    return str(message.unescape(data, app_map=_ESCAPE_OVERRIDES)).encode("utf-8")


def _component_separator(message: Any) -> str:
    separators = getattr(message, "separators", "")
    return separators[3] if len(separators) > 3 else "^"


def _component_text(value: str, message: Any) -> str:
    parts = value.split(_component_separator(message))
    return (parts[1] if len(parts) > 1 and parts[1].strip() else parts[0]).strip()


def _safe(value: str) -> str:
    """A code for a message (a type name), or '?' if it does not look like one."""
    return value if re.fullmatch(r"[A-Za-z0-9._+-]{1,32}", value) else "?"


def _check_segment_ids(text: str) -> None:
    separator = text[3:4]
    for index, segment in enumerate(text.split("\r"), start=1):
        segment_id = segment.split(separator, 1)[0] if separator else segment
        if not _SEGMENT_ID.match(segment_id):
            raise _MessageError(f"segment {index} is not an HL7 segment (a line break inside a field?)")


def _charset(raw: RawMessage, options: ImportOptions) -> str:
    """The codec MSH-18 names (first repetition), else the configured encoding."""
    msh = raw.segments[0] if raw.segments else b""
    separator = msh[3:4]
    if not separator:
        return options.encoding
    fields = msh.split(separator)
    if len(fields) <= 17:
        return options.encoding
    repetition = msh[5:6] or b"~"
    name = fields[17].split(repetition)[0].decode("ascii", "replace").strip().upper()
    return _CHARSETS.get(name, options.encoding)


def _to_outcomes(raw: RawMessage, path: Path, options: ImportOptions) -> list[Outcome]:
    location = f"message {raw.number}"
    if raw.number == 0:
        return [Rejected(str(path), "before message 1", "segments found before the first MSH header")]
    if raw.oversize:
        return [Rejected(str(path), location, "message larger than max_record_bytes")]
    encoding = _charset(raw, options)
    try:
        text = b"\r".join(raw.segments).decode(encoding)
    except UnicodeDecodeError as exc:
        return [Rejected(str(path), location, f"bytes not valid in {encoding} ({exc.reason})")]
    try:
        _check_segment_ids(text)
        try:
            message = hl7.parse(text)
        except Exception as exc:  # python-hl7 raises ParseException, IndexError, ValueError...
            raise _MessageError(f"not a parseable HL7 v2 message ({type(exc).__name__})") from None
        kind = (_get(message, "MSH", 9, 1), _get(message, "MSH", 9, 2))
        shown = "^".join(kind) if any(kind) else "with no MSH-9"
        reports = _reports(message)
        if not reports:
            reason = "no OBX segment with TX, FT, ST or ED text"
            if kind in _DOCUMENT_TYPES:
                raise _MessageError(reason)
            if options.reject_unsupported:
                raise _MessageError(f"message type {shown} carries no note ({reason})")
            return [Skipped(str(path), location, f"message type {shown} carries no note ({reason})")]
        describe = MESSAGE_TYPES.get(kind[0], _result_fields)
        patient_id = _patient_id(message)
        several = len(reports) > 1
        notes = [(report, describe(message, report, several)) for report in reports]
    except _MessageError as exc:
        return [Rejected(str(path), location, str(exc))]
    control_id = _get(message, "MSH", 10)
    outcomes: list[Outcome] = []
    for report, note in notes:
        where = f"{location} OBR {report.obr}" if several and report.obr else location
        source_id = f"{control_id} OBR {report.obr}" if report.obr else control_id
        outcomes.append(Record(
            note_id=note.note_id or f"{path.stem}-{where.replace(' ', '-')}",
            patient_id=patient_id,
            source=f"{path.name}:{where}",
            date=normalise_date(note.date, options.date_formats),
            note_type=note.note_type or None,
            text=clean_text("\n".join(report.lines)),
            metadata={"message_type": "^".join(kind), **note.metadata,
                      **({"source_ids": [source_id]} if source_id else {})},
        ))
    return outcomes


def _patient_id(message: Any) -> str:
    """The PID-3 identifier whose type (PID-3.5) is MR, else the first non-empty one."""
    try:
        message.segment("PID")
    except KeyError:
        raise _MessageError("no PID segment") from None
    first = ""
    for repetition in range(1, _MAX_REPETITIONS + 1):
        try:
            value = str(message.extract_field("PID", 1, 3, repetition, 1)).strip()
            id_type = str(message.extract_field("PID", 1, 3, repetition, 5)).strip().upper()
        except (KeyError, IndexError):
            break
        if value and id_type == "MR":
            return value
        first = first or value
    if not first:
        raise _MessageError("PID-3 patient id is empty")
    return first


@register
class Hl7Importer:
    name = "hl7"

    def claims(self, path: Path, head: bytes) -> int:
        start = head.lstrip(b"\x0b \t\r\n").removeprefix(_UTF8_BOM).lstrip(b"\x0b \t\r\n")
        separator = start[3:4]
        if start[:3] in (b"MSH", b"FHS", b"BHS") and separator.strip() and not separator.isalnum():
            return CLAIM_BY_CONTENT
        return CLAIM_BY_EXTENSION if path.suffix.lower() in _EXTENSIONS else NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Outcome]:
        with meter.open(path) as stream:
            for raw in iter_messages(stream, options.max_record_bytes):
                yield from _to_outcomes(raw, path, options)
