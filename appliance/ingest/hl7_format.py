"""HL7 v2 result and document messages, parsed with python-hl7 (PyPI ``hl7``).

One message makes one Record:

- ORU^R01: note id OBR-3, else MSH-10; date OBR-7, else MSH-7; note type OBR-4 (text, else code).
- MDM^T02, and the other "with content" events T04, T06, T08, T10: note id TXA-12, else MSH-10;
  date TXA-4, else MSH-7; note type TXA-2 (text, else code); TXA-17 goes to metadata.

The patient id is PID-3 (first identifier); the text is OBX-5 of every OBX whose value type (OBX-2) is
TX or FT, in message order, one OBX per line, repetitions as lines, HL7 escapes decoded. Messages of
other types are skipped, or rejected if `ImportOptions.reject_unsupported` is set.

Hazard: python-hl7 logs whole field values when it meets odd escape sequences; those fields are note
text, so its loggers are silenced when this module is imported.
"""

from __future__ import annotations

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

from appliance.ingest.base import ImportOptions, Record, Rejected
from appliance.ingest.hl7_framing import RawMessage, iter_messages
from appliance.ingest.normalise import clean_text, normalise_date
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_CONTENT, CLAIM_BY_EXTENSION, NO_CLAIM, register

for _module in (hl7.util, hl7.containers):
    logging.getLogger(_module.__file__).addFilter(lambda _record: False)
# Its use of the deprecated Logger.warn would otherwise surface as a warning on every odd escape.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"hl7\.util")

_EXTENSIONS = (".hl7", ".hl7v2")
_TEXT_VALUE_TYPES = frozenset({"TX", "FT"})
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
# Highlighting escapes (\H\, \N\) mark emphasis; python-hl7 would turn them into "_".
_ESCAPE_OVERRIDES = {"H": "", "N": ""}


class _MessageError(ValueError):
    """A message that cannot become a Record; the text is the one-line reason, free of content."""


@dataclass
class _NoteFields:
    note_id: str
    date: str
    note_type: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _get(message: Any, segment: str, field_num: int, component: int = 1) -> str:
    """First repetition's component of a field of the first such segment; "" when absent."""
    try:
        value = message.extract_field(segment, 1, field_num, 1, component)
    except (KeyError, IndexError):
        return ""
    return str(value).strip()


def _coded(message: Any, segment: str, field_num: int) -> str:
    """A coded element's text (component 2), else its code (component 1)."""
    return _get(message, segment, field_num, 2) or _get(message, segment, field_num, 1)


def _oru_fields(message: Any) -> _NoteFields:
    return _NoteFields(
        note_id=_get(message, "OBR", 3) or _get(message, "MSH", 10),
        date=_get(message, "OBR", 7) or _get(message, "MSH", 7),
        note_type=_coded(message, "OBR", 4),
    )


def _mdm_fields(message: Any) -> _NoteFields:
    try:
        message.segment("TXA")
    except KeyError:
        raise _MessageError("MDM message has no TXA segment") from None
    status = _get(message, "TXA", 17)
    return _NoteFields(
        note_id=_get(message, "TXA", 12) or _get(message, "MSH", 10),
        date=_get(message, "TXA", 4) or _get(message, "MSH", 7),
        note_type=_coded(message, "TXA", 2),
        metadata={"document_status": status} if status else {},
    )


# (MSH-9.1, MSH-9.2) -> how that message type names its note.
MESSAGE_TYPES: dict[tuple[str, str], Callable[[Any], _NoteFields]] = {
    ("ORU", "R01"): _oru_fields,
    **{("MDM", event): _mdm_fields for event in ("T02", "T04", "T06", "T08", "T10")},
}


def _note_text(message: Any) -> str:
    try:
        observations = message.segments("OBX")
    except KeyError:
        raise _MessageError("no OBX segment with TX or FT text") from None
    lines: list[str] = []
    for index, obx in enumerate(observations, start=1):
        if len(obx) <= 5 or str(obx(2)).strip().upper() not in _TEXT_VALUE_TYPES:
            continue
        value = obx(5)
        repetitions = [value] if isinstance(value, str) else list(value)
        try:
            lines.extend(message.unescape(str(rep), app_map=_ESCAPE_OVERRIDES) for rep in repetitions)
        except Exception:  # python-hl7 raises bare ValueError/IndexError on bad escapes
            raise _MessageError(f"bad escape sequence in OBX-5 of OBX {index}") from None
    if not lines:
        raise _MessageError("no OBX segment with TX or FT text")
    return clean_text("\n".join(lines))


def _check_segment_ids(text: str) -> None:
    separator = text[3:4]
    for index, segment in enumerate(text.split("\r"), start=1):
        segment_id = segment.split(separator, 1)[0] if separator else segment
        if not _SEGMENT_ID.match(segment_id):
            raise _MessageError(f"segment {index} is not an HL7 segment (a line break inside a field?)")


def _to_record(raw: RawMessage, path: Path, options: ImportOptions) -> Record | Rejected | None:
    location = f"message {raw.number}"
    if raw.number == 0:
        return Rejected(str(path), "before message 1", "segments found before the first MSH header")
    if raw.oversize:
        return Rejected(str(path), location, "message larger than max_record_bytes")
    try:
        text = b"\r".join(raw.segments).decode(options.encoding)
    except UnicodeDecodeError as exc:
        return Rejected(str(path), location, f"bytes not valid in {options.encoding} ({exc.reason})")
    try:
        _check_segment_ids(text)
        try:
            message = hl7.parse(text)
        except Exception as exc:  # python-hl7 raises ParseException, IndexError, ValueError...
            raise _MessageError(f"not a parseable HL7 v2 message ({type(exc).__name__})") from None
        kind = (_get(message, "MSH", 9, 1), _get(message, "MSH", 9, 2))
        describe = MESSAGE_TYPES.get(kind)
        if describe is None:
            if not options.reject_unsupported:
                return None
            shown = "^".join(kind) if any(kind) else "with no MSH-9"
            raise _MessageError(f"unsupported message type {shown}; ORU^R01 and MDM^T02 carry notes")
        note = describe(message)
        patient_id = _patient_id(message)
        note_text = _note_text(message)
    except _MessageError as exc:
        return Rejected(str(path), location, str(exc))
    return Record(
        note_id=note.note_id or f"{path.stem}-message-{raw.number}",
        patient_id=patient_id,
        source=f"{path.name}:{location}",
        date=normalise_date(note.date, options.date_formats),
        note_type=note.note_type or None,
        text=note_text,
        metadata={"message_type": "^".join(kind), **note.metadata},
    )


def _patient_id(message: Any) -> str:
    try:
        message.segment("PID")
    except KeyError:
        raise _MessageError("no PID segment") from None
    patient_id = _get(message, "PID", 3)
    if not patient_id:
        raise _MessageError("PID-3 patient id is empty")
    return patient_id


@register
class Hl7Importer:
    name = "hl7"

    def claims(self, path: Path, head: bytes) -> int:
        start = head.lstrip(b"\x0b \t\r\n")
        separator = start[3:4]
        if start[:3] in (b"MSH", b"FHS", b"BHS") and separator.strip() and not separator.isalnum():
            return CLAIM_BY_CONTENT
        return CLAIM_BY_EXTENSION if path.suffix.lower() in _EXTENSIONS else NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Record | Rejected]:
        with meter.open(path) as stream:
            for raw in iter_messages(stream, options.max_record_bytes):
                outcome = _to_record(raw, path, options)
                if outcome is not None:
                    yield outcome
