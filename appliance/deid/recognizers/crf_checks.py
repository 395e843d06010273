"""Text checks behind the learned recognizer's vetoes: places Safe Harbor keeps, scientific names, field labels.

They read only the words around a span; nothing here logs or returns note text.
"""

from __future__ import annotations

import functools
import re

from appliance.deid.lexicon import normalise, read_list
from appliance.deid.recognizers.name_rules import SCIENCE_HEADS

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
