"""Contact details: e-mail addresses, URLs, IP addresses, telephone, fax and pager numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, Lexicon, WordClass
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.names import TITLE_WORDS
from appliance.deid.spans import CONTACT, NAME, Span
from appliance.deid.text import Document
from appliance.deid.validators import ip_valid

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
# A display name before an address in angle brackets, at a line's start, after a header's colon or a comma.
_DISPLAY_NAME = re.compile(
    r"(?m)(?:^|[:,;][ \t]*)[ \t\"']*(?P<name>[^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,3})[\"']?"
    r"[ \t]*<[^<>\s@]+@[^<>\s]+>"
)

# Two-letter country domains that are also words or clinical shorthand ("in", "me", "ca") are left
# out: "seen.in" is a typo far more often than a web site.
_TLDS = frozenset(
    "com org net edu gov mil int info biz io app dev health clinic hospital online site uk au example".split()
    + "dk de fr nl se es pl br mx ch nz za sg jp kr cn ru ie pt fi gr cz hu ro cl ng ke gh ph blog shop".split()
)
# Every quantifier below is possessive and every host match starts where a host-like run starts, so
# a pathological run ("1.1.1.1...", 50,000 characters) is scanned once, not once per position.
_URL_SCHEME = re.compile(r"(?i)(?<![\w.+-])(?:https?|s?ftp)://[^\s<>\"']++")
_URL_HOST = re.compile(
    r"(?i)(?<![\w.@/+-])(?P<host>[a-z0-9-]++(?:\.[a-z0-9-]++)++)(?::\d{2,5})?(?P<path>/[^\s<>\"']*+)?"
)
_TRAILING = ".,;:!?)]}'\""

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\d.]*\d)")
# IPv6 needs at least two colons and a hex letter or "::", so clock times (14:30:00) never match.
_IPV6 = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])")

# The kind of number some write right after it, joined by a hyphen: "788-063-Office", "815-Fax".
_KINDS = r"(?i:office|fax|mobile|cell|home|work|landline)"
# Telephone numbers: North American with optional country code and extension, international
# (+CC ...), and bare seven-digit local numbers (555-1234).
_PHONE = re.compile(
    r"(?ix)(?<![\w/.-])"
    r"(?:"
    r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)[\s.-]?|\d{3}(?:[\s.-]|-[ \t]|/))\d{3}(?:[\s.-]|-[ \t]|/)\d{4}"
    r"|\(\d{3}[ \t]\d{3}[ \t]\d{4,5}\)"
    # An area code of two digits in brackets, then four or five and four digits ("(19) 3741-2286")
    r"|\(\d{2}\)[ \t]?\d{4,5}-\d{4}"
    # National numbers with a trunk 0 ("020 7946 0958", "0412 345 678", "06 12 34 56 78")
    r"|\(?0\d{1,4}\)?(?:[ .-]\d{2,4}){2,4}"
    r"|\(?0[1-9]\d{1,3}\)?[ -]\d{6,8}"  # a mobile's prefix, then the rest unbroken ("0300 5552741")
    r"|0\d{2,5}[ \t]?/[ \t]?\d{2,4}(?:[ \t-]\d{1,4}){1,4}"  # a German area code before a slash ("089 / 74 63 21-0")
    r"|[6-9]\d{2}(?:[ ]\d{2}){3}(?![ ]\d)"  # Spanish numbers in pairs after the first three ("958 03 84 12")
    r"|\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}"
    r"|[2-9]\d{2}-\d{4}(?!\s*(?:mg|mcg|ml|units?|g|kg|%))"
    r")"
    r"(?P<ext>\s*(?:x|ext\.?|extension)\s*\d{1,6})?"
    # A hyphen may follow only as the start of the number's kind ("+44 7700 208 815-Fax"), not a range.
    r"(?![\w/]|-(?!" + _KINDS + r"\b)|\.\d)"
)
# Bare digit runs that are phone numbers only because a cue says so ("call 6175551234", "pager 12345").
_CUED_NUMBER = re.compile(
    r"(?i)\b(?P<cue>phone|ph|tel|telephone|tel[eé]fono|tfno|telf|tlf|m[oó]vil|cell|mobile|mob|hp|home|work|contact|ring|"
    r"line(?=[ \t]*[:(])|"
    r"call(?:ed)?(?:[ \t]+(?:me|us|him|her))?"
    r"(?:[ \t]+(?:on|at))?|fax|facsimile|pager|beeper|pgr|pg|page(?:d)?|"
    r"reach(?:ed)?(?:[ \t]+(?:me|us))?[ \t]+(?:on|at)|answering[ \t]+at|text(?:[ \t]+me)?[ \t]+(?:on|at)|number)\b"
    r"[\s#:.\-]*(?:no\.?|number|#)?[\s#:.\-]*"
    r"(?P<num>\+?\(?\d{1,5}\)?(?:[ .-]\(?\d{1,6}\)?){1,5}(?!\d|[/.\-]\d|[ \t]*(?:mg|mcg|ml|units?|iu|kg|g|%)\b)"
    r"|\d{4,15}(?!\d|[/.\-]\d))"
)
CUE_FIRST_WORDS = frozenset(
    """
    phone ph tel telephone cell mobile home work contact call called fax facsimile pager beeper pgr pg page paged
    reached reach answering text number teléfono telefono tfno telf tlf móvil movil ring line mob hp
    """.split()
)
# In-house pager and extension numbers ("page at 4-7721", "pgr 2-1456", "beeper #5-3310").
_SHORT_PAGER = re.compile(
    r"(?i)\b(?:pager|beeper|pgr|pg|paged?|page\s+(?:dr\.?\s+)?\w+\s+at|ext\.?|extension|x)\b[^\n\d]{0,12}?"
    r"(?P<num>(?<![\d/.-])\d{1,2}-\d{4}(?![\d/-]))"
)
# A pager written with a blank for the dash after its word only ("beeper 4 0172", "pgr 6 3302").
_SPACED_PAGER = re.compile(
    r"(?i)\b(?:pager|beeper|pgr|pg|paged)\b[ \t#:.]{0,4}"
    r"(?P<num>(?<![\d/.-])\d[ \t]\d{4}(?![\w/-])(?![ \t]*(?:ml|cc|mg|mcg|units?|l)\b))"
)
_PAGER_WORDS = frozenset({"pager", "beeper", "pgr", "pg", "paged"})
# "PAGED @ 3307": a pager after "@", which is read as a clock time whenever it can be one ("paged @ 2200").
_PAGED_AT = re.compile(r"(?i)\b(?:paged|pager|beeper|pgr|pg)[ \t]*@[ \t]*(?P<num>\d{4,5})(?![\w/:-]|\.\d)")
# A hospital's bleep, as British notes write a pager: "ST5 Geriatrics, bleep 4471".
_BLEEP = re.compile(r"(?i)\bbleep[ \t]*(?:no\.?|#)?[ \t]*:?[ \t]*(?P<num>\d{3,5})(?![\w/:-]|\.\d)")
# An extension after its word: "rrt, ext 6642", "extension #4410"; three to five digits, no unit or
# fraction after ("EXT 4/5" is strength).
_EXT_NUMBER = re.compile(
    r"(?i)\b(?:ext|extension|poste)\.?[ \t]*#?[ \t]*(?P<num>(?<![\d/.-])\d{3,5}|(?<=poste )\d{2})"
    r"(?![\d/%-]|[.,]\d|[ \t]*(?:ml|cc|mg|mcg|units?)\b)"
)
# An extension written "x5531" after a word or in brackets ("sw ilana perez x5531", "(x4471)"): four or five
# digits glued to the x, no number before it ("2 x 1000") and no unit after it ("x1000 ml").
_EXTENSION = re.compile(
    r"(?i)(?:(?<=[a-z),][ \t])|(?<=\())x(?P<num>\d{4,5})\b"
    r"(?![ \t]*(?:ml|cc|mg|mcg|units?|l\b|g\b|%|/|steps|feet|ft\b|m\b|meters|times))"
)
# The kind of number written right after it: "(37) 788-063-Office", "07700 063 966-Fax".
_TIME_LIKE_CUES = frozenset({"home", "work", "number", "contact", "call", "called", "reached", "reach", "text"})
_LABEL_AFTER = re.compile(r"(?<![\w/.-])(?P<num>\+?\(?\d[\d() .-]{5,22}\d)-" + _KINDS + r"\b")
_FAX_CUE = re.compile(r"(?i)\b(?:fax|facsimile|fx)\b[\s#:.\-]*(?:no\.?|number)?[\s#:.\-]*$")
_PAGER_CUE = re.compile(r"(?i)\b(?:pager|beeper|pgr|pg|paged?)\b[\s#:.\-]*(?:no\.?|number)?[\s#:.\-]*$")


def _strip_trailing(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return end


# A user name: with an underscore, a dot, a digit or a capital inside, or heading a post ("@riverboatjo · Jun 4");
# "pt @baseline" is a word after "at".
_HANDLE = re.compile(
    r"(?<![\w.@/+-])@(?:[A-Za-z](?=[\w.]*(?:[_.\d]|[a-z][A-Z]))[A-Za-z0-9_.]{1,28}[A-Za-z0-9_]"
    r"|(?<=^@)[A-Za-z]\w{2,29}(?=[ \t]*[·:])|(?<=\n@)[A-Za-z]\w{2,29}(?=[ \t]*[·:]))(?![\w@]|\.[A-Za-z]{2,})"
    r"|(?<![\w/])u/[A-Za-z0-9][\w-]{2,19}(?![\w/])"  # "Posted by u/spoonie_in_sheff", "Top comment - u/gritandgrace"
)


class _Email:
    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _EMAIL.finditer(text):
            yield Span(m.start(), m.end(), CONTACT, "email", 0.99, "email")
        if "@" in text or "u/" in text:
            for m in _HANDLE.finditer(text):
                # "@sunny_okafor · Jan 14", "replying to @tunde.a": a user name in a feed or chat, most often a person's
                yield Span(m.start(), m.end(), NAME, "handle", 0.8, "email")
        if "<" not in text:
            return
        for m in _DISPLAY_NAME.finditer(text):
            # "From: Ngozi <ngozi.e@...>", "To: Chidi <...>, Adanna <...>": the name the address is shown with.
            words = doc.tokens_in(m.start("name"), m.end("name"))
            while words and words[0].norm in TITLE_WORDS:
                words = words[1:]  # '"Dr. Anna Kovacs" <...>': the title stays
            if words and not any(w.cls & WordClass.STOP and not w.cls & NAME_BITS for w in words):
                yield Span(words[0].start, m.end("name"), NAME, "person", 0.9, "email")


class _Url:
    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        taken_until = -1
        for m in _URL_SCHEME.finditer(text):
            end = _strip_trailing(text, m.start(), m.end())
            taken_until = end
            yield Span(m.start(), end, CONTACT, "url", 0.95, "url")
        for m in _URL_HOST.finditer(text):
            if m.start() < taken_until and m.start() >= taken_until - len(m.group()):
                continue
            host = m.group("host").rstrip(".-")
            labels = host.lower().split(".")
            if len(labels) < 2 or labels[-1] not in _TLDS and labels[0] != "www":
                continue
            # "e.g" and "i.v"-style abbreviations are not domains: a real name has a label of 2+ letters.
            if len(labels[-2]) < 2 or all(label.isdigit() for label in labels[:-1]):
                continue
            if text.find("://", max(0, m.start() - 8), m.start()) >= 0:
                continue  # inside a URL with a scheme, found above
            end = _strip_trailing(text, m.start(), m.end())
            yield Span(m.start(), end, CONTACT, "url", 0.85, "url")


class _IpAddress:
    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _IPV4.finditer(text):
            address = m.group().split("/")[0]
            if ip_valid(address):
                yield Span(m.start(), m.end(), CONTACT, "ip", 0.9, "ip_address")
        for m in _IPV6.finditer(text):
            candidate = m.group()
            has_hex_letter = any(ch in "abcdefABCDEF" for ch in candidate)
            if (has_hex_letter or "::" in candidate) and candidate.count(":") >= 2 and ip_valid(candidate):
                yield Span(m.start(), m.end(), CONTACT, "ip", 0.9, "ip_address")


class _Phone:
    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        seen: set[int] = set()
        for m in _PHONE.finditer(text):
            start, end = m.start(), m.end()
            number = text[start : m.start("ext")] if m.group("ext") else m.group()  # the extension is no part of it
            digits = sum(ch.isdigit() for ch in number)
            if digits < 7 or digits > 15:
                continue
            if m.group().lstrip("(").startswith("0") and not 9 <= digits <= 12:
                continue  # a trunk-0 national number has 9 to 12 digits
            subtype = self._subtype(text, start)
            short = digits == 7
            # A bare 555-1234 is a phone when a cue says so; otherwise still redacted, less sure.
            confidence = 0.95 if not short else (0.9 if subtype != "phone" or _has_phone_cue(text, start) else 0.6)
            seen.add(start)
            yield Span(start, end, CONTACT, subtype, confidence, "phone")
        for m in _LABEL_AFTER.finditer(text):
            digits = sum(ch.isdigit() for ch in m.group("num"))
            if m.start("num") not in seen and 7 <= digits <= 15:
                seen.add(m.start("num"))
                yield Span(m.start("num"), m.end("num"), CONTACT, "phone", 0.85, "phone")
        spaced = doc.matches_at_words(_SPACED_PAGER, _PAGER_WORDS)
        for m in (*_SHORT_PAGER.finditer(text), *spaced):
            if m.start("num") not in seen:
                yield Span(m.start("num"), m.end("num"), CONTACT, "pager", 0.85, "phone")
        for m in (*_BLEEP.finditer(text), *_PAGED_AT.finditer(text)):
            num = m.group("num")
            if m.re is _PAGED_AT and len(num) == 4 and int(num[:2]) <= 23 and int(num[2:]) <= 59:
                continue  # "paged @ 2200": the hour it was paged
            if m.start("num") not in seen:
                yield Span(m.start("num"), m.end("num"), CONTACT, "pager", 0.8, "phone")
        for m in (*_EXTENSION.finditer(text), *_EXT_NUMBER.finditer(text)):
            if m.start("num") not in seen:
                yield Span(m.start("num"), m.end("num"), CONTACT, "phone", 0.75, "phone")
        for m in doc.matches_at_words(_CUED_NUMBER, CUE_FIRST_WORDS):
            start = m.start("num") + (m.group("num")[0] == "(" and ")" not in m.group("num"))  # "line (978-555-"
            if start in seen:
                continue
            cue = m.group("cue").lower().split()[0]
            digits = sum(ch.isdigit() for ch in m.group("num"))
            if cue in _TIME_LIKE_CUES and digits < 7:
                continue  # "called 0500", "call 2100": a clock time, not a number
            if not m.group("num").isdigit() and not 7 <= digits <= 15:
                continue  # grouped digits after a cue: a whole number, "Phone: 72 128 827"
            subtype = (
                "fax" if cue in ("fax", "facsimile") else "pager" if cue.startswith(("pag", "beep", "pg")) else "phone"
            )
            yield Span(start, m.end("num"), CONTACT, subtype, 0.8, "phone")

    @staticmethod
    def _subtype(text: str, start: int) -> str:
        before = text[max(0, start - 24) : start]
        if _FAX_CUE.search(before):
            return "fax"
        if _PAGER_CUE.search(before):
            return "pager"
        return "phone"


_PHONE_CUE = re.compile(r"(?i)\b(?:phone|ph|tel|cell|mobile|call|number|contact|home|work|reached)\b[^\n]{0,12}$")


def _has_phone_cue(text: str, start: int) -> bool:
    return bool(_PHONE_CUE.search(text[max(0, start - 24) : start]))


@register("email", "E-mail addresses.")
def _email(config: DeidConfig, lexicon: Lexicon) -> _Email:
    return _Email()


@register("url", "Web addresses, with or without a scheme (https://..., www..., portal.example.org/x).")
def _url(config: DeidConfig, lexicon: Lexicon) -> _Url:
    return _Url()


@register("ip_address", "IPv4 and IPv6 addresses, validated (octets <= 255).")
def _ip(config: DeidConfig, lexicon: Lexicon) -> _IpAddress:
    return _IpAddress()


@register("phone", "Telephone, fax and pager numbers; the cue before the number picks the subtype.")
def _phone(config: DeidConfig, lexicon: Lexicon) -> _Phone:
    return _Phone()
