"""The state, province or country written inside a postal address: "Lowell, MA 01852", "Winthrop, MA."
after a street, "4050-262 PORTO, PORTUGAL", "Cork T12 X4R7, Ireland".

Safe Harbor lets a state or a country stay in text, and on their own in prose they do ("moved from
Texas", "a trial in Norway"). Inside an address they are one piece of an identifier the rest of which
is replaced, so they go with it: a surrogate address keeps no real state or country beside a surrogate
town. A refiner: it only extends places the recognizers already found (a street, a town, a postcode).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import WEEKDAYS, Lexicon, WordClass
from appliance.deid.recognizers.base import register_refiner
from appliance.deid.recognizers.locations import STATE_CODE_AFTER, STATE_CODES, STATE_NAMES, known_city
from appliance.deid.spans import DATE, LOCATION, Span
from appliance.deid.text import Document, Token

# ", MA 01852", ", MA.", " CT 06106", ", Rhode Island": a state after a place, then a ZIP code or the
# end of the clause. Two-letter codes only in capitals ("me" and "in" are words).
_STATE_AFTER = re.compile(
    r"(?P<sep>,[ \t]*|[ \t]+)(?P<state>[A-Z]{2}\b|[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)"
    r"(?=(?P<zip>[ \t]+\d{5}(?:-\d{4})?\b)|[ \t]*(?:[.,;)\n]|$)|[ \t]{2,}\S)"
)
# ", Portugal", ", IRELAND", " USA": a country after a place, at the end of the clause or before a postcode,
# or on the line under an address's last line.
_COUNTRY_AFTER = re.compile(
    r"(?:,?[ \t]*|[ \t]*\n[ \t>]*)"
    r"(?P<country>[^\W\d_](?:[\w'’-]|\.(?=\w))*(?:[ \t]+[^\W\d_](?:[\w'’-]|\.(?=\w))*){0,2})"
    r"(?=[ \t]*(?:[.,;)\n]|$)|[ \t]+\d{4,6}\b)"
)
# ", Waltham)", ", Quincy.": one or two words after a comma that close the clause.
# ", DUBUQUE IA   TO:": or with a state's code after it, closing the clause or a column.
_TOWN_AFTER_FACILITY = re.compile(
    r",[ \t]*(?P<town>[^\W\d_][\w'’-]*(?:[ \t][^\W\d_][\w'’-]*)?)"
    r"(?=[ \t]*(?:[,.;)\n]|$)|[ \t]+(?P<state>[A-Z]{2})(?:[ \t]*(?:[,.;)\n]|$)|[ \t]{2,}))"
)
# " WA 6160", ", NSW 2000": an Australian state and its four-digit postcode after a town, or after a street
# with the town between (", Bunbury WA 6230").
_AU_STATE_POSTCODE = re.compile(
    r"(?:,[ \t]*(?P<town>[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’-]+){0,2}?))?"
    r"(?P<sep>,?[ \t]+)(?P<state>NSW|VIC|QLD|SA|WA|TAS|NT|ACT)[ \t]+(?P<zip>\d{4})\b"
)
# ", 7945" closing an address's line or clause: a four-digit postcode after its town (South Africa,
# Australia, ...).
_POSTCODE_AT_LINE_END = re.compile(r",?[ \t]*(?P<code>\d{4})(?=[ \t]*(?:[.;)](?!\d)|\n|$))")
# ", 0081, South Africa": a postcode between a town and its country.
_POSTCODE_BEFORE = re.compile(r",?[ \t]*(?P<code>\d{4,6})(?=,)")
# "P.O. Box 30412-00100 Nairobi": the postcode written after a box's number.
_BOX_POSTCODE_GAP = re.compile(r"[ \t]*-\d{3,6}[ \t]+")
# "68165 Mannheim", "F-75008 Paris", "1012 AB Amsterdam": a postcode opening the line, right before its town.
_POSTCODE_BEFORE_TOWN = re.compile(r"[ \t]*(?P<code>(?:[A-Z]{1,2}-)?\d{4,5}(?:[ \t]?[A-Z]{2})?)[ \t]+")
# "Recife - PE, 50050-000", "São Paulo / SP   CEP: 05407-002": a Brazilian state's code before a postcode.
_BR_STATE_BEFORE_CEP = re.compile(
    r"(?:[ \t]+[-/][ \t]+|,[ \t]*)"
    r"(?P<uf>AC|AL|AP|AM|BA|CE|DF|ES|GO|MA|MT|MS|MG|PA|PB|PR|PE|PI|RJ|RN|RS|RO|RR|SC|SP|SE|TO)"
    r"(?=,?[ \t]+(?:CEP:?[ \t]*)?\d{5}-\d{3}\b)"
)
_COLUMN_END = re.compile(r"[ \t]*(?:\n|$)|[ \t]{2,}")
_ADDRESS_SUBTYPES = frozenset({"street", "zip", "city", "postcode", "route"})
_US = frozenset({"usa", "u.s.a.", "u.s.a", "us", "u.s.", "u.s", "united states", "united states of america"})


# A letter's place and date, alone on their line: "Genève, le 4 février 2022", "Freiburg, den 2. Oktober 2023".
_DATELINE_TOWN = re.compile(
    r"[ \t]*(?P<town>[A-ZÀ-Þ][\w'’-]+(?:[ \t-][A-ZÀ-Þ][\w'’-]+){0,2}),[ \t]+"
    r"(?:(?:le|den|am|el|il|on|the|em|a|à)[ \t]+)?"
)


def _dateline_towns(doc: Document, spans: list[Span]) -> Iterator[Span]:
    text = doc.text
    for span in spans:
        if span.label != DATE:
            continue
        line_start = text.rfind("\n", 0, span.start) + 1
        line_end = text.find("\n", span.end)
        m = _DATELINE_TOWN.fullmatch(text, line_start, span.start)
        if m is None or text[span.end : len(text) if line_end < 0 else line_end].strip(" \t.,"):
            continue
        words = doc.tokens_in(m.start("town"), m.end("town"))
        if words and not any(
            w.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH)
            and not w.cls & WordClass.CITY
            or w.norm in WEEKDAYS
            for w in words
        ):
            yield Span(m.start("town"), m.end("town"), LOCATION, "city", 0.8, "address_regions")


class _AddressRegions:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        yield from _dateline_towns(doc, spans)
        for m in _BR_STATE_BEFORE_CEP.finditer(doc.text):
            yield Span(m.start("uf"), m.end("uf"), LOCATION, "state", 0.85, "address_regions")
        places = sorted((s for s in spans if s.label == LOCATION), key=lambda s: s.start)
        if not places:
            return
        text = doc.text
        for place in places:
            if place.subtype == "facility":
                town = self._town_after_facility(doc, place.end)
                if town is not None:
                    yield town
                    # its state closing a line or a column of a form, not a supplier's in prose ("Columbus, OH)")
                    state = _STATE_AFTER.match(text, town.end)
                    if (
                        state is not None
                        and state.group("state") in STATE_CODES
                        and _COLUMN_END.match(text, state.end("state"))
                    ):
                        yield Span(state.start("state"), state.end("state"), LOCATION, "state", 0.8, "address_regions")
        for place in places:
            line_start = text.rfind("\n", 0, place.start) + 1
            code = _POSTCODE_BEFORE_TOWN.fullmatch(text, line_start, place.start)
            if code is not None and place.subtype in ("city", None):
                yield Span(code.start("code"), code.end("code"), LOCATION, "postcode", 0.75, "address_regions")
        for k, place in enumerate(places):
            end = place.end
            state = _STATE_AFTER.match(text, end)
            has_state = state is not None and self._is_state(state.group("state"))
            postal = has_state and state is not None and state.group("zip") is not None
            abroad = _AU_STATE_POSTCODE.match(text, end)
            if abroad is not None:
                if abroad.group("town"):
                    yield Span(abroad.start("town"), abroad.end("town"), LOCATION, "city", 0.8, "address_regions")
                yield Span(abroad.start("state"), abroad.end("state"), LOCATION, "state", 0.8, "address_regions")
                yield Span(abroad.start("zip"), abroad.end("zip"), LOCATION, "postcode", 0.8, "address_regions")
                has_state, end = False, abroad.end()
            elif not postal and not self._in_address(text, places, k):
                continue
            elif not has_state and doc.caseless:
                # ", me.", ", vt 05641": a state's code in lower case, in a note written all in lower case
                state = STATE_CODE_AFTER.match(text, end)
                written = (
                    state.group("state")
                    if state is not None and (state.group("sep").startswith(",") or state.group("zip"))
                    else ""
                )  # ", vt" or "swanzey nh 03446": after a comma, or before a ZIP code
                has_state = written.islower() and written.upper() in STATE_CODES
            if abroad is None and not has_state and place.subtype in ("city", "street", None):
                code = _POSTCODE_AT_LINE_END.match(text, end)
                if code is None and (code := _POSTCODE_BEFORE.match(text, end)) is not None:
                    code = code if self._country_after(doc, code.end("code")) is not None else None
                if code is not None:
                    yield Span(code.start("code"), code.end("code"), LOCATION, "postcode", 0.75, "address_regions")
                    end = code.end("code")
            if has_state and state is not None:
                if state.group("sep").strip() or place.subtype != "zip":
                    yield Span(state.start("state"), state.end("state"), LOCATION, "state", 0.8, "address_regions")
                    end = state.end("state")
                    if state.group("zip") is not None:
                        # the ZIP rule takes a ZIP after a state's code in capitals only: ", vt 05641"
                        yield Span(end + 1, state.end("zip"), LOCATION, "zip", 0.8, "address_regions")
                        end = state.end("zip")
            country = self._country_after(doc, end)
            if country is not None:
                yield country

    @staticmethod
    def _in_address(text: str, places: list[Span], k: int) -> bool:
        """A place that is part of a written address: a street or a postcode, or a town right after
        another place on the same line ("15 Harborview Lane, Winthrop")."""
        place = places[k]
        if place.subtype in ("street", "zip", "postcode") or any(ch.isdigit() for ch in text[place.start : place.end]):
            return True  # a street or a postcode, whichever recognizer found it
        line_start = text.rfind("\n", 0, place.start) + 1
        numbered_line = any(ch.isdigit() for ch in text[line_start : place.start])
        for before in places[:k]:
            gap = text[before.end : place.start] if before.end <= place.start else "-"
            # a place no recognizer gave a kind ("Hai Bà Trưng, Hà Nội") counts on a line with a number
            kind_ok = before.subtype in _ADDRESS_SUBTYPES or before.subtype is None and numbered_line
            if kind_ok and (
                len(gap) <= 3 and "\n" not in gap and gap.strip() in ("", ",") or _BOX_POSTCODE_GAP.fullmatch(gap)
            ):
                return True  # whichever recognizers also found the place before, with other bounds
        return False

    def _town_after_facility(self, doc: Document, end: int) -> Span | None:
        """ "(CEDAR HOUSE, WALTHAM)", "Brookside Health Center, Quincy.": a town from the list written
        after a facility's name, closing its clause."""
        m = _TOWN_AFTER_FACILITY.match(doc.text, end)
        if m is None:
            return None
        words = doc.tokens_in(m.start("town"), m.end("town"))
        if not words or any(w.cls & (WordClass.STOP | WordClass.CLINICAL) for w in words):
            return None
        if self._is_state(m.group("town")) or m.group("town").lower() in _US:
            return None
        everyday = len(words) == 1 and words[0].caseless and bool(words[0].cls & WordClass.COMMON)
        if not known_city(self.lexicon, words) or everyday:
            return None  # "... REHAB, HOME", "(NURSING HOME, MAIN)": a word that is also everyday needs more
        return Span(m.start("town"), m.end("town"), LOCATION, "city", 0.75, "address_regions")

    @staticmethod
    def _is_state(word: str) -> bool:
        return word in STATE_CODES or word.lower() in STATE_NAMES

    def _country_after(self, doc: Document, end: int) -> Span | None:
        m = _COUNTRY_AFTER.match(doc.text, end)
        if m is None:
            return None
        words = doc.tokens_in(m.start("country"), m.end("country"))
        if m.group("country").lower() in _US or self._country_name(words):
            return Span(m.start("country"), m.end("country"), LOCATION, "country", 0.8, "address_regions")
        return None

    def _country_name(self, words: list[Token]) -> bool:
        if len(words) == 1:
            return bool(words[0].cls & WordClass.COUNTRY)
        parts = tuple(w.norm for w in words)
        return bool(words) and parts in self.lexicon.multiword_countries.get(parts[0], ())


@register_refiner(
    "address_regions",
    "The state or country written inside a postal address, after its town, street or postcode.",
    follows=("street_address", "zip_code", "city", "places"),
)
def _address_regions(config: DeidConfig, lexicon: Lexicon) -> _AddressRegions:
    return _AddressRegions(lexicon)
