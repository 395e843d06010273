"""Names found from the census word lists, graded by ambiguity, and found again across the note.

* `name_dictionary`: words of the census name lists. A name that is also an English word ("Hope",
  "Brown", "Grace") needs more: written capitalised in mid-sentence, next to another name word
  ("Grace Brown"), after an initial ("G. Page"), or in front of a surname. Eponyms in their medical
  sense ("Parkinson's disease", "Foley catheter") are not names.
* refiner `name_propagation`: a name found with good evidence is found again wherever the same word
  appears in the note ("Mr. Brown ... Brown reports").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, VERBS_AFTER_NAMES, Lexicon, WordClass, weekday_word
from appliance.deid.recognizers.base import register, register_refiner
from appliance.deid.recognizers.locations import STATE_FIRST_WORDS, STATE_NAME, STATE_NAMES
from appliance.deid.recognizers.name_relatives import ADDRESSED_ROLES
from appliance.deid.recognizers.name_rules import (
    HEADER_WORDS,
    MONTH_WORDS,
    PARTICLES,
    eponym_use,
    glued_to_digit,
    grow,
    name_span,
    name_word,
    science_name,
    things_named,
)
from appliance.deid.spans import NAME, Span
from appliance.deid.text import Document, Shape, Token

_SOFT_CUE = re.compile(
    r"(?i)\b(?:patient|pt|per|called|paged|notified|informed|told|asked|thanked|dear|hi|hello)[ \t]+$"
)

# A word for the person's sex or origin after a surname-only word makes it a description ("American male").
_DESCRIBED = re.compile(
    r"[ \t]+(?:male|female|man|woman|men|women|boy|girl|gentleman|lady|descent|ancestry|heritage)\b"
)


_CLOCK_AFTER = re.compile(
    r",?[ \t]+(?:(?:[01]?\d|2[0-3])[:.h]?[0-5]\d\b|(?i:evenings?|mornings?|afternoons?|nights?|after|before)\b)"
)
_NUMBER_AFTER = re.compile(r",?[ \t]+\d")
# Stop words the census also lists as surnames that follow a letter and its full stop as no name does:
# "Specimen: A. Left breast", "EBL 1.5 L. Given oxytocin".
_NOT_AFTER_AN_INITIAL = frozenset({"left", "right", "given"})

class _NameDictionary:
    """Name-list words, graded by how ambiguous they are and how much the text around them says."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        heading_lines = doc.title_case_lines()
        covered_until = -1
        countries = country_tokens(doc, self.lexicon) | state_tokens(doc)
        things = things_named(doc)
        for tok in tokens:
            if tok.index <= covered_until or tok.index in countries:
                continue
            if self._initial_between(doc, tok):
                span = name_span(doc, tok.index, tok.index + 2, "person", 0.75, "name_dictionary")
                if span:
                    covered_until = tok.index + 2
                    yield span
                continue
            if not tok.cls & NAME_BITS:
                continue
            seed = self._seed(doc, tok, heading_lines, things)
            if seed is None:
                continue
            confidence, subtype = seed
            first, last = grow(doc, tok.index, tok.index)
            span = name_span(doc, first, last, subtype, confidence, "name_dictionary")
            if span:
                covered_until = last
                yield span

    @staticmethod
    def _initial_between(doc: Document, tok: Token) -> bool:
        """ "Faina D. Yefremova", "Leena O Sasi": the shape of a person's name, whatever the lists say:
        a capitalised word, a middle initial, and a capitalised word, none of them a plain word."""
        tokens = doc.tokens
        if tok.index + 2 >= len(tokens) or tok.caseless or tok.shape is not Shape.TITLE:
            return False
        mid, last = tokens[tok.index + 1], tokens[tok.index + 2]
        if mid.shape is not Shape.INITIAL or doc.gap(tok, mid) != " " or doc.gap(mid, last) not in (". ", " "):
            return False

        def person_like(t: Token) -> bool:
            plain = t.cls & (WordClass.ENGLISH | WordClass.STOP | WordClass.CLINICAL | WordClass.COUNTRY)
            return t.shape is Shape.TITLE and len(t.norm) > 2 and (bool(t.cls & NAME_BITS) or not plain)

        return person_like(tok) and person_like(last)

    def _seed(
        self, doc: Document, tok: Token, heading_lines: set[int], things: frozenset[str]
    ) -> tuple[float, str] | None:
        cls = tok.cls
        if cls & WordClass.STOP:
            # "R. Will": a surname that is also a stop word, after an initial in a cased line.
            if (
                cls & WordClass.LAST
                and not tok.caseless
                and tok.shape is Shape.TITLE
                and tok.norm not in _NOT_AFTER_AN_INITIAL
                and self._after_initial(doc, tok)
            ):
                return 0.75, "person"
            return None
        if tok.norm in HEADER_WORDS or self._field_label(doc, tok) or language_named(doc, tok):
            return None
        if weekday_word(tok.norm) and (
            _CLOCK_AFTER.match(doc.text, tok.end)
            or _NUMBER_AFTER.match(doc.text, tok.end)
            or doc.text[tok.start - 1 : tok.start] == "/"
        ):
            return None  # "Thu 10:17", "[ ] Thu evening", "Thu 17 Oct", "Tue/Thu 8a", "Monday-Friday 8": a weekday
        if tok.norm in things:
            return None  # "a Bovie", "the Agee", "A Zimmer knee": a thing named after someone, not a person
        if tok.norm in ADDRESSED_ROLES and _SOFT_CUE.search(doc.text, max(0, tok.start - 12), tok.start):
            return None  # "Dear Parent/Guardian", "Hi Team": a role the letter addresses
        if not cls & WordClass.FIRST and _DESCRIBED.match(doc.text, tok.end):
            return None  # "African American male", "a Native woman": a word describing the person, not a name
        if cls & WordClass.CLINICAL:
            # "D. Nurse", "Doris Day": a clinical word that is a surname needs a name beside it.
            if cls & WordClass.LAST and (self._after_initial(doc, tok) or self._after_first_name(doc, tok)):
                return 0.8, "person"
            return None
        if len(tok.norm) <= 2 or eponym_use(doc, tok) or glued_to_digit(doc, tok):
            return None
        if cls & (WordClass.COUNTRY | WordClass.EPONYM_ALONE) or science_name(doc, tok):
            return None  # countries; eponyms rarely anyone's name in a note ("Doppler", "Alzheimer")
        if not tok.capitalised or tok.shape is Shape.MIXED:
            return None
        if tok.shape is Shape.UPPER and not tok.caseless and len(tok.norm) <= 3:
            return None  # an abbreviation in a normal line ("ROS", "LEE" rarely a name here)
        # A city name that is also a name ("Jackson", "O'Brien") stays a name candidate: either way it is PHI.
        ambiguous = bool(cls & WordClass.COMMON) or tok.norm in MONTH_WORDS or tok.norm in STATE_NAMES
        if tok.caseless and cls & WordClass.ENGLISH:
            ambiguous = True  # "GENE", "MARK", "DEAN" in capitals: as likely the word
        pair = self._pair(doc, tok)
        if pair:
            return 0.8, "person"
        if self._after_initial(doc, tok):
            return 0.8, "person"
        if not ambiguous:
            if tok.caseless:
                return (0.7, "person") if cls & WordClass.FREQUENT else None
            return 0.85, "person"
        if tok.caseless:
            return None
        before = doc.text[max(0, tok.start - 16) : tok.start]
        if _SOFT_CUE.search(before) and tok.shape is Shape.TITLE:
            return 0.7, "person"
        if tok.shape is Shape.TITLE and not tok.sent_start and tok.line not in heading_lines:
            # Alone, only a first name that is also a word ("told Hope") reads as a person; a surname
            # that is a word ("Stage", "Study", "Brown") needs a title, a first name or a cue.
            if tok.norm not in MONTH_WORDS and tok.norm not in STATE_NAMES and cls & WordClass.FIRST:
                return 0.6, "person"
            prev = doc.tokens[tok.index - 1] if tok.index else None
            if (
                prev is not None
                and doc.gap(prev, tok) == " "
                and prev.shape is Shape.TITLE
                and prev.cls == WordClass.NONE
                and len(prev.norm) > 2
                and not prev.sent_start
            ):
                return 0.6, "person"  # "Ngozi Brown", "Fenway Park": a word no list knows, then this one
        return None

    @staticmethod
    def _field_label(doc: Document, tok: Token) -> bool:
        """ "Médico: ...", "País: España", "NASS: 27 ...": a word that only a surname list knows, first on
        its line and followed by a colon, is the label of a field, not a person (the value after it is
        what a name rule looks at)."""
        if not doc.text.startswith(":", tok.end):
            return False
        if re.match(r":[ \t]*\d", doc.text[tok.end : tok.end + 4]):
            return True  # "Gravida: 1. Para: 1.": a count's label
        if tok.cls & WordClass.FIRST:
            return False
        return tok.index == 0 or doc.tokens[tok.index - 1].line != tok.line

    @staticmethod
    def _after_first_name(doc: Document, tok: Token) -> bool:
        """ "Doris Day", "JOHN WALKER": an unambiguous first name right before."""
        if tok.index == 0:
            return False
        prev = doc.tokens[tok.index - 1]
        if doc.gap(prev, tok) != " ":
            return False
        if prev.cls == WordClass.NONE and prev.shape is Shape.TITLE and not prev.caseless and len(prev.norm) > 2:
            return tok.shape is Shape.TITLE  # "Aaliyah Day": a first name no list holds
        if not name_word(prev) or not prev.cls & WordClass.FIRST:
            return False
        if prev.cls & (WordClass.COMMON | WordClass.CLINICAL) or prev.norm in MONTH_WORDS | HEADER_WORDS:
            return False
        if prev.caseless:
            return tok.caseless and tok.norm not in VERBS_AFTER_NAMES  # "HUSBAND EAMONN HOME W/ KIDS"
        return prev.shape is Shape.TITLE and tok.shape is Shape.TITLE

    @staticmethod
    def _after_initial(doc: Document, tok: Token) -> bool:
        """ "G. Page", "C. Brown": an initial and a full stop in front of a surname."""
        if tok.index == 0 or not tok.cls & WordClass.LAST:
            return False
        prev = doc.tokens[tok.index - 1]
        if prev.shape is not Shape.INITIAL or doc.gap(prev, tok) != ". ":
            return False
        if tok.caseless:
            # "C/D/I. PAC'S": in capitals the letter must stand alone and the surname be a common one.
            alone = prev.start == 0 or doc.text[prev.start - 1] in " \t\n("
            return alone and bool(tok.cls & WordClass.FREQUENT)
        return tok.shape is Shape.TITLE

    @staticmethod
    def _pair(doc: Document, tok: Token) -> bool:
        """First name followed by a surname ("Grace Brown"), "Brown, Grace", or a first name followed by
        a capitalised word no list knows ("April Lindqvist"); all written as names."""
        tokens = doc.tokens
        if tok.index + 1 >= len(tokens):
            return False
        nxt = tokens[tok.index + 1]
        gap = doc.gap(tok, nxt)
        if not tok.caseless and (tok.shape is not Shape.TITLE and tok.shape is not Shape.UPPER):
            return False
        if (
            gap == " "
            and tok.cls & WordClass.FIRST
            and not tok.caseless
            and nxt.cls == WordClass.NONE
            and nxt.shape is Shape.TITLE
            and len(nxt.norm) > 2
            and not glued_to_digit(doc, nxt)
        ):
            return True
        if not name_word(nxt) or nxt.cls & WordClass.CLINICAL or nxt.norm in MONTH_WORDS | HEADER_WORDS:
            return False
        if len(nxt.norm) <= 2 or eponym_use(doc, nxt):
            return False
        if tok.caseless and tok.cls & nxt.cls & WordClass.COMMON:
            return False  # "A LONG CAR": two everyday words in capitals
        if gap == " " and tok.cls & WordClass.FIRST and nxt.cls & WordClass.LAST:
            return True
        return gap in (", ", ",") and bool(tok.cls & WordClass.LAST and nxt.cls & WordClass.FIRST) and not tok.caseless


