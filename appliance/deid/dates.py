"""Reading a date in any of the forms clinical notes use, and writing it back shifted, in the same form.

A surrogate date keeps the original's layout: separators, zero padding, two- or four-digit years,
month names spelled out or abbreviated, their case, and ordinal suffixes ("March 3rd, 2021" stays
"Month Nth, YYYY"). Shifting every date of one patient by the same number of days keeps the intervals
between them, which is what downstream models need (length of stay, time to readmission).

Dates without a year ("7/22", "March 3rd") are shifted as if in a leap year, so February 29 exists
and the month and day move exactly as a full date would; only the year roll-over is unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_FULL_NAMES = frozenset(name.lower() for name in MONTH_NAMES)
_MONTH_BY_PREFIX = {name[:3].lower(): i + 1 for i, name in enumerate(MONTH_NAMES)}

#: Regex fragment matching a month name or its common abbreviation (case-insensitive context).
MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?P<d>[0-3]?\d)(?P<o>st|nd|rd|th)?"
_YEAR_LEAP = 2000  # stands in for the unknown year of "7/22"

# Holidays are date elements too. Fixed-date ones map to their day; movable ones to a typical day.
HOLIDAYS: dict[str, tuple[int, int]] = {
    "christmas eve": (12, 24),
    "christmas day": (12, 25),
    "christmas": (12, 25),
    "new year's eve": (12, 31),
    "new years eve": (12, 31),
    "new year's day": (1, 1),
    "new years day": (1, 1),
    "new year's": (1, 1),
    "halloween": (10, 31),
    "independence day": (7, 4),
    "fourth of july": (7, 4),
    "valentine's day": (2, 14),
    "valentines day": (2, 14),
    "thanksgiving day": (11, 25),
    "thanksgiving": (11, 25),
    "easter sunday": (4, 10),
    "easter": (4, 10),
    "memorial day": (5, 28),
    "labor day": (9, 4),
    "veterans day": (11, 11),
    "mother's day": (5, 10),
    "father's day": (6, 18),
}

_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("iso", r"(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"),
        ("numeric", r"(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"),
        ("month_year_numeric", r"(?P<m>\d{1,2})/(?P<y>\d{4})"),
        ("month_day_numeric", r"(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
        ("compact", r"(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)"),
        (
            "month_day_year",
            r"(?P<mn>" + MONTH_RE + r")\.?(?:\s+|-|/|\.\s*)" + _DAY + r"(?:(?:,\s*|\s+|-|/|,)(?P<y>\d{4}|'\d{2}))?",
        ),
        (
            "day_month_year",
            r"(?:the\s+)?"
            + _DAY
            + r"(?:\s+of\s+|\s+|-|/|\.)(?P<mn>"
            + MONTH_RE
            + r")\.?(?:(?:,?\s+|-|/|\.)(?P<y>\d{4}|\d{2}))?",
        ),
        ("month_year", r"(?P<mn>" + MONTH_RE + r")\.?(?:,?\s+(?:of\s+)?|-|/)(?P<y>\d{4}|'\d{2})"),
        ("month", r"(?P<mn>" + MONTH_RE + r")\.?"),
    )
)


@dataclass(frozen=True)
class ParsedDate:
    """A date read from a span of text, with where each of its parts sits in that text."""

    text: str
    year: int | None
    month: int
    day: int | None
    #: group name -> (start, end) inside `text`, for "y", "m"/"mn", "d", "o" present in the original
    slots: dict[str, tuple[int, int]]
    holiday: bool = False


def _valid(year: int | None, month: int, day: int | None) -> bool:
    if not 1 <= month <= 12:
        return False
    if day is None:
        return True
    try:
        dt.date(year if year is not None else _YEAR_LEAP, month, day)
    except ValueError:
        return False
    return True


def _full_year(text: str, reference_year: int) -> int:
    digits = text.lstrip("'")
    if len(digits) == 4:
        return int(digits)
    # Two-digit years: the most recent century that does not put the date after the reference year.
    year = 2000 + int(digits)
    return year if year <= reference_year else year - 100


def parse(text: str, reference_year: int) -> ParsedDate | None:
    """Read `text` (the whole span) as a date; None when it is not one of the known forms or invalid."""
    stripped = text.strip()
    holiday = HOLIDAYS.get(stripped.lower().replace("’", "'"))
    if holiday:
        return ParsedDate(stripped, None, holiday[0], holiday[1], {}, holiday=True)
    for name, pattern in _FORMS:
        m = pattern.fullmatch(stripped)
        if m is None:
            continue
        groups = m.groupdict()
        slots = {key: m.span(key) for key, value in groups.items() if value is not None and key != "s"}
        year = _full_year(groups["y"], reference_year) if groups.get("y") else None
        month: int
        day: int | None
        if name == "numeric":
            a, b = int(groups["a"]), int(groups["b"])
            # US order (month first) unless the first number cannot be a month.
            if a > 12 >= b:
                month, day = b, a
                slots["m"], slots["d"] = slots.pop("b"), slots.pop("a")
            else:
                month, day = a, b
                slots["m"], slots["d"] = slots.pop("a"), slots.pop("b")
        elif groups.get("mn"):
            month = _MONTH_BY_PREFIX[groups["mn"][:3].lower()]
            day = int(groups["d"]) if groups.get("d") else None
        else:
            month = int(groups["m"])
            day = int(groups["d"]) if groups.get("d") else None
        if _valid(year, month, day):
            return ParsedDate(stripped, year, month, day, slots)
        return None
    return None


def _month_name(style: str, month: int) -> str:
    full = MONTH_NAMES[month - 1]
    core = style.rstrip(".")
    if core.lower() in _FULL_NAMES:  # "May" is spelled out, not abbreviated
        name = full
    elif len(core) <= 3:
        name = full[:3]
    elif len(core) == 4 and core.lower() == "sept":
        name = "Sept" if month == 9 else full[:3]
    else:
        name = full
    if core.isupper():
        return name.upper()
    if core.islower():
        return name.lower()
    return name


def _ordinal(day: int, style: str) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return suffix.upper() if style.isupper() else suffix


def _zero_padded(parsed: ParsedDate) -> bool:
    """Whether the original pads month and day to two digits. "12/15/2021" does not say; "12/5" and
    "03/15" do. Undecided layouts are padded, as most systems print them."""
    numbers = [parsed.text[s:e] for key, (s, e) in parsed.slots.items() if key in ("m", "d")]
    if any(n.startswith("0") for n in numbers):
        return True
    if "mn" in parsed.slots:
        return False  # "Sept. 30" -> "Oct. 1": a day beside a month name is padded only if it was
    return not any(len(n) == 1 for n in numbers)


def render(parsed: ParsedDate, year: int | None, month: int, day: int | None) -> str:
    """Write new date parts into the original's layout."""
    if parsed.holiday:
        return f"{MONTH_NAMES[month - 1]} {day}"
    text = parsed.text
    pad = _zero_padded(parsed)
    replacements: list[tuple[int, int, str]] = []
    for key, (start, end) in parsed.slots.items():
        original = text[start:end]
        if key == "y" and year is not None:
            digits = original.lstrip("'")
            new = f"{year:04d}" if len(digits) == 4 else f"{year % 100:02d}"
            replacements.append((start + len(original) - len(digits), end, new))
        elif key == "m":
            replacements.append((start, end, f"{month:02d}" if pad else str(month)))
        elif key == "mn":
            replacements.append((start, end, _month_name(original, month)))
        elif key == "d" and day is not None:
            replacements.append((start, end, f"{day:02d}" if pad else str(day)))
        elif key == "o" and day is not None:
            replacements.append((start, end, _ordinal(day, original)))
    out = text
    for start, end, new in sorted(replacements, reverse=True):
        out = out[:start] + new + out[end:]
    return out


def shift(parsed: ParsedDate, days: int) -> str:
    """The date moved by `days`, written in the original's layout."""
    if parsed.day is None:
        # Month-level dates ("May 2021", "in March") move by whole months the way their middle does.
        base = dt.date(parsed.year or _YEAR_LEAP, parsed.month, 15) + dt.timedelta(days=days)
        return render(parsed, base.year if parsed.year is not None else None, base.month, None)
    base = dt.date(parsed.year or _YEAR_LEAP, parsed.month, parsed.day) + dt.timedelta(days=days)
    return render(parsed, base.year if parsed.year is not None else None, base.month, base.day)
