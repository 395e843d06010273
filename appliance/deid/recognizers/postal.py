"""Addresses that are routes rather than streets (rural routes with their box, military and diplomatic
mail), postcodes as addresses outside the US write them: after a postal label ("C.P. 28046", "CP:
B1827", "código postal 03020") or before the town after a street ("Avda. Reyes Católicos, 2, 28040,
Madrid", "C/ Colón, 28-1º. 36201 Vigo") or in lower case after a comma ("harrogate, hg2 0nf"), the town
right before a postcode, numbered roads, and towns named by their police or fire department. Part of the
`places` recognizer (places.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.lexicon import NAME_BITS, WordClass
from appliance.deid.recognizers.locations import STATE_NAMES
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Shape

# A rural route and its box: "RR 2 Box 14", "rr 2, box 45", "Rural Route 3".
_RURAL_ROUTE = re.compile(
    r"(?i)\b(?:(?:rr|r\.r\.)[ \t]*#?[ \t]*\d{1,3},?[ \t]*box[ \t]*#?[ \t]*\d{1,5}"  # "rr 18" alone is a breathing rate
    r"|rural[ \t]+route[ \t]*#?[ \t]*\d{1,3}(?:,?[ \t]*box[ \t]*#?[ \t]*\d{1,5})?)\b"
)
# Military and diplomatic mail: "PSC 2581, Box 0041", "Unit 7349 Box 6067", "APO AE 20040", and a ship
# with the fleet post office on the next line or after a comma ("USNS Harris\nFPO AP 12345"); in any case.
_MILITARY = re.compile(
    r"(?i)\b(?:(?:PSC|Unit|CMR)[ \t]+\d{3,5},?[ \t]+Box[ \t]+\d{3,5}"
    r"|(?:(?:USS|USNS|USNV|USCGC)[ \t]+[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?[ \t]*(?:,[ \t]*|\n[ \t>]*))?"
    r"(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5})\b"
)


_LABELLED_POSTCODE = re.compile(
    r"(?i)(?<![\w.])(?:c\.[ \t]?p\.[ \t]*:?|cp[ \t]*:|c[óo]digo[ \t]+postal[ \t]*:?|post(?:al)?[ \t]?code[ \t]*:?)"
    r"[ \t]*(?P<code>[A-Z]?\d{4,6})\b"
)
# Five digits, then the town's capitalised name on the same line.
_CODE_BEFORE_TOWN = re.compile(r"(?<![\w.,/-])(?P<code>\d{5})(?![\w/])(?:[ \t]*[.,-])?[ \t]*(?=[^\W\d_][^\W\d_])")
# What a street line holds before the postcode: floor and door marks, "s/n", street words.
_STREET_CUE = re.compile(
    r"(?i)(?:[ºª]|\bs/n\b|\bc/|\b(?:calle|avda|avd|av|avenida|paseo|plaza|pza|ctra|carretera|bajo|piso|portal|"
    r"izda|izq|dcha|esc|bloque|rue|via|strasse|straße|street|road|avenue|lane)\b)"
)


# A numbered road where something happened: "vs pickup on route 1a", "MVC ON RTE 9", "off I-495".
_ROUTE = re.compile(
    r"(?i)\b(?:on|off|via|along|onto)[ \t]+"
    r"(?P<road>(?:route|rte|highway|hwy|interstate)[ \t]*#?\d{1,3}[a-z]?|i-\d{1,3})\b"
)


# A town's police or fire department: "stow pd officer fogarty", "ATHOL FIRE GAVE NARCAN".
_DEPARTMENT = re.compile(r"(?i)[ \t](?:pd|fd|police|fire[ \t]+dep)")


def department_towns(doc: Document) -> Iterator[Span]:
    """Towns before their police or fire department."""
    for m in _DEPARTMENT.finditer(doc.text):
        index = doc.token_index_at(m.start()) - 1
        if index >= 0 and doc.tokens[index].cls & WordClass.CITY and doc.tokens[index].end == m.start():
            town = doc.tokens[index]
            yield Span(town.start, town.end, LOCATION, "city", 0.75, "places")


def postcodes(doc: Document) -> Iterator[Span]:
    text = doc.text
    for m in _LABELLED_POSTCODE.finditer(text):
        yield Span(m.start("code"), m.end("code"), LOCATION, "zip", 0.85, "places")
    for m in _CODE_BEFORE_TOWN.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _STREET_CUE.search(text, max(line_start, m.start() - 60), m.start()):
            yield Span(m.start("code"), m.end("code"), LOCATION, "zip", 0.8, "places")


# "HOME ADDRESS: RUA DAS FLORES 112, 3º ESQ, 4050-262 PORTO, PORTUGAL.": what follows an address label to
# the line's end. Not an e-mail, IP or web address.
_ADDRESS_LABEL = re.compile(
    r"(?i)(?<!e-)(?<!e)(?<!ip )(?<!web )(?<!mac )(?<!ip)\baddress(?:[ \t]+(?:is|was))?[ \t]*[:\-][ \t]*"
    r"(?P<value>[^\n;]+)"
)
# Where the address ends inside the line: a sentence end after a word that is no abbreviation, or a new label.
_VALUE_END = re.compile(r"(?P<word>[^\W\d_]+)\.[ \t]+(?=[^\W\d_]{2,})|[ \t]+(?=[^\W\d_][^\W\d_ ]{1,15}[ \t]*:)")
_ABBREVIATIONS = frozenset(
    {"st", "ste", "ave", "av", "apt", "no", "rd", "dr", "mt", "blvd", "ln", "ct", "fl", "bldg", "po", "p", "o"}
    | {"n", "s", "e", "w", "hwy", "pl", "sq", "ter", "cir", "pkwy", "rte", "avda", "c", "esq", "dcha", "izq", "izda"}
)
_CODE = re.compile(r"[A-Z0-9][A-Z0-9 -]{2,9}", re.IGNORECASE)


def labelled_addresses(doc: Document) -> Iterator[Span]:
    """The value of an address label, one span for each comma-separated part (street, unit, postcode,
    town, country), when it holds a number; states and countries go with it as part of the address."""
    text = doc.text
    for m in _ADDRESS_LABEL.finditer(text):
        start, end = m.start("value"), m.end("value")
        for cut in _VALUE_END.finditer(text, start, end):
            word = cut.group("word")
            if word is None or word.lower() not in _ABBREVIATIONS:
                end = cut.start() + (len(word) if word else 0)
                break
        value = text[start:end].rstrip(" \t.,")
        if not any(ch.isdigit() for ch in value) or "@" in value or "://" in value:
            continue
        pos = start
        for part in value.split(","):
            a = pos + len(part) - len(part.lstrip())
            b = pos + len(part.rstrip())
            pos += len(part) + 1
            if b <= a:
                continue
            piece = text[a:b]
            digits = sum(ch.isdigit() for ch in piece)
            if piece[0].isdigit() and any(ch.isalpha() for ch in piece) and " " in piece:
                subtype = "street"
            elif digits >= 3 and _CODE.fullmatch(piece) and any(ch.isdigit() for ch in piece):
                subtype = "postcode"
            elif digits:
                subtype = "street"
            else:
                words = doc.tokens_in(a, b)
                subtype = "country" if words and all(w.cls & WordClass.COUNTRY for w in words) else "city"
            yield Span(a, b, LOCATION, subtype, 0.85, "places")


# Towns no list holds, told by their shape after a preposition of place: a direction or "Port", "Fort"
# before a name ("in upper stowell", "from Ft. Caldwell", "in east marlow"), or a name before a word of
# landscape ("in ashcombe heights", "in fall ridge", "Hadley Glen").
_TOWN_CUE = re.compile(r"(?i)\b(?:in|from|to|near|of|lives\s+in|moved\s+to)[ \t]+$")
_TOWN_PREFIXES = frozenset(
    {
        "east",
        "west",
        "north",
        "south",
        "upper",
        "lower",
        "port",
        "fort",
        "ft",
        "mount",
        "mt",
        "new",
        "san",
        "santa",
        "lake",
    }
)
_TOWN_SUFFIXES = frozenset(
    {"heights", "ridge", "hills", "springs", "glen", "harbor", "harbour", "landing", "crossing", "junction", "mills"}
    | {"grove", "village", "beach", "falls", "corners", "hollow", "twp", "township"}
)
# Words that also follow a direction or come before a landscape word in clinical text.
_NOT_TOWN = frozenset({"extremity", "extremities", "lobe", "lobes", "quadrant", "gi", "airway", "back", "wing"})


def shaped_towns(doc: Document) -> Iterator[Span]:
    tokens = doc.tokens
    for i in range(len(tokens) - 1):
        a, b = tokens[i], tokens[i + 1]
        gap = doc.gap(a, b)
        if gap not in (" ", ". ") or (gap == ". " and a.norm not in ("ft", "mt")):
            continue
        if not a.capitalised and not a.caseless or not b.capitalised and not b.caseless:
            continue
        if not _TOWN_CUE.search(doc.text, max(0, a.start - 16), a.start):
            continue
        if a.norm in _TOWN_PREFIXES:
            named = b
        elif b.norm in _TOWN_SUFFIXES:
            named = a
        else:
            continue
        if named.norm in _NOT_TOWN or named.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.MEDICAL):
            continue
        if (
            named.cls & WordClass.ENGLISH
            and not named.cls & (NAME_BITS | WordClass.CITY)
            and b.norm
            in (
                "falls",
                "village",
                "beach",
                "grove",
            )
        ):
            continue  # "in multiple falls", "from the beach": everyday words before a common landscape word
        if named is b and named.cls & WordClass.ENGLISH and not named.cls & (NAME_BITS | WordClass.CITY):
            continue  # "in lower extremity", "to north shore": a direction before an everyday word
        if f"{a.norm} {b.norm}" in STATE_NAMES or a.norm == "new" and b.cls & WordClass.COUNTRY:
            continue  # "from New York", "in New Mexico": a state alone, kept like any other
        yield Span(a.start, b.end, LOCATION, "city", 0.7, "places")


def postal_places(doc: Document) -> Iterator[Span]:
    """Routes, military mail, postcodes outside the US, numbered roads, towns before their police and
    the values of address labels."""
    yield from labelled_addresses(doc)
    yield from shaped_towns(doc)
    for m in _MILITARY.finditer(doc.text):
        yield Span(m.start(), m.end(), LOCATION, "street", 0.9, "places")
    for m in _RURAL_ROUTE.finditer(doc.text):
        yield Span(m.start(), m.end(), LOCATION, "street", 0.85, "places")
    yield from postcodes(doc)
    yield from lower_postcodes(doc)
    yield from department_towns(doc)
    for m in _ROUTE.finditer(doc.text):
        yield Span(m.start("road"), m.end("road"), LOCATION, "street", 0.8, "places")


def town_before(doc: Document, code_start: int) -> Iterator[Span]:
    """The town written right before a postcode ("Harrogate HG1 4QT", "Cork T23 XK41", "Stoke-on-Trent
    ST4 2QS"), in lower case after an address line's comma ("14 fenwick close, hartlepool TS25 3QH")."""
    index = doc.token_index_at(code_start) - 1
    town = doc.tokens[index] if index >= 0 else None
    if town is None or doc.text[town.end : code_start] not in (" ", ", "):
        return
    after_comma = town.shape is Shape.LOWER and doc.text[max(0, town.start - 2) : town.start] == ", "
    hyphenated = "-" in town.norm and town.text[0].isupper()  # "Newcastle-under-Lyme"
    if (town.shape is Shape.TITLE or after_comma or hyphenated) and (hyphenated or not town.cls & WordClass.STOP):
        yield Span(town.start, town.end, LOCATION, "city", 0.8, "places")


# A British or Canadian postcode written in lower case after an address's comma, closing it:
# "19 cold bath road, harrogate, hg2 0nf." (in a note all in one case).
_LOWER_POSTCODE = re.compile(
    r"(?<=, )(?:[a-z]{1,2}\d[a-z\d]?[ \t]\d[abd-hjlnp-uw-z]{2}|[abceghj-nprstvxy]\d[a-z][ \t]\d[a-z]\d)"
    r"(?=[ \t]*(?:[.,;)]|$))",
    re.M,
)


# The house number and street (with a flat before them) ending right before the town's comma.
_LOWER_STREET_BEFORE = re.compile(
    r"(?:(?:flat|apt|unit|suite)[ \t]*\d{1,4}[a-z]?,[ \t]*)?\d{1,5}[a-z]?,?[ \t]+[a-z][a-z'’ -]{2,40}$"
)


def lower_postcodes(doc: Document) -> Iterator[Span]:
    """Postcodes in lower case after a comma, with the town and the street before them, in a note all in
    one case: "flat 2, 19 cold bath road, harrogate, hg2 0nf"."""
    if not doc.caseless:
        return
    text = doc.text
    for m in _LOWER_POSTCODE.finditer(text):
        yield Span(m.start(), m.end(), LOCATION, "zip", 0.8, "places")
        for town in town_before(doc, m.start()):
            yield town
            line_start = max(text.rfind("\n", 0, town.start) + 1, text.rfind(": ", 0, town.start) + 2)
            street = _LOWER_STREET_BEFORE.search(text, line_start, max(line_start, town.start - 2))
            if street is not None and text.startswith(", ", town.start - 2):
                yield Span(street.start(), street.end(), LOCATION, "street", 0.8, "places")
