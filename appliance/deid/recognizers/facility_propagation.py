"""Facilities found again after the facility recognizer has run: a facility's distinctive words
anywhere in the note, its initials ("St. Michael's ... smh"), and the other items of a list that holds
one ("referrals sent to A, B, C Manor"). Registered as the refiner `facility_propagation`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import VOCABULARY_ENDINGS, Lexicon, WordClass
from appliance.deid.recognizers.base import register_refiner
from appliance.deid.recognizers.facilities import CONNECTORS, FACILITY_GENERIC, FACILITY_HEADS, FLOOR_AFTER, SAINTS
from appliance.deid.recognizers.locations import NAME_LIKE, STATE_CODES, STATE_NAMES
from appliance.deid.recognizers.name_rules import MONTH_WORDS
from appliance.deid.recognizers.places import GENERIC_PLACES
from appliance.deid.recognizers.wards import FINDING_VERBS
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Shape, Token


class _FacilityPropagation:
    """Find again, anywhere in the note, the distinctive words of facility names already found
    ("Holy Cross Medical Center" ... "transferred back to Holy Cross")."""

    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        runs: set[tuple[str, ...]] = set()
        initials: set[str] = set()
        tokens = doc.tokens
        listed = list(_listed_with(doc, spans))
        yield from listed
        for span in [*spans, *listed]:
            if span.label != LOCATION or span.subtype != "facility" or span.confidence < 0.6:
                continue
            inside = doc.tokens_in(span.start, span.end)
            specific = [i for i, t in enumerate(inside) if _distinctive(t)]
            if not specific:
                continue
            lo, hi = specific[0], specific[-1]
            if lo > 0 and inside[lo - 1].norm in SAINTS:
                lo -= 1
            runs.add(tuple(t.norm for t in inside[lo : hi + 1]))
            named = [t for t in inside if t.norm not in CONNECTORS and t.norm != "the"]
            if len(named) >= 2:
                initials.add("".join(t.norm[0] for t in named[:2]))
        covered = sorted((s.start, s.end) for s in spans)
        yield from _town_after(doc, spans, covered)
        yield from _bracketed(doc, spans, covered)
        yield from _other_floors(doc, spans, covered)
        if not runs:
            return
        yield from _acronyms(doc, initials, covered)
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for run in sorted(runs, key=len, reverse=True):
            by_first.setdefault(run[0], []).append(run)
        for i, tok in enumerate(tokens):
            for run in by_first.get(tok.norm, ()):
                window = tokens[i : i + len(run)]
                if len(window) != len(run) or tuple(t.norm for t in window) != run:
                    continue
                if not all(t.capitalised for t in window):
                    continue
                if len(run) == 1 and (
                    tok.caseless and tok.cls & WordClass.COMMON or tok.sent_start and tok.cls & WordClass.COMMON
                ):
                    continue
                start, end = window[0].start, window[-1].end
                if any(a <= start and end <= b for a, b in covered):
                    break
                yield Span(start, end, LOCATION, "facility", 0.7, "facility_propagation")
                break


def _listed_with(doc: Document, spans: list[Span]) -> Iterator[Span]:
    """ "REFERRALS SENT TO HERITAGE HILLS, CEDAR CREST, BAYVIEW MANOR": the other items of a list that
    holds a facility found by its head word, back to the preposition that opens the list, are
    facilities too when each is one to three capitalised words, none clinical or a stop word."""
    tokens = doc.tokens
    for span in spans:
        if span.label != LOCATION or span.subtype != "facility" or span.source != "facility":
            continue
        items: list[tuple[int, int]] = []
        end = span.start
        while doc.text[max(0, end - 2) : end].rstrip(" \t").endswith(","):
            last = doc.token_index_at(doc.text.rindex(",", 0, end)) - 1
            first = last
            while (
                first > 0
                and last - first < 2
                and doc.gap(tokens[first - 1], tokens[first]) == " "
                and tokens[first - 1].norm not in _LIST_OPENERS
            ):
                first -= 1
            words = tokens[first : last + 1]
            if first < 1 or any(
                not w.capitalised or w.cls & (WordClass.CLINICAL | WordClass.STOP) or w.norm in MONTH_WORDS
                for w in words
            ):
                break
            items.append((words[0].start, words[-1].end))
            if tokens[first - 1].norm in _LIST_OPENERS and doc.gap(tokens[first - 1], words[0]) == " ":
                for a, b in items:  # the list's opening word reached: every item is a facility
                    yield Span(a, b, LOCATION, "facility", 0.7, "facility_propagation")
                break
            end = words[0].start


_LIST_OPENERS = frozenset({"to", "at", "from", "between", "and"})
# Letters a hospital's initials end with after its name's: hospital, medical, center, regional, clinic.
_ACRONYM_TAIL = re.compile(r"[hmcr]{0,2}")


def _acronyms(doc: Document, initials: set[str], covered: list[tuple[int, int]]) -> Iterator[Span]:
    """ "St. Michael's ... SMH", "Lakeshore Regional ED ... LRMC": a facility's initials, written as
    one word of three to five letters in capitals (or in a note all in one case), stand for it."""
    if not initials:
        return
    for tok in doc.tokens:
        if not 3 <= len(tok.norm) <= 5 or not tok.norm.isalpha() or tok.cls & (WordClass.CLINICAL | WordClass.ENGLISH):
            continue
        if tok.shape is not Shape.UPPER and not tok.caseless:
            continue
        head = tok.norm[:2]
        if head not in initials or not _ACRONYM_TAIL.fullmatch(tok.norm[2:]):
            continue
        if any(a <= tok.start and tok.end <= b for a, b in covered):
            continue
        yield Span(tok.start, tok.end, LOCATION, "facility", 0.7, "facility_propagation")


_NATIONS = frozenset({"usa", "uk", "uae", "prc", "drc", "ussr", "eu"})
_BRACKETED = re.compile(r"[ \t]*\((?P<abbr>[^\W\d_]{3,6})\)")


def _bracketed(doc: Document, spans: list[Span], covered: list[tuple[int, int]]) -> Iterator[Span]:
    """ "cape ann community hospital (cach) ... mom still at cach": the short name written in brackets
    right after a facility's name, and every later use of it in the same case (or in a note all in one
    case), whatever the word lists say it is."""
    short: dict[str, int] = {}
    for span in spans:
        if span.label == LOCATION and span.subtype not in ("state", "country") and span.confidence >= 0.6:
            m = _BRACKETED.match(doc.text, span.end)
            if m is None or m.group("abbr").upper() in STATE_CODES or m.group("abbr").lower() in _NATIONS:
                continue  # "Springfield (USA)": a country or a state, kept like any other
            word, cls = m.group("abbr").lower(), doc.tokens[doc.token_index_at(m.start("abbr"))].cls
            if word in FACILITY_HEADS or word in FACILITY_GENERIC or (
                not m.group("abbr").isupper() and cls & WordClass.ENGLISH
            ):
                continue  # "st. casimir's (church)", "Eau Clarie (sic)": a word about the name, not its short form
            if word not in GENERIC_PLACES:  # "(OSH)" names none
                short[m.group("abbr").lower()] = m.start("abbr")
                yield Span(m.start("abbr"), m.end("abbr"), LOCATION, "facility", 0.75, "facility_propagation")
    if not short:
        return
    for tok in doc.tokens:
        first = short.get(tok.norm)
        if first is None or tok.start <= first or (tok.shape is not Shape.UPPER and not tok.caseless):
            continue
        if not any(a <= tok.start and tok.end <= b for a, b in covered):
            yield Span(tok.start, tok.end, LOCATION, "facility", 0.7, "facility_propagation")


# A town written after a facility's name and a comma, up to the end of the clause: "NILE CREST HEART INSTITUTE,
# DOKKI, APPT 8/3", "sri sai nursing home, tambaram on 04/10".
_TOWN_AFTER = re.compile(
    r",[ \t]+(?P<town>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?)"
    r"(?=[ \t]*(?:[.,;:)\n]|$)|[ \t]+(?i:on|to|-)[ \t])"
)

_GOES_ON = re.compile(r"\.[ \t]*[\w(]")
# Endings of vocabulary, here also of other languages' ("Hematologia", "clinique"), not of towns.
_NOT_TOWN_ENDINGS = (*VOCABULARY_ENDINGS, "ia", "ie", "que", "plasty", "bound")


def _town_word(tok: Token) -> bool:
    """A word that says which town: a town's, a name no dictionary knows as a word, or a longer word no list
    knows that does not end like vocabulary ("-ed", "-ing", "-ology")."""
    if tok.cls & WordClass.CITY or tok.cls & NAME_LIKE and not tok.cls & (WordClass.ENGLISH | WordClass.COMMON):
        return True
    return not tok.cls and len(tok.norm) >= 5 and not tok.norm.endswith(_NOT_TOWN_ENDINGS)


def _town_after(doc: Document, spans: list[Span], covered: list[tuple[int, int]]) -> Iterator[Span]:
    """The town after a facility already found and a comma: one or two words up to the end of the clause,
    none a generic, state or month word, each a town's word (`_town_word`: so no function or clinical word)
    ("Áras Mhuire Community Nursing Unit, Tuam."); not an abbreviation that goes on ("Dept. of Nursing")."""
    for span in spans:
        if span.label != LOCATION or span.confidence < 0.6:
            continue
        last = doc.tokens_in(span.start, span.end)[-1:]
        if span.subtype != "facility" and not (span.subtype is None and last and last[0].norm in FACILITY_HEADS):
            continue  # a facility, or one the learned recognizer found with the word that says what it is
        m = _TOWN_AFTER.match(doc.text, span.end)
        if m is None or any(a < m.end("town") and m.start("town") < b for a, b in covered):
            continue
        words = doc.tokens_in(m.start("town"), m.end("town"))
        if (
            words
            and not (len(words[-1].norm) <= 4 and _GOES_ON.match(doc.text, m.end("town")))  # "Dept. of Nursing"
            and not any(
                w.norm in FACILITY_GENERIC
                or w.norm in FACILITY_HEADS
                or w.norm in GENERIC_PLACES
                or w.norm in MONTH_WORDS
                or w.norm in STATE_NAMES
                for w in words
            )
            and all(_town_word(w) for w in words)
        ):
            yield Span(m.start("town"), m.end("town"), LOCATION, "city", 0.6, "facility_propagation")


def _other_floors(doc: Document, spans: list[Span], covered: list[tuple[int, int]]) -> Iterator[Span]:
    """ "to Hale 6 and Hale 8", "FINARD 4 ... FINARD 5": a ward found with its floor is the same ward
    wherever its name is written again with a floor number after it."""
    wards: set[tuple[str, ...]] = set()
    for span in spans:
        if span.label == LOCATION and span.subtype in ("ward", "facility") and span.confidence >= 0.6:
            inside = doc.tokens_in(span.start, span.end)
            named = [t for t in inside if not t.norm[:1].isdigit()]
            if named and FLOOR_AFTER.match(doc.text, named[-1].end) and all(_distinctive(t) for t in named):
                wards.add(tuple(t.norm for t in named))
    if not wards:
        return
    tokens = doc.tokens
    for i, tok in enumerate(tokens):
        for run in wards:
            if tok.norm != run[0] or tuple(t.norm for t in tokens[i : i + len(run)]) != run:
                continue
            floor = FLOOR_AFTER.match(doc.text, tokens[i + len(run) - 1].end)
            if floor is None or not tok.capitalised or i > 0 and tokens[i - 1].norm in FINDING_VERBS:
                continue  # "had Quellmore 2 anteriorly": a finding and its grade
            if not any(a <= tok.start and floor.end() <= b for a, b in covered):
                yield Span(tok.start, floor.end(), LOCATION, "ward", 0.7, "facility_propagation")


def _distinctive(tok: Token) -> bool:
    if tok.norm in FACILITY_GENERIC or tok.norm in FACILITY_HEADS or tok.norm in CONNECTORS:
        return False
    return not tok.cls & (WordClass.CLINICAL | WordClass.STOP)


@register_refiner(
    "facility_propagation", "Every further occurrence of a facility name's distinctive words.", follows=("facility",)
)
def _facility_propagation(config: DeidConfig, lexicon: Lexicon) -> _FacilityPropagation:
    return _FacilityPropagation()
