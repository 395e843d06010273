"""Text checks behind the learned recognizer's vetoes: places Safe Harbor keeps, scientific names, field labels,
dates written out.

They read only the words around a span; nothing here logs or returns note text.
"""

from __future__ import annotations

import functools
import re

from appliance.deid.dates import MONTH_RE
from appliance.deid.lexicon import normalise, read_list
from appliance.deid.recognizers.dates import FOREIGN_MONTH
from appliance.deid.recognizers.facilities import FACILITY_HEADS
from appliance.deid.recognizers.locations import STREET_SUFFIXES
from appliance.deid.recognizers.name_rules import SCIENCE_HEADS
from appliance.deid.recognizers.street_patterns import FOREIGN_STREET_WORDS

MONTH_NAME = MONTH_RE + r"\.?"
#: A day and an English month, a weekday before them: "12 June", "Wednesday 21st May", "June 13, 2024".
DAY_AND_MONTH = re.compile(
    r"(?i)(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?[ \t]+)?"  # the weekday, which the engine then cuts
    r"(?:[0-3]?\d(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?" + MONTH_NAME + r"|" + MONTH_NAME
    + r"[ \t]+[0-3]?\d(?:st|nd|rd|th)?)(?:,?[ \t]+\d{4})?\.?"
)
#: A day and a month of any language, with its year: "3 Haziran 2024", "12. März", "14 March 2023".
DAY_AND_ANY_MONTH = re.compile(
    r"(?i)[0-3]?\d(?:st|nd|rd|th|\.)?[ \t]+(?:(?:de|of)[ \t]+)?(?:" + MONTH_NAME + r"|" + FOREIGN_MONTH.pattern[4:]
    + r")(?:,?[ \t]+(?:de[ \t]+)?(?:1[89]|20)\d\d)?\.?"
)
#: Street and facility words before a number and a month's name: "Avenida 9 de Julio 1450" is a street,
#: "Hospital 12 de Octubre" a hospital.
STREET_WORDS = FOREIGN_STREET_WORDS | {w.lower() for w in STREET_SUFFIXES} | FACILITY_HEADS
_NEXT_WORD = re.compile(r"(?:'s?|\u2019s?)?(?:-[^\W\d_]+)*[ \t]+([^\W\d_]+)")


@functools.lru_cache(maxsize=1)
def place_names() -> frozenset[tuple[str, ...]]:
    """Countries and US states (names and postal codes) as normalised word tuples."""
    names = set()
    for entry in read_list("countries.txt"):
        parts = tuple(normalise(p) for p in entry.replace("-", " ").split())
        names.add(parts[1:] if parts[:1] == ("the",) else parts)
    for entry in read_list("us_states.txt"):
        code, _, name = entry.partition(" ")
        names.add((normalise(code),))
        names.add(tuple(normalise(p) for p in name.split()))
    return frozenset(names)


def allowed_places(norms: list[str]) -> bool:
    """True if the words are only countries or states, joined by "and", "or" or "the"."""
    places = place_names()
    i = 0
    while i < len(norms):
        if norms[i] in ("and", "or", "the"):
            i += 1
            continue
        for size in (4, 3, 2, 1):
            if tuple(norms[i : i + size]) in places:
                i += size
                break
        else:
            return False
    return True


def science_head_after(text: str, end: int) -> bool:
    """True if the word after `end` makes the span a medical or scientific name, not a person or place
    ("Lewis rats", "Hill coefficient", "Kearns-Sayre syndrome")."""
    m = _NEXT_WORD.match(text, end, min(len(text), end + 40))
    if m is None:
        return False
    word = m.group(1).lower()
    return word in SCIENCE_HEADS or word.rstrip("s") in SCIENCE_HEADS


def field_label(text: str, start: int, end: int) -> bool:
    """True if the span opens its line and a colon follows it: the label of a field ("Médico:")."""
    return text.startswith(":", end) and not text[text.rfind("\n", 0, start) + 1 : start].strip()
