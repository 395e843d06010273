"""Names known by their written form rather than by a cue word: a nickname in quotes inside or after a
name ('harold "hal" pennington', 'curtis mayberry ("cricket")', 'family calls pt "bibi"'), and a family
name before a hyphenated given name as Korean names are written ("Choi Dong-wook", "Yoon Mi-rae").
Part of the `name_context` recognizer (names.py). Also a refiner that widens a name any recognizer found
over the particles of a family name and the word they join to it ("Jericho dela Cruz") and over the initial
written before it ("l. garza crt", "D. PAVLOVIC (PARAMEDIC)"); and names with particles after an initial or
a title ("J. de Vries", "Frau von der Heyde").
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
# An initial after a first name, closing a clause or before a verb: "pct benny j.", "rt cal w., keystone",
# "Field tech Manjunath G. visited".
_INITIAL_AFTER = re.compile(r"[ \t]+(?P<i>[^\W\d_])\.(?=[ \t]*(?:[,;:)\n]|$)|[ \t]+[a-z])")
# A surname and a comma right before a given name: "ED HOLD YOUNG, RAYMOND".
_SURNAME_COMMA_BEFORE = re.compile(r"(?<![\w'’-])(?P<s>[A-Z][A-Za-z'’-]{2,}),[ \t]$")
# Names in a list are not a surname and a given name: "Gaetane, Hannah, Anthony", "(Nefrochus, Santiago de".
_IN_A_LIST_BEFORE = re.compile(r"[,;(][ \t]*$")
_IN_A_LIST_AFTER = re.compile(r"[ \t]*(?:,|(?:and|&)\b)")
# A name that starts with an initial already ("A. Melanie Yıldız" after the German "i. A."): left alone.
_INITIAL_START = re.compile(r"[^\W\d_]\.")


# The lower-case particles of a family name: "de la", "van der", "von", "dela", "binte".
_PARTICLE = (
    r"(?:de|del|dela|della|van|von|da|das|dos|do|di|du|ter|ten|bin|binti|binte|bint|ibn)"
    r"(?:[ \t]+(?:der|den|dem|de|la|las|los|le))?"
)
# Between two names only the particles that join nothing else: "Jericho dela Cruz", "Anouk van den Berg";
# "de", "de la", "da" or "della" join words of any kind in Spanish, Portuguese and Italian ("Servicio de
# Urología", "Organización Mundial de la Salud").
_JOINING_PARTICLE = r"(?:dela|van|von|du|ter|ten|bin|binti|binte|bint|ibn)(?:[ \t]+(?:der|den|dem))?"
# A name's particles and the capitalised word they lead to, right after a name: "Jericho| dela Cruz".
_PARTICLE_AFTER = re.compile(r"[ \t]+" + _JOINING_PARTICLE + r"[ \t]+(?P<word>[A-Z][a-zà-ÿ][\w'’-]*)")
# A capitalised word and a name's particles right before a name: "Corazon dela |Cruz".
_PARTICLE_BEFORE = re.compile(r"(?<![\w'’-])(?P<word>[A-Z][a-zà-ÿ][\w'’-]*)[ \t]+" + _JOINING_PARTICLE + r"[ \t]+$")
# An initial or a title, then particles and a capitalised word: "J. de Vries", "Frau von der Heyde".
_INITIAL_PARTICLE = re.compile(
    r"(?<![\w.])(?:(?P<initial>[A-Z]\.)|(?:Mr|Mrs|Ms|Dr|Mevrouw|Mevr|Dhr|Herr|Frau|Sr|Sra|Srta|Mme|Mlle)\.?)[ \t]+"
    r"(?P<name>" + _PARTICLE + r"[ \t]+[A-Z][a-zà-ÿ][\w'’-]*)"
)


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


def initial_and_particle(doc: Document) -> Iterator[Span]:
    """ "J. de Vries", "attn. M. de Boer", "Frau von der Heyde": a family name with its particles after an
    initial or a title."""
    for m in _INITIAL_PARTICLE.finditer(doc.text):
        family = doc.tokens_in(m.start("name"), m.end())[-1:]
        if not family or m.group("initial") and not family[0].cls & WordClass.LAST:
            continue  # "S. de Neurocirugía": after an initial, a surname the census knows
        if family[0].cls & (WordClass.ENGLISH | WordClass.MEDICAL | WordClass.EPONYM | WordClass.STOP):
            continue
        yield Span(m.start("initial" if m.group("initial") else "name"), m.end(), NAME, "person", 0.8, "name_context")


class _NameEdges:
    """Widens a name any recognizer found: over a family name's particles and the word they join to it
    ("Jericho| dela Cruz", "Corazon dela |Cruz"), over an initial closing it ("benny| j."), then over the
    initial written before it ("l. |garza")."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def _joins(self, word: str) -> bool:
        cls = self.lexicon.word_class(word.lower())
        return bool(cls & NAME_BITS) and not cls & (
            WordClass.STOP | WordClass.CLINICAL | WordClass.MEDICAL | WordClass.EPONYM | WordClass.ENGLISH
        ) or cls == WordClass.NONE

    def _surname_first(self, surname: str, given: str) -> bool:
        """ "YOUNG, RAYMOND", "Brown, Sarah": a surname the lists know (or a longer word no list knows),
        written as the given name after it is, before a comma and one given name."""
        if " " in given or surname.isupper() != given.isupper() or surname.istitle() != given.istitle():
            return False
        cls, given_cls = self.lexicon.word_class(surname.lower()), self.lexicon.word_class(given.lower())
        if not given_cls & WordClass.FIRST or cls & (WordClass.STOP | WordClass.CLINICAL):
            return False
        return bool(cls & WordClass.LAST) or cls == WordClass.NONE and len(surname) >= 4

    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        text = doc.text
        for span in spans:
            if span.label != NAME:
                continue
            start, end = span.start, span.end
            after = _PARTICLE_AFTER.match(text, end)
            if after is not None and self._joins(after.group("word")):
                end = after.end()
            before = _PARTICLE_BEFORE.search(text, max(0, start - 30), start)
            if before is not None and self._joins(before.group("word")):
                start = before.start()
            closing = _INITIAL_AFTER.match(text, end)
            if closing is not None and closing.group("i").isupper() == text[span.start].isupper():
                end = closing.end()
            surname = _SURNAME_COMMA_BEFORE.search(text, max(0, start - 30), start)
            if (
                surname is not None
                and start == span.start
                and self._surname_first(surname.group("s"), text[start:end])
                and not _IN_A_LIST_BEFORE.search(text, max(0, surname.start("s") - 3), surname.start("s"))
                and not _IN_A_LIST_AFTER.match(text, end)
            ):
                start = surname.start("s")
            initial = _INITIAL_BEFORE.search(text, max(0, start - 3), start)
            if initial is not None and initial.end() == start and not _INITIAL_START.match(text, start):
                start = initial.start()
            if (start, end) != (span.start, span.end):
                yield Span(start, end, NAME, span.subtype, span.confidence, "name_edges")


@register_refiner(
    "name_initial",
    "The particles of a family name and the initial written before a name already found.",
    follows=("name_context", "name_dictionary", "initials", "crf", "model"),
)
def _name_edges(config: DeidConfig, lexicon: Lexicon) -> _NameEdges:
    return _NameEdges(lexicon)
