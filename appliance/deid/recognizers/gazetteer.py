"""Care facilities and organisations as notes name them without a head word.

* Hospitals from a shipped list (`hospital_names.txt`, derived from the CMS hospital table): a
  distinctive name of several words anywhere ("Beth Israel Deaconess", "john muir"); a hospital's
  initials or distinctive word right before its emergency department ("cmc ed", "seen in LAHEY ER");
  a distinctive word after a movement or "at" ("sent to baystate", "was at harborview").
* An organisation right after a clinician's name ("Dr. Lee from Atrius", "dr chen at Harborview").
* "<Word> of <Town>" after a word that moves the patient ("discharged to Sunrise of Arlington"):
  a rehab, nursing home or assisted living named after its town.
* A neighbourhood or square after a weaker movement ("walks to roxbury crossing", "drives to Oak
  Square"), when its first word is a name, a town or a word no list knows.

A refiner adds the postcode that many countries write after the town ("ARENDAL 4844", "Tujetsch 7188",
"Coimbra 3610-114") to a town already found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, Lexicon, WordClass, normalise, read_list
from appliance.deid.recognizers.base import register, register_refiner
from appliance.deid.recognizers.facilities import FACILITY_GENERIC, FACILITY_HEADS
from appliance.deid.recognizers.name_rules import MONTH_WORDS
from appliance.deid.recognizers.places import GENERIC_PLACES, MOVE_CUE
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Shape, Token


def _hospital_lists() -> tuple[dict[str, tuple[tuple[str, ...], ...]], frozenset[str], frozenset[str]]:
    names: dict[str, list[tuple[str, ...]]] = {}
    words: set[str] = set()
    initials: set[str] = set()
    for line in read_list("hospital_names.txt"):
        kind, entry = line.split(" ", 1)
        if kind == "name":
            run = tuple(normalise(w) for w in entry.split())
            names.setdefault(run[0], []).append(run)
        elif kind == "word":
            words.add(normalise(entry))
        else:
            initials.add(entry)
    by_first = {first: tuple(sorted(runs, key=len, reverse=True)) for first, runs in names.items()}
    return by_first, frozenset(words), frozenset(initials)


HOSPITAL_NAMES, HOSPITAL_WORDS, HOSPITAL_INITIALS = _hospital_lists()
_JOINERS = frozenset({"of", "and", "the"})
# Words that may close a listed name ("Beth Israel Deaconess Medical Center"), joining words left out.
_NAME_TAILS = (FACILITY_HEADS | FACILITY_GENERIC) - {"and", "the", "of", "for", "&"}
# The emergency department after a hospital's initials or name: "cmc ed", "LAHEY ER", "mgh emergency".
_ED_AFTER = re.compile(r"(?i)[ \t]+(?:ed|er|ew|e\.d\.|emergency(?:[ \t]+(?:dept|department|room))?)\b(?![/'’-])")
_AT_FROM = re.compile(r"(?i)\b(?:at|from|@)[ \t]+(?:the[ \t]+)?$")
_PREPOSITION = re.compile(r"(?i)\b(?:at|from|to|in|into|via|@)[ \t]+(?:the[ \t]+)?$")
# "Dr. Lee from", "dr chen at", "Dr Anna Vitale (cardiology) of", "Dr. Kim (": a clinician, then where
# they work; "pcp at", "her oncologist is at": a clinician named by their role.
_CLINICIAN = r"\b(?:dr|doctor|np|pa)\.?[ \t]+(?-i:[A-Za-z][\w'’-]+)(?:[ \t]+[A-Za-z][\w'’-]+)?"
_CLINICIAN_FROM = re.compile(
    r"(?i)(?:" + _CLINICIAN + r"(?:[ \t]+\([^()\n]{1,30}\))?[ \t]+(?:from|at|of|with)[ \t]+(?:the[ \t]+)?"
    r"|" + _CLINICIAN + r"[ \t]+\("
    r"|\b(?:pcp|[a-z]+ologist|psychiatrist|podiatrist|physician|dentist|surgeon)(?:[ \t]+is)?[ \t]+(?:at|from|with)"
    r"[ \t]+(?:the[ \t]+)?)"
)
_CLINICIAN_WORDS = frozenset(
    {"dr", "doctor", "np", "pa", "pcp", "psychiatrist", "podiatrist", "physician", "dentist", "surgeon"}
)
# A placement the patient goes to: "rehab at", "snf in", "placement at".
_PLACEMENT = re.compile(
    r"(?i)\b(?:rehab|snf|ltc|ltac|placement|facility|nursing\s+home|assisted\s+living|respite|hospice)"
    r"[ \t]+(?:at|to|in|from)[ \t]+(?:the[ \t]+)?$"
)
# Words before "of <Town>" that name a part or an office of the town, not a facility ("outskirts of").
_PART_OF = frozenset(
    """
    department dept division section service services office school city town county state commonwealth
    province area region part parts outskirts suburbs suburb center centre north south east west downtown
    university college mayor people
    """.split()
)
# A weaker movement than a transfer: the patient goes somewhere on their own.
_WEAK_MOVE = re.compile(
    r"(?i)\b(?:walks?|walked|walking|drives?|drove|driving|bikes?|biked|commutes?|commuted|heads?|headed|"
    r"takes?[ \t]+the[ \t]+(?:bus|train|t)|hangs?[ \t]+out|shops?|gets?[ \t]+off|lives?[ \t]+(?:near|by)|"
    r"works?|worked|goes|went|going)[ \t]+(?:over[ \t]+|down[ \t]+|up[ \t]+)?(?:to|in|near|around|at|by)[ \t]+"
)
_WEAK_MOVE_WORDS = frozenset(
    """
    walk walks walked walking drive drives drove driving bike bikes biked commute commutes commuted head heads
    headed take takes hang hangs shop shops get gets live lives work works worked goes went going
    """.split()
)
# Last words of a neighbourhood's or square's name.
_PLACE_TAILS = frozenset(
    """
    crossing square sq corner corners village hills hill heights park plain plains point beach landing falls
    highlands harbor harbour port station junction center centre common commons mills
    """.split()
)


def _moved_to(text: str, start: int) -> bool:
    return bool(MOVE_CUE.search(text, max(0, start - 48), start) or _PLACEMENT.search(text, max(0, start - 24), start))


def _placelike(tok: Token) -> bool:
    """A name, a town, or a word no list knows; never clinical, stop, month or plain English."""
    if tok.norm in MONTH_WORDS or tok.norm in GENERIC_PLACES or len(tok.norm) < 3:
        return False
    if tok.cls & (WordClass.CLINICAL | WordClass.STOP | WordClass.MEDICAL | WordClass.EPONYM):
        return False
    if tok.cls & WordClass.COMMON and not tok.cls & WordClass.CITY:
        return False
    return bool(tok.cls & (NAME_BITS | WordClass.CITY)) or not tok.cls & WordClass.ENGLISH


class _Gazetteer:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        yield from self._listed_names(doc)
        yield from self._before_ed(doc)
        yield from self._after_move(doc)
        yield from self._after_clinician(doc)
        yield from self._of_town(doc)
        yield from self._neighbourhoods(doc)

    def _listed_names(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        for i, tok in enumerate(tokens):
            runs = HOSPITAL_NAMES.get(tok.norm)
            if not runs or not tok.capitalised:
                continue
            for run in runs:
                window = tokens[i : i + len(run)]
                if len(window) != len(run) or tuple(t.norm for t in window) != run:
                    continue
                if any(not t.capitalised and t.norm not in _JOINERS for t in window):
                    continue
                if any(doc.gap(a, b) not in (" ", "-", "'s ", "’s ") for a, b in zip(window, window[1:], strict=False)):
                    continue
                last = i + len(run) - 1
                while (
                    last + 1 < len(tokens)
                    and tokens[last + 1].capitalised
                    and tokens[last + 1].norm in _NAME_TAILS
                    and doc.gap(tokens[last], tokens[last + 1]) == " "
                ):
                    last += 1
                yield Span(tok.start, tokens[last].end, LOCATION, "facility", 0.8, "gazetteer")
                break

    def _before_ed(self, doc: Document) -> Iterator[Span]:
        """ "cmc ed", "seen in the LAHEY ER": a hospital's initials or word before its emergency department.
        Initials that are also clinical abbreviations need "at", "from", "to" or "in" before them."""
        text = doc.text
        for tok in doc.tokens:
            known = tok.norm in HOSPITAL_INITIALS or tok.norm in HOSPITAL_WORDS
            if not known or tok.norm in GENERIC_PLACES or tok.shape is Shape.MIXED:
                continue
            if tok.shape is Shape.TITLE and tok.norm in HOSPITAL_INITIALS and tok.norm not in HOSPITAL_WORDS:
                continue  # "Abc ED": initials are written in one case
            if not _ED_AFTER.match(text, tok.end):
                continue
            ambiguous = tok.cls & (WordClass.CLINICAL | WordClass.ENGLISH | WordClass.STOP | WordClass.MEDICAL)
            if ambiguous and not _PREPOSITION.search(text, max(0, tok.start - 12), tok.start):
                continue  # "chf ed given": teaching about a disease, not a hospital
            yield Span(tok.start, tok.end, LOCATION, "facility", 0.75, "gazetteer")

    def _after_move(self, doc: Document) -> Iterator[Span]:
        """ "sent to baystate", "was at HARBORVIEW": a listed hospital word after a movement or "at"/"from"."""
        text = doc.text
        for tok in doc.tokens:
            if tok.norm not in HOSPITAL_WORDS or tok.shape is Shape.MIXED or tok.cls & WordClass.FIRST:
                continue
            if MOVE_CUE.search(text, max(0, tok.start - 48), tok.start) or _AT_FROM.search(
                text, max(0, tok.start - 10), tok.start
            ):
                yield Span(tok.start, tok.end, LOCATION, "facility", 0.7, "gazetteer")

    def _after_clinician(self, doc: Document) -> Iterator[Span]:
        """ "Dr. Lee from Atrius", "dr chen at harborview": the organisation a clinician works for."""
        tokens = doc.tokens
        cue_ends = {  # the pattern tried only at the words that can start it
            m.end()
            for t in tokens
            if t.norm in _CLINICIAN_WORDS or t.norm.endswith("ologist")
            for m in (_CLINICIAN_FROM.match(doc.text, t.start),)
            if m is not None
        }
        if not cue_ends:
            return
        for i, tok in enumerate(tokens):
            if tok.start not in cue_ends or not tok.capitalised or tok.shape is Shape.MIXED:
                continue
            words = [tok]
            while len(words) < 3 and i + len(words) < len(tokens):
                nxt = tokens[i + len(words)]
                if doc.gap(words[-1], nxt) not in (" ", "-") or not nxt.capitalised or nxt.shape is Shape.MIXED:
                    break
                if nxt.cls & WordClass.STOP or nxt.norm in MONTH_WORDS:
                    break
                words.append(nxt)
            if any(w.cls & (WordClass.CLINICAL | WordClass.MEDICAL) and not w.cls & NAME_BITS for w in words):
                continue  # "Dr. Lee from Cardiology", "dr chen from renal"
            if tok.shape is Shape.UPPER and not tok.caseless and len(tok.norm) <= 5:
                if tok.norm in GENERIC_PLACES or tok.cls:
                    continue  # "Dr. Lee from the ICU", "from PT"
                yield Span(tok.start, tok.end, LOCATION, "facility", 0.7, "gazetteer")
                continue
            if not any(_placelike(w) or w.norm in HOSPITAL_WORDS for w in words):
                continue
            while words and not (_placelike(words[-1]) or words[-1].norm in FACILITY_HEADS):
                words.pop()
            if words and doc.text[tok.start - 1] == "(" and not doc.text.startswith(")", words[-1].end):
                continue  # "Dr. Kim (Atrius)" yes; "(Quincy office ...)" is a remark
            if words:
                yield Span(words[0].start, words[-1].end, LOCATION, "facility", 0.7, "gazetteer")

    def _of_town(self, doc: Document) -> Iterator[Span]:
        """ "discharged to Sunrise of Arlington", "rehab at hebrew senior life of dedham": a facility named
        with its town after "of", after a word that moves the patient (or, capitalised, after "at")."""
        tokens = doc.tokens
        for i in range(1, len(tokens) - 1):
            of = tokens[i]
            if of.norm != "of" or tokens[i + 1].cls & WordClass.CITY == 0:
                continue
            town = tokens[i + 1]
            if not town.capitalised or tokens[i - 1].cls & (WordClass.STOP | WordClass.CLINICAL):
                continue
            first = i - 1
            while first > 0 and i - first < 3:
                prev = tokens[first - 1]
                if prev.cls & (WordClass.STOP | WordClass.CLINICAL) or doc.gap(prev, tokens[first]) != " ":
                    break
                first -= 1
            while first < i - 1 and not self._town_cue(doc, tokens[first]):
                first += 1
            head = tokens[first]
            if not self._town_cue(doc, head) or not head.capitalised:
                continue
            if not head.caseless and any(t.shape is not Shape.TITLE for t in tokens[first:i]):
                continue  # "discharged to sunrise of Arlington" in a normal line: not a name
            if any(t.norm in MONTH_WORDS or t.norm in GENERIC_PLACES or t.norm in _PART_OF for t in tokens[first:i]):
                continue
            yield Span(head.start, town.end, LOCATION, "facility", 0.7, "gazetteer")

    @staticmethod
    def _town_cue(doc: Document, tok: Token) -> bool:
        """A movement or placement before `tok`; in a normally written line, "at", "to" or "from" is
        enough before capitalised words ("PT at Sunrise of Arlington")."""
        if _moved_to(doc.text, tok.start):
            return True
        return (
            not tok.caseless
            and tok.shape is Shape.TITLE
            and _PREPOSITION.search(doc.text, max(0, tok.start - 12), tok.start) is not None
        )

    def _neighbourhoods(self, doc: Document) -> Iterator[Span]:
        """ "walks to roxbury crossing", "drives to Oak Square": a place after a weaker movement."""
        tokens = doc.tokens
        cue_ends = {m.end() for m in doc.matches_at_words(_WEAK_MOVE, _WEAK_MOVE_WORDS)}
        if not cue_ends:
            return
        for i, tok in enumerate(tokens):
            if tok.start not in cue_ends or not tok.capitalised or tok.shape is Shape.MIXED or not _placelike(tok):
                continue
            last = i
            while last + 1 < len(tokens) and last - i < 2:
                nxt = tokens[last + 1]
                if doc.gap(tokens[last], nxt) != " " or not nxt.capitalised:
                    break
                if not (_placelike(nxt) or nxt.norm in _PLACE_TAILS):
                    break
                last += 1
            if i == last and tok.cls & WordClass.FIRST and not tok.cls & (WordClass.LAST | WordClass.CITY):
                continue  # "walks to Maria": a person
            yield Span(tok.start, tokens[last].end, LOCATION, "neighbourhood", 0.65, "gazetteer")


@register("gazetteer", "Hospitals from a shipped list; organisations after a clinician; places after a movement.")
def _gazetteer(config: DeidConfig, lexicon: Lexicon) -> _Gazetteer:
    return _Gazetteer(lexicon)


# A postcode after its town: 4 or 5 digits, "3610-114" (Portugal), "340 12" (Sweden); not a year, a time,
# a dose or a decimal.
_POSTCODE_AFTER = re.compile(
    r"[ \t]+(?P<code>\d{4,5}(?:-\d{3})?|\d{3}[ \t]\d{2})"
    r"(?![\w/:.,%-]*\d|[ \t]*(?:mg|mcg|ml|cc|units?|iu|%|x\b|h\b|hrs?|am|pm|kg|g\b|years?|days?))"
)


class _TownPostcode:
    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        text = doc.text
        for span in spans:
            if span.label != LOCATION or span.subtype in ("ward", "facility", "street"):
                continue
            m = _POSTCODE_AFTER.match(text, span.end)
            if m is None or "\n" in text[span.end : m.start("code")]:
                continue
            code = m.group("code")
            if len(code) == 4 and code.isdigit() and 1900 <= int(code) <= 2099:
                continue  # "Boston 2019": a year
            if (
                len(code) == 4
                and code.isdigit()
                and _clock(code)
                and (
                    _TIME_CUE.search(text, max(0, span.start - 40), span.start)
                    or _DAY_AFTER.match(text, m.end())
                    or _MOVED.search(text, max(0, span.start - 24), span.start)
                )
            ):
                continue  # "arrived from Quincy 1130", "moved to Lowell 1430 today": a time of day
            yield Span(m.start("code"), m.end("code"), LOCATION, "zip", 0.7, "town_postcode")


# Words before a place that make four digits after it read as a clock time rather than a postcode.
_TIME_CUE = re.compile(
    r"(?i)\b(?:at|@|by|until|till|since|arrived|arrival|seen|left|departed|returned|called|time|"
    r"transferred|admitted|discharged|report|[ap]m|hrs?)\b[^\n.]{0,30}$"
)

_DAY_AFTER = re.compile(r"(?i)[ \t]+(?:today|tonight|tomorrow|yesterday|this|last|on|hrs?|h)\b")
# A transfer or move: "moved to Lowell 1430" reads as the hour it happened.
_MOVED = MOVE_CUE


def _clock(code: str) -> bool:
    return int(code[:2]) < 24 and int(code[2:]) < 60


@register_refiner("town_postcode", "The postcode written after a town already found.", follows=("city",))
def _town_postcode(config: DeidConfig, lexicon: Lexicon) -> _TownPostcode:
    return _TownPostcode()
