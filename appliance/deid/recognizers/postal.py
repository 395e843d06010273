"""Addresses that are routes rather than streets: rural routes with their box, and military and
diplomatic mail. Part of the `places` recognizer (places.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document

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


def postal_routes(doc: Document) -> Iterator[Span]:
    for m in _MILITARY.finditer(doc.text):
        yield Span(m.start(), m.end(), LOCATION, "street", 0.9, "places")
    for m in _RURAL_ROUTE.finditer(doc.text):
        yield Span(m.start(), m.end(), LOCATION, "street", 0.85, "places")
