"""Companies that carry patients, named after the ride they give: "transport booked w/ american ambulette",
"transport: wc van via careride booked 1400". Part of the `facility` recognizer."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.lexicon import WEEKDAYS, WordClass
from appliance.deid.recognizers.locations import NAME_LIKE
from appliance.deid.recognizers.name_rules import MONTH_WORDS
from appliance.deid.recognizers.services import KINDS_OF_TRANSPORT, SERVICE_GENERIC, vocabulary_like
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document

# "transport booked w/ american ambulette", "pickup via ride-well transport": a company booked for a ride or
# a service, named by words before what it provides.
_BOOKED_WITH = re.compile(
    r"(?i)\b(?:booked|arranged|scheduled|set[ \t]+up|ordered|confirmed|pick-?up|transport)[ \t]+"
    r"(?:w/|with|thru|through|via)[ \t]+"
    r"(?P<name>(?:[a-z][\w'’-]*[ \t]+){1,3}(?:ambulette|ambulance|medical|transport|transportation|express|cab|"
    r"taxi|rides?|coach|homecare|infusion))\b"
)
_NOT_A_COMPANY_WORD = frozenset(
    "the a an medicaid medicare hospital our their his her family local county city state wheelchair w/c "
    "stretcher bls als private public basic advanced critical care non-emergency nonemergency".split()
)


def booked_companies(doc: Document) -> Iterator[Span]:
    """A company named before what it provides, after a word of booking and "with" or "via"; its other
    words are neither function nor clinical words, nor the kind of ride ("booked w/ medicaid transport")."""
    text = doc.text
    if "book" not in text and "via" not in text and "arrang" not in text and "thru" not in text:
        return
    for m in _BOOKED_WITH.finditer(text):
        words = doc.tokens_in(m.start("name"), m.end("name"))[:-1]
        if (
            words
            and not all(w.cls & WordClass.CLINICAL for w in words)  # "booked w/ cardiology transport"
            and not any(
                w.cls & WordClass.STOP
                or w.cls & WordClass.CLINICAL
                and not w.cls & WordClass.ENGLISH
                or w.norm in _NOT_A_COMPANY_WORD
                for w in words
            )
        ):
            yield Span(m.start("name"), m.end("name"), LOCATION, "facility", 0.7, "facility")


# A ride's company named by no word of what it is, between the ride and what is said of the booking:
# "transport: careride booked 1400", "w/c van via care cab.", "Transport: KIDSTAT ground team", "CARRIER GEM STATE".
_RIDE_LABEL = re.compile(
    r"(?i)\b(?:transport(?:ation)?(?:[ \t]+booked)?|carrier|pick-?up|(?:w/?c|wheelchair)[ \t]+(?:van|transport)|"
    r"chair[ \t]+car)(?:[ \t]*[:(][ \t]*|[ \t]+(?:via|thru|through|w/|with|by)[ \t]+|[ \t]+)"
    r"(?P<name>(?!(?:w/?c|wheelchair|chair)\b)(?:the[ \t]+)?[^\W\d_][\w'’&-]*"
    r"(?:[ \t]+(?!(?:via|thru|through|with|by|to|from)\b)[^\W\d_][\w'’&-]*){0,3}?)"
    r"(?=[ \t]*(?:[,.;:)\n]|$)|[ \t]+(?:booked|confirmed|no-?show|late|voucher|pick-?up|tentatively|not|ground|"
    r"retrieval|nepts|wheelchair|team|arranged|scheduled|at|for|on|ref|trip|dispatch|stretcher|rotor|fixed|crew|"
    r"bls|als|cct|pts|van|ambulance|w/?c|booking|icu|chair|critical|secure|\d))"
)
_RIDE_WORDS = SERVICE_GENERIC | KINDS_OF_TRANSPORT | frozenset(
    """
    self family husband wife son daughter friend sister brother mother father ems ambulance taxi cab bus van private
    own none pending needed arranged booked wc chair aide record request booking arrangement form log note summary
    sheet details plan info information code point charges vent settings house main mobile sheriff doc provincial
    state county city regional
    """.split()
)
# When, not who: "pick-up Thurs 5/14", "valley chair car tmrw 1000", "lifeline transport held for 1000".
_RIDE_WHEN = WEEKDAYS | frozenset({"tmrw", "tomorrow", "today", "tonight", "held"})


def unheaded_rides(doc: Document) -> Iterator[Span]:
    """ "transport: careride booked", "transport (medivan express)", "Transport: WAST NEPTS": one to four words
    after a ride's label, at least one of them no list knows or one that names, none a function, clinical or
    kind-of-ride word first ("transport: family", "pickup via daughter", "transport: stretcher"); in a note
    written in both cases, a capital says a name too ("Transport: Kiwi Patient Transfers")."""
    for m in _RIDE_LABEL.finditer(doc.text):
        words = doc.tokens_in(m.start("name"), m.end("name"))
        if words and words[0].norm == "the":
            words = words[1:]
        if (
            words
            and words[0].norm not in _RIDE_WORDS
            and not (words[0].cls & WordClass.CLINICAL and not words[0].cls & NAME_LIKE)
            and not any(
                w.norm in MONTH_WORDS
                or w.norm in _RIDE_WHEN
                or w.cls & WordClass.STOP
                or not w.cls
                and vocabulary_like(w.norm)  # "transport via bariatric stretcher"
                for w in words
            )
            and any(
                not w.cls or w.cls & (NAME_LIKE | WordClass.CITY) or w.text[0].isupper() and not w.caseless
                for w in words
            )
        ):
            yield Span(m.start("name"), m.end("name"), LOCATION, "facility", 0.7, "facility")
