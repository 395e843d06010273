"""One tokenisation of a note, shared by every recognizer (so a note is scanned for words once).

Clinical notes break the usual cues: whole notes or header lines are in capitals, and capitals at
the start of a sentence say nothing. Each `Token` therefore records its shape, whether its line
carries case information at all (`caseless`), and whether it starts a sentence or a field.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from appliance.deid.lexicon import NAME_BITS, Lexicon, WordBits, WordClass, normalise

_T = TypeVar("_T")


class Shape(Enum):
    INITIAL = "initial"  # one capital letter: "J"
    UPPER = "upper"  # "SMITH", "COPD"
    TITLE = "title"  # "Smith", "McDonald", "O'Brien"
    LOWER = "lower"  # "smith"
    MIXED = "mixed"  # "eGFR", "iPhone"


# Letters, with inner apostrophes and hyphens: O'Brien, Smith-Jones, Parkinson's.
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# Words after which a full stop does not end a sentence ("Dr. Brown", "J. Brown").
_NO_BREAK_BEFORE_DOT = frozenset(
    {"dr", "mr", "mrs", "ms", "mx", "prof", "st", "sr", "jr", "rev", "drs", "messrs", "vs", "approx", "mt"}
)
_BREAK_CHARS = frozenset(".!?:;•*>|=")


@dataclass(slots=True)
class Token:
    """A word of the note. `cls` is what the shipped lists say about it (see `WordClass`)."""

    index: int
    start: int
    end: int
    text: str
    norm: str
    shape: Shape
    caseless: bool
    sent_start: bool
    cls: WordBits
    line: int

    @property
    def capitalised(self) -> bool:
        """Written like a proper noun, as far as its line can tell."""
        return self.caseless or self.shape in (Shape.TITLE, Shape.UPPER, Shape.INITIAL)

    @property
    def is_name_word(self) -> bool:
        return bool(self.cls & NAME_BITS)


# Capitals inside a name follow a prefix: McDonald, MacArthur, DeShawn, LaToya, DiMaggio, O'Brien.
_NAME_PART = re.compile(r"(?:Mc|Mac|De|Di|Da|La|Le|Van|Von|St)?[^\W\d_][^\W\d_A-Z]*")


def _shape(word: str) -> Shape:
    if len(word) == 1:
        return Shape.INITIAL if word.isupper() else Shape.LOWER
    if word.isupper():
        return Shape.UPPER
    if word.islower():
        return Shape.LOWER
    if word[0].isupper():
        parts = re.split(r"['’\-]", word)
        if all(p and p[0].isupper() and _NAME_PART.fullmatch(p) or p.islower() and len(p) <= 2 for p in parts):
            return Shape.TITLE
        return Shape.MIXED  # "PaCO", "FeNO", "HbA": lab names, not proper nouns
    return Shape.MIXED


#: Per-word facts that do not depend on where the word stands: (norm, shape, word class bits).
WordFacts = tuple[str, Shape, WordBits]


def _classify(lexicon: Lexicon, norm: str) -> WordBits:
    if "-" in norm:
        # A hyphenated word is a name only if every part is ("Smith-Jones", not "X-ray"); any part's
        # ambiguity carries over ("Brown-Smith" needs the evidence "Brown" would need).
        parts = [p for p in norm.split("-") if p]
        classes = [lexicon.word_class(p) for p in parts]
        # Name and city bits need every part; ambiguity bits from any part carry over.
        every = NAME_BITS | WordClass.CITY
        names = every
        other = WordClass.NONE
        for c in classes:
            names &= c
            other |= c & ~every
        return (names & every) | other
    return lexicon.word_class(norm)


def word_facts(lexicon: Lexicon, word: str) -> WordFacts:
    norm = normalise(word)
    return norm, _shape(word), _classify(lexicon, norm)


# Counting letters by case with C-speed regexes; ASCII is enough to judge a line's case style.
_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")
_TITLE_START = re.compile(r"(?<![A-Za-z])[A-Z][a-z]")


def _caseless_lines(text: str, whole_note_caseless: bool) -> list[tuple[int, bool]]:
    """(line start offset, caseless) for each line. A line in capitals tells nothing by case."""
    out = []
    pos = 0
    for line in text.split("\n"):
        if whole_note_caseless:
            caseless = True
        else:
            upper = len(_UPPER.findall(line))
            letters = upper + len(_LOWER.findall(line))
            caseless = letters >= 8 and upper >= 0.85 * letters
        out.append((pos, caseless))
        pos += len(line) + 1
    return out


class Document:
    """A note and its tokens. Built once per `DeidEngine.detect` call and shared by all recognizers."""

    __slots__ = ("text", "tokens", "caseless", "_starts", "_title_lines", "_memo")

    def __init__(self, text: str, lexicon: Lexicon, word_cache: dict[str, WordFacts] | None = None):
        self.text = text
        upper = len(_UPPER.findall(text))
        letters = upper + len(_LOWER.findall(text))
        # A note in capitals, or with no capitals at all, carries no case information anywhere. A note
        # written in lower case keeps its codes and abbreviations in capitals ("ref # AUTH-5520918", "to
        # ED"): what tells it is that almost no word starts with a capital and goes on in lower case.
        self.caseless = letters >= 20 and (
            upper >= 0.85 * letters
            or upper <= 0.01 * letters
            or (upper <= 0.1 * letters and len(_TITLE_START.findall(text)) * 300 <= letters)
        )
        self._title_lines: set[int] | None = None
        self._memo: dict[str, object] = {}
        lines = _caseless_lines(text, self.caseless)
        cache = word_cache if word_cache is not None else {}
        tokens: list[Token] = []
        line_no = 0
        next_line_start = lines[1][0] if len(lines) > 1 else len(text) + 1
        for match in _WORD.finditer(text):
            word = match.group()
            start = match.start()
            while start >= next_line_start:
                line_no += 1
                next_line_start = lines[line_no + 1][0] if line_no + 1 < len(lines) else len(text) + 1
            facts = cache.get(word)
            if facts is None:
                facts = cache[word] = word_facts(lexicon, word)
            tokens.append(
                Token(
                    index=len(tokens),
                    start=start,
                    end=match.end(),
                    text=word,
                    norm=facts[0],
                    shape=facts[1],
                    caseless=lines[line_no][1],
                    sent_start=self._starts_sentence(start, tokens),
                    cls=facts[2],
                    line=line_no,
                )
            )
        self.tokens = tokens
        self._starts = [t.start for t in tokens]

    def _starts_sentence(self, start: int, previous: list[Token]) -> bool:
        text = self.text
        i = start - 1
        while i >= 0 and text[i] in " \t\"'([":
            i -= 1
        if i < 0 or text[i] in "\n\r":
            return True
        ch = text[i]
        if ch == "." and previous and previous[-1].end == i:
            last = previous[-1]
            # "Dr. Brown", "J. Brown": the full stop closes an abbreviation, not a sentence.
            return not (last.norm in _NO_BREAK_BEFORE_DOT or last.shape is Shape.INITIAL)
        if ch in _BREAK_CHARS:
            return True
        # "1. Brown stool", "- Grace" at a line start: list markers.
        j = i
        while j >= 0 and (text[j].isdigit() or text[j] in ".)-"):
            j -= 1
        return j < i and (j < 0 or text[j] == "\n")

    def memo(self, key: str, build: Callable[[], _T]) -> _T:
        """What `build` returns, computed once per note and kept under `key` (a recognizer's name)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[return-value]

    def title_case_lines(self) -> set[int]:
        """Lines written in Title Case ("Past Medical History"): capitals there say nothing."""
        if self._title_lines is None:
            by_line: dict[int, list[Token]] = {}
            for tok in self.tokens:
                if len(tok.norm) > 3:
                    by_line.setdefault(tok.line, []).append(tok)
            self._title_lines = {
                line
                for line, words in by_line.items()
                if len(words) >= 2 and sum(t.shape is Shape.TITLE for t in words) >= 0.8 * len(words)
            }
        return self._title_lines

    def matches_at_words(self, pattern: re.Pattern[str], first_words: frozenset[str]) -> Iterator[re.Match[str]]:
        """Non-overlapping matches of `pattern` that start at a word whose normalised form is in
        `first_words`. Same result as `pattern.finditer(text)` when every match starts with such a
        word, but tries the pattern only at those words instead of at every character (cue patterns
        with long case-insensitive alternations are otherwise the slowest part of detection)."""
        last_end = -1
        text = self.text
        for tok in self.tokens:
            if tok.start >= last_end and tok.norm in first_words:
                m = pattern.match(text, tok.start)
                if m is not None:
                    last_end = m.end()
                    yield m

    def gap(self, left: Token, right: Token) -> str:
        """The text between two tokens."""
        return self.text[left.end : right.start]

    def token_index_at(self, offset: int) -> int:
        """Index of the first token starting at or after `offset`."""
        return bisect.bisect_left(self._starts, offset)

    def tokens_in(self, start: int, end: int) -> list[Token]:
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        return [t for t in self.tokens[lo:hi] if t.end <= end]