class _NamePropagation:
    """Find again, anywhere in the note, the words of names found with good evidence."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        words: dict[str, float] = {}
        for span in spans:
            if span.label != NAME or span.confidence < 0.75 or span.subtype == "initials":
                continue
            for tok in doc.tokens_in(span.start, span.end + 2):
                if tok.shape is Shape.INITIAL or tok.norm in PARTICLES or len(tok.norm) < 3:
                    continue
                if tok.cls & (WordClass.STOP | WordClass.CLINICAL) or tok.norm in HEADER_WORDS:
                    continue
                words[tok.norm] = max(words.get(tok.norm, 0.0), span.confidence)
        if not words:
            return
        taken = sorted((s.start, s.end) for s in spans)
        things = things_named(doc)
        for tok in doc.tokens:
            confidence = words.get(tok.norm)
            if tok.norm in things:
                continue
            if confidence is None or not tok.capitalised or _inside(taken, tok.start, tok.end):
                continue
            if tok.shape is Shape.MIXED or glued_to_digit(doc, tok):
                continue
            if tok.cls & (WordClass.COMMON | WordClass.CLINICAL):
                strong_first = confidence >= 0.85 and tok.cls & WordClass.FIRST and not tok.cls & WordClass.CLINICAL
                if (tok.caseless or tok.sent_start) and not strong_first:
                    continue  # "BROWN STOOL", "Small bowel": too likely the word; "SON FRANK ... FRANK CALLED" is not
                if tok.line in doc.title_case_lines():
                    continue
            if eponym_use(doc, tok) or science_name(doc, tok) or tok.cls & WordClass.COUNTRY:
                continue
            first, last = grow(doc, tok.index, tok.index)
            found = name_span(doc, first, last, "person", round(0.9 * confidence, 3), "name_propagation")
            if found is not None:
                yield found


def state_tokens(doc: Document) -> set[int]:
    """Indices of tokens inside a state name ("New York", "North Carolina"): a place, never a person."""
    return {
        t.index
        for m in doc.matches_at_words(STATE_NAME, STATE_FIRST_WORDS)
        for t in doc.tokens_in(m.start(), m.end())
        if " " in m.group()
    }


def country_tokens(doc: Document, lexicon: Lexicon) -> set[int]:
    """Indices of tokens inside a country name of several words ("United States", "New Zealand")."""
    out: set[int] = set()
    tokens = doc.tokens
    for tok in tokens:
        for parts in lexicon.multiword_countries.get(tok.norm, ()):
            window = tokens[tok.index : tok.index + len(parts)]
            if tuple(t.norm for t in window) == parts and all(t.capitalised for t in window):
                out.update(t.index for t in window)
                break
    return out


def _inside(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    for a, b in ranges:
        if a > start:
            break
        if a <= start and end <= b:
            return True
    return False


@register(
    "name_dictionary", "Census first and last names; ambiguous words need capitals in mid-sentence or a neighbour."
)
def _dictionary(config: DeidConfig, lexicon: Lexicon) -> _NameDictionary:
    return _NameDictionary(lexicon)


@register_refiner(
    "name_propagation",
    "Every further occurrence of a word of a well-supported name.",
    follows=("name_context", "name_dictionary", "model"),
)
def _propagation(config: DeidConfig, lexicon: Lexicon) -> _NamePropagation:
    return _NamePropagation(lexicon)


#: Languages that are also surnames ("English", "French", "Welsh"): in a language's place they are none.
_LANGUAGES = frozenset(
    """
    english french spanish portuguese german italian dutch russian polish greek arabic hebrew chinese
    mandarin cantonese japanese korean vietnamese hindi urdu bengali punjabi tagalog creole haitian somali
    swahili amharic turkish persian farsi welsh irish scottish
    """.split()
) | frozenset(
    # nationalities that are also surnames ("American", "Czech"): in an adjective's place they are none
    "american british canadian mexican czech african asian european australian indian".split()
)
_LANGUAGE_BEFORE = frozenset(
    {
        "in",
        "speaks",
        "speak",
        "spoke",
        "speaking",
        "language",
        "and",
        "or",
        "fluent",
        "only",
        "studying",
        "studied",
        "studies",
        "study",
        "teaches",
        "taught",
        "teaching",
        "learning",
        "learn",
        "learned",
        "learnt",
    }
)
_LANGUAGE_AFTER = frozenset({"speaking", "speaker", "speakers", "interpreter", "translation", "and", "or", "only"})


def language_named(doc: Document, tok: Token) -> bool:
    """ "provided in English and Portuguese", "Spanish-speaking", "Haitian Creole interpreter", "studying
    English", "the Spanish government": a language or nationality, not a person."""
    if tok.norm not in _LANGUAGES:
        return False
    tokens = doc.tokens
    before = tokens[tok.index - 1].norm if tok.index else ""
    after = tokens[tok.index + 1].norm if tok.index + 1 < len(tokens) else ""
    if before in _LANGUAGE_BEFORE and before not in ("and", "or"):
        return True  # "studying English and journalism"
    if before in ("and", "or") or after in ("and", "or"):
        # "English and Portuguese": only when a language stands on the other side too
        other = tokens[tok.index - 2].norm if before in ("and", "or") and tok.index >= 2 else ""
        other2 = tokens[tok.index + 2].norm if after in ("and", "or") and tok.index + 2 < len(tokens) else ""
        return other in _LANGUAGES or other2 in _LANGUAGES
    if before in _LANGUAGE_BEFORE or after in _LANGUAGE_AFTER:
        return True
    # "the Spanish government", "a new German place", "American Border Force": an adjective before a noun
    nxt = tokens[tok.index + 1] if tok.index + 1 < len(tokens) else None
    if nxt is None or doc.gap(tok, nxt) != " ":
        return False
    if nxt.cls & NAME_BITS and nxt.capitalised and not nxt.cls & WordClass.ENGLISH:
        return False  # "Rose English Smith": a surname follows
    return bool(nxt.cls & WordClass.ENGLISH) and not nxt.cls & WordClass.STOP
