"""Hospital wards written as a building's or a person's name and a floor: "Finard 4", "ELLISON 11",
"St. Agnes 3", "NPN 7P-7A HAZELTINE 7". Part of the `places` recognizer (places.py)."""

from __future__ import annotations

import re

from appliance.deid.lexicon import NAME_BITS, WordClass, weekday_word
from appliance.deid.recognizers.name_rules import eponym_use
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Shape, Token

# Units, rooms and services that say nothing about which hospital: never a place on their own.
GENERIC_PLACES = frozenset(
    """
    icu micu sicu ccu cvicu csru tsicu nicu picu pacu pcu ticu tcu sdu imc imu cdu ctu psu scn asc neuro cath lab labs
    antepartum postpartum triage ortho daycare
    ed er ew ews eu or ir mri ct floor floors unit units ward wards bed beds room rm rms bay pod side step
    stepdown tele telemetry home house rehab snf nh ltc ltac ltach osh hospital clinic office dialysis hd icn
    ob l&d ld gyn psych pt ot morning am pm tonight today tomorrow noon midnight shift day days night nights
    week weeks time times surgery medicine service team er's the a an his her their our this that same other
    new old main""".split()
)
SAINT = frozenset({"st", "saint", "ste"})
_WARD_HEADING = re.compile(r"(?i)(?:\bnote\b[ \t]*-?|\bnpn\b|\b\d{1,2}[ap]-\d{1,2}[ap]\b)[ \t]*$")
_WARD_TAIL = re.compile(r"(?i)[ \t]*(?::|rm\b|room\b|(?:acute[ \t]+|inpt[ \t]+)?rehab\b|\d{1,3}[ \t]*(?:yo|y/o)\b)")


def ward_framed(text: str, tok: Token) -> bool:
    """A ward at a note's heading or before its room, its service or the patient's age."""
    if tok.cls & (WordClass.EPONYM | WordClass.ENGLISH | WordClass.COMMON):
        return False  # "BRADEN 18:", "MORSE 65:": a score and its value
    number = NUMBER_AFTER.match(text, tok.end)
    return number is not None and bool(
        _WARD_HEADING.search(text, max(0, tok.start - 12), tok.start) or _WARD_TAIL.match(text, number.end())
    )


FINDING_VERBS = frozenset({"had", "has", "have", "with", "positive", "negative", "equivocal", "grade"})
NUMBER_AFTER = re.compile(
    r"(?:[ \t]+[-#]?[ \t]*|[ \t]*[-#][ \t]*)(?P<n>\d{1,2}(?![Yy][ \t]+[MF]\b)[A-Za-z]?)"  # not "76Y M", an age and sex
    r"(?![\d:.,/-]\d|[\d%]|[-+]?/|\s*(?:am|pm|mg|ml|hrs?|hours?|days?|min|x\b|units?|l\b|cc\b|kg|times|weeks?|months?))",
    re.IGNORECASE,
)


def ward(doc: Document, tok: Token, *, cued: bool = True) -> Span | None:
    """ "Finard 4", "ELLISON 11", "St. Agnes 3": one or two name-like words and a small number.
    Without a cue before it ("to", "on", "Room:"), only a surname or a word no list knows, never
    an eponym or a score ("Yawkey 9" yes; "Braden 18", "Hunt Hess 3" no)."""
    tokens = doc.tokens
    unknown = tok.cls == WordClass.NONE and tok.shape is Shape.TITLE and not tok.sent_start
    if not cued and (
        tok.cls & (WordClass.EPONYM | WordClass.ENGLISH | WordClass.COMMON)
        or (tok.cls & WordClass.FIRST and not tok.cls & WordClass.LAST)
        or not (tok.cls & WordClass.LAST or unknown)
        or (tok.caseless and not tok.cls & WordClass.FREQUENT)
        or not re.match(r"[ \t]+(?:[1-9]|1\d|2[0-5])(?!\d)", doc.text[tok.end : tok.end + 4])
        or eponym_use(doc, tok)
        or (tok.index > 0 and tokens[tok.index - 1].norm in FINDING_VERBS)  # "had Hawkins 2": a finding
        or (
            tok.index > 0
            and tokens[tok.index - 1].end == tok.start - 1
            and tokens[tok.index - 1].capitalised
            and doc.gap(tokens[tok.index - 1], tok) == " "
            and tokens[tok.index - 1].cls & NAME_BITS
        )
    ):
        return None
    words = [tok]
    if tok.norm in SAINT and tok.index + 1 < len(tokens):
        words.append(tokens[tok.index + 1])
    elif tok.index + 1 < len(tokens) and doc.gap(tok, tokens[tok.index + 1]) == " ":
        nxt = tokens[tok.index + 1]
        if _ward_word(nxt) and NUMBER_AFTER.match(doc.text, nxt.end):
            words.append(nxt)
    if not all(_ward_word(w) or w.norm in SAINT for w in words):
        return None
    if words[-1].norm in SAINT:
        return None
    number = NUMBER_AFTER.match(doc.text, words[-1].end)
    if number is None or doc.text[words[-1].end : number.start("n")].count("\n"):
        return None
    return Span(words[0].start, number.end("n"), LOCATION, "ward", 0.75, "places")


def _ward_word(tok: Token) -> bool:
    if tok.norm in GENERIC_PLACES or len(tok.norm) < 3 or tok.shape is Shape.MIXED:
        return False
    if weekday_word(tok.norm):
        return False  # "Monday-Friday 8 a.m.": office hours
    if tok.cls & (WordClass.STOP | WordClass.CLINICAL) and not tok.cls & NAME_BITS:
        return False
    if tok.cls & WordClass.CLINICAL and not tok.cls & WordClass.FREQUENT:
        return False  # "on levo 5", "NEO 2": a drug at its dose; LEVO is only a rare surname
    if not tok.caseless and tok.shape is not Shape.TITLE:
        return False  # in a normally written line a ward's name is capitalised ("HSP 70" is a protein)
    # A ward is named after a person or a place: a name-list word, or a word no list knows
    # ("Finard"); a plain English word is not ("Stage 2", "bed 4").
    if tok.cls & WordClass.COMMON and not tok.cls & WordClass.FREQUENT:
        return False  # "Stage 2", "grade 3", "step 4": words first, rare surnames second
    if tok.caseless and (len(tok.norm) < 4 or (tok.cls & WordClass.ENGLISH and not tok.cls & WordClass.FREQUENT)):
        return False  # "HSP 70", "TREAT 20": in capitals, abbreviations and words are no ward
    return bool(tok.cls & NAME_BITS) or not tok.cls & (WordClass.ENGLISH | WordClass.COMMON)
