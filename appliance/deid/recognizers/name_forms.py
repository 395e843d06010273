"""Names known by their written form rather than by a cue word: a nickname in quotes inside or after a
name ('harold "hal" pennington', 'curtis mayberry ("cricket")', 'family calls pt "bibi"'), and a family
name before a hyphenated given name as Korean names are written ("Choi Dong-wook", "Yoon Mi-rae").
Part of the `name_context` recognizer (names.py). Also a refiner: the initial written before a name any
recognizer found ("l. garza crt", "D. PAVLOVIC (PARAMEDIC)").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, Lexicon, WordClass
from appliance.deid.recognizers.base import register_refiner
from appliance.deid.recognizers.name_relatives import RELATIVE_WORDS
from appliance.deid.spans import NAME, Span
from appliance.deid.text import Document, Token

_WORD = r"[^\W\d_][\w'’-]*"
_QUOTED = r"""["“'‘](?P<nick>[^\W\d_][\w'’-]{1,20})["”'’](?![\w'’])"""
# 'harold "hal" pennington': a first name, a quoted word, a surname.
_INSIDE = re.compile(r"(?P<first>" + _WORD + r")[ \t]+" + _QUOTED + r"[ \t]+(?P<last>" + _WORD + r")")
# 'curtis mayberry ("cricket")': two names, then a quoted word in brackets.
_AFTER = re.compile(r"(?P<first>" + _WORD + r")[ \t]+(?P<last>" + _WORD + r")[ \t]*\([ \t]*" + _QUOTED + r"[ \t]*\)")
# 'family calls pt "bibi"', 'goes by "Tink"', 'prefers to be called "Bud"'.
_CALLED = re.compile(
    r"(?i)\b(?:calls?[ \t]+(?:the[ \t]+)?(?:pt|patient|her|him|them)|goes[ \t]+by|known[ \t]+as|"
    r"prefers[ \t]+to[ \t]+be[ \t]+called|nicknamed?:?)[ \t]+" + _QUOTED
)
# "Choi Dong-wook": a family name, then two syllables joined by a hyphen, the second in lower case.
_FAMILY_FIRST = re.compile(r"\b(?P<family>[A-Z][a-z]{1,5})[ \t]+(?P<given>[A-Z][a-z]{1,5}-[a-z]{1,5})\b(?!-)")


# A single letter and its full stop right before a name, after a line's start, a space, a bracket or a dash
# ("l. garza", "(D. Pavlovic"); not the end of "f/u." or "U/l." before a sentence.
_INITIAL_BEFORE = re.compile(r"(?<![^\s(,;:>-])[^\W\d_]\.[ \t]?$")
# A name that starts with an initial already ("A. Melanie Yıldız" after the German "i. A."): left alone.
_INITIAL_START = re.compile(r"[^\W\d_]\.")


def _token(doc: Document, start: int, end: int) -> Token | None:
    words = doc.tokens_in(start, end)
    return words[0] if len(words) == 1 else None


def _names(tok: Token | None, bits: int) -> bool:
    return tok is not None and bool(tok.cls & bits) and not tok.cls & (WordClass.STOP | WordClass.CLINICAL)


def nicknames(doc: Document) -> Iterator[Span]:
    """A quoted word inside or after a person's name, or after "calls pt", "goes by", "known as"."""
    text = doc.text
    for m in _INSIDE.finditer(text):
        first, last = _token(doc, m.start("first"), m.end("first")), _token(doc, m.start("last"), m.end("last"))
        nick = _token(doc, m.start("nick"), m.end("nick"))
        plain_nick = nick is not None and not nick.cls & (WordClass.CLINICAL | WordClass.MEDICAL | WordClass.STOP)
        surname = _names(last, NAME_BITS) or last is not None and last.cls == WordClass.NONE
        if _names(first, WordClass.FIRST) and plain_nick and surname:
            for group in ("first", "nick", "last"):
                yield Span(m.start(group), m.end(group), NAME, "person", 0.85, "name_context")
    for m in _AFTER.finditer(text):
        first, last = _token(doc, m.start("first"), m.end("first")), _token(doc, m.start("last"), m.end("last"))
        if _names(first, WordClass.FIRST) and _names(last, NAME_BITS) and first is not None:
            if first.norm in RELATIVE_WORDS:
                continue  # 'SON RICHARD ("RICH")' is the relatives' rule
            yield Span(m.start("first"), m.end("last"), NAME, "person", 0.8, "name_context")
            yield Span(m.start("nick"), m.end("nick"), NAME, "person", 0.8, "name_context")
    for m in _CALLED.finditer(text):
        yield Span(m.start("nick"), m.end("nick"), NAME, "person", 0.8, "name_context")


def family_name_first(doc: Document) -> Iterator[Span]:
    """ "husband Choi Dong-wook": a census surname, then a hyphenated two-syllable given name."""
    for m in _FAMILY_FIRST.finditer(doc.text):
        family = _token(doc, m.start("family"), m.end("family"))
        if family is None or not family.cls & WordClass.LAST or family.cls & (WordClass.STOP | WordClass.CLINICAL):
            continue
        yield Span(m.start(), m.end(), NAME, "person", 0.8, "name_context")


class _InitialBefore:
    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        text = doc.text
        for span in spans:
            if span.label != NAME:
                continue
            m = _INITIAL_BEFORE.search(text, max(0, span.start - 3), span.start)
            if m is not None and m.end() == span.start and not _INITIAL_START.match(text, span.start):
                yield Span(m.start(), span.end, NAME, span.subtype, span.confidence, "name_initial")


@register_refiner(
    "name_initial",
    "The initial written before a name already found.",
    follows=("name_context", "name_dictionary", "initials", "crf", "model"),
)
def _initial_before(config: DeidConfig, lexicon: Lexicon) -> _InitialBefore:
    return _InitialBefore()
