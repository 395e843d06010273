"""One tokenisation of a note, shared by every recognizer (so a note is scanned for words once).

Clinical notes break the usual cues: whole notes or header lines are in capitals, and capitals at
the start of a sentence say nothing. Each `Token` therefore records its shape, whether its line
carries case information at all (`caseless`), and whether it starts a sentence or a field.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum

from appliance.deid.lexicon import NAME_BITS, Lexicon, WordClass, normalise


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
    {"dr", "mr", "mrs", "ms", "mx", "prof", "st", "sr", "jr", "rev", "drs", "messrs", "vs", "no", "approx", "pt"}
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
    cls: WordClass

    @property
    def capitalised(self) -> bool:
        """Written like a proper noun, as far as its line can tell."""
        return self.caseless or self.shape in (Shape.TITLE, Shape.UPPER, Shape.INITIAL)

    @property
    def is_name_word(self) -> bool:
        return bool(self.cls & NAME_BITS)


def _shape(word: str) -> Shape:
    if len(word) == 1:
        return Shape.INITIAL if word.isupper() else Shape.LOWER
    if word.isupper():
        return Shape.UPPER
    if word.islower():
        return Shape.LOWER
    if word[0].isupper():
        return Shape.TITLE
    return Shape.MIXED


def _classify(lexicon: Lexicon, norm: str, cache: dict[str, WordClass]) -> WordClass:
    found = cache.get(norm)
    if found is not None:
        return found
    if "-" in norm:
        # A hyphenated word is a name only if every part is ("Smith-Jones", not "X-ray"); any part's
        # ambiguity carries over ("Brown-Smith" needs the evidence "Brown" would need).
        parts = [p for p in norm.split("-") if p]
        classes = [lexicon.word_class(p) for p in parts]
        names = NAME_BITS
        other = WordClass.NONE
        for c in classes:
            names &= c
            other |= c & ~NAME_BITS
        found = (names & NAME_BITS) | other
    else:
        found = lexicon.word_class(norm)
    cache[norm] = found
    return found


def _caseless_lines(text: str, whole_note_caseless: bool) -> list[tuple[int, bool]]:
    """(line start offset, caseless) for each line. A line in capitals tells nothing by case."""
    out = []
    pos = 0
    for line in text.split("\n"):
        upper = sum(1 for ch in line if ch.isupper())
        lower = sum(1 for ch in line if ch.islower())
        letters = upper + lower
        caseless = whole_note_caseless or (letters >= 8 and upper >= 0.85 * letters)
        out.append((pos, caseless))
        pos += len(line) + 1
    return out


class Document:
    """A note and its tokens. Built once per `DeidEngine.detect` call and shared by all recognizers."""

    __slots__ = ("text", "tokens", "caseless", "_starts", "_cache")

    def __init__(self, text: str, lexicon: Lexicon, class_cache: dict[str, WordClass] | None = None):
        self.text = text
        upper = sum(1 for ch in text if ch.isupper())
        lower = sum(1 for ch in text if ch.islower())
        letters = upper + lower
        # A note in capitals, or with no capitals at all, carries no case information anywhere.
        self.caseless = letters >= 20 and (upper >= 0.85 * letters or upper <= 0.01 * letters)
        lines = _caseless_lines(text, self.caseless)
        line_starts = [start for start, _ in lines]
        cache = class_cache if class_cache is not None else {}
        tokens: list[Token] = []
        for match in _WORD.finditer(text):
            word = match.group()
            start = match.start()
            norm = normalise(word)
            line_no = bisect.bisect_right(line_starts, start) - 1
            tokens.append(
                Token(
                    index=len(tokens),
                    start=start,
                    end=match.end(),
                    text=word,
                    norm=norm,
                    shape=_shape(word),
                    caseless=lines[line_no][1],
                    sent_start=self._starts_sentence(start, tokens),
                    cls=_classify(lexicon, norm, cache),
                )
            )
        self.tokens = tokens
        self._starts = [t.start for t in tokens]
        self._cache = cache

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
