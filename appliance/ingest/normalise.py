"""Small normalisations shared by all importers, so one note reads the same from every format.

- Text: line endings become ``\\n`` and surrounding whitespace is dropped. The same note exported as
  CSV on Windows and as a TXT file on Linux then has the same `content_hash`.
- Dates: ISO 8601, HL7 v2 timestamps (``YYYYMMDDHHMMSS[.S][+ZZZZ]``) and any extra strptime formats
  become ISO 8601 (a date stays a date, a datetime keeps its time and offset); anything else is kept
  exactly as found, because guessing day-versus-month order would silently corrupt dates.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

_HL7_TS = re.compile(
    r"^(?P<y>\d{4})(?P<mo>\d{2})?(?P<d>\d{2})?(?P<h>\d{2})?(?P<mi>\d{2})?(?P<s>\d{2})?"
    r"(?:\.(?P<frac>\d{1,6}))?(?P<tz>[+-]\d{4})?$"
)
# Reduced-precision ISO dates ("2024", "2024-03") are valid ISO 8601 already and FHIR uses them.
_ISO_PARTIAL = re.compile(r"^\d{4}(-\d{2})?$")
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c", "%z")


def clean_text(text: str) -> str:
    """Note text with ``\\r\\n`` and ``\\r`` turned into ``\\n`` and surrounding whitespace removed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def text_key(patient_id: str, text: str) -> str:
    """SHA-256 hex of a patient id and the note text in a comparison form (Unicode NFKC, case-folded,
    whitespace runs collapsed): equal for the same note reached through two resources or messages,
    whatever their line breaks, spacing or letter case."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(f"{patient_id}\x00{folded}".encode()).hexdigest()


def normalise_date(value: str, extra_formats: Sequence[str] = ()) -> str | None:
    """ISO 8601 form of `value` if it can be read unambiguously, else `value` stripped; None if blank."""
    text = value.strip()
    if not text:
        return None
    if _ISO_PARTIAL.match(text):
        return text
    hl7 = _from_hl7(text)
    if hl7 is not None:
        return hl7
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    for fmt in extra_formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if any(directive in fmt for directive in _TIME_DIRECTIVES):
            return parsed.isoformat()
        return parsed.date().isoformat()
    return text


def _from_hl7(text: str) -> str | None:
    """HL7 v2 TS/DTM to ISO 8601, keeping only the precision the sender gave."""
    match = _HL7_TS.match(text)
    if match is None:
        return None
    parts = match.groupdict()
    if parts["mo"] is None:
        return parts["y"]
    if parts["d"] is None:
        return f"{parts['y']}-{parts['mo']}"
    try:
        day = date(int(parts["y"]), int(parts["mo"]), int(parts["d"]))
        if parts["h"] is None:
            if parts["tz"] is not None:
                return None
            return day.isoformat()
        tzinfo = None
        if parts["tz"] is not None:
            sign = -1 if parts["tz"][0] == "-" else 1
            offset = timedelta(hours=int(parts["tz"][1:3]), minutes=int(parts["tz"][3:5]))
            tzinfo = timezone(sign * offset)
        moment = datetime(
            day.year,
            day.month,
            day.day,
            int(parts["h"]),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int((parts["frac"] or "0").ljust(6, "0")),
            tzinfo=tzinfo,
        )
    except ValueError:
        return None
    if parts["mi"] is None:
        return moment.isoformat(timespec="hours")
    if parts["s"] is None:
        return moment.isoformat(timespec="minutes")
    return moment.isoformat()
