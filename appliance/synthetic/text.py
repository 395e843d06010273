"""Text assembly with exact gold offsets for planted identifiers.

A `TextBuilder` appends plain text and `Phi` pieces; it records the character span of every `Phi` as
it goes, so offsets are correct by construction rather than found again by searching the finished text
(searching would mislabel a surname that also occurs as an ordinary word elsewhere in the note).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from appliance.synthetic.phi import Phi, Piece

RawSpan = tuple[int, int, str, str | None]
Pieces = Piece | Sequence["Pieces"]


class TextBuilder:
    """Append-only text with the gold spans of the identifiers it contains.

    Hazard: only ASCII is accepted, because notes may be upper-cased after assembly and a non-ASCII
    character can change length when upper-cased ("\u00df" -> "SS"), which would shift every later span.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._spans: list[RawSpan] = []
        self._len = 0

    def _append(self, s: str) -> None:
        if not s.isascii():
            raise ValueError(f"non-ASCII text in synthetic note: {s!r}")
        self._parts.append(s)
        self._len += len(s)

    def add(self, *pieces: Pieces) -> TextBuilder:
        for piece in pieces:
            if isinstance(piece, Phi):
                start = self._len
                self._append(piece.text)
                self._spans.append((start, self._len, piece.label, piece.subtype))
            elif isinstance(piece, str):
                self._append(piece)
            else:
                self.add(*piece)
        return self

    def line(self, *pieces: Pieces) -> TextBuilder:
        return self.add(*pieces, "\n")

    def extend(self, other: TextBuilder) -> TextBuilder:
        offset = self._len
        for part in other._parts:
            self._append(part)
        self._spans.extend((s + offset, e + offset, label, sub) for s, e, label, sub in other._spans)
        return self

    def __len__(self) -> int:
        return self._len

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def spans(self) -> list[RawSpan]:
        return list(self._spans)


def section(*pieces: Pieces) -> TextBuilder:
    return TextBuilder().add(*pieces)


@dataclass
class Section:
    """One block of a note. Optional sections are kept in `priority` order (lowest first) while they fit."""

    body: TextBuilder
    required: bool = True
    priority: int = 0


@dataclass
class NoteParts:
    """A note before length fitting: ordered sections, plus a source of extra filler paragraphs.

    Fillers are inserted right after section `filler_after`, in the order they were drawn.
    """

    sections: list[Section]
    filler: Callable[[], TextBuilder]
    filler_after: int
    summary: str


def fit_to_length(parts: NoteParts, target: int, max_fillers: int = 80) -> TextBuilder:
    """Choose optional sections and fillers so the note lands near `target` characters.

    Required sections are always kept, so a note is never shorter than its core (a few hundred
    characters) whatever the target. Above that the result is within roughly +/-15% of the target.
    """
    chosen = [s.required for s in parts.sections]
    total = sum(len(s.body) for s in parts.sections if s.required)
    optional = sorted((s.priority, i) for i, s in enumerate(parts.sections) if not s.required)
    for _, i in optional:
        s = parts.sections[i]
        if total + len(s.body) <= target * 1.1:
            chosen[i] = True
            total += len(s.body)
    fillers: list[TextBuilder] = []
    seen: set[str] = set()
    attempts = 0
    while total < target * 0.9 and len(fillers) < max_fillers and attempts < 4 * max_fillers:
        attempts += 1
        f = parts.filler()
        if f.text in seen:
            continue  # a note that repeats a line verbatim reads as generated, and trips duplicate filters
        if total + len(f) > target * 1.15 and total >= target * 0.8:
            break
        seen.add(f.text)
        fillers.append(f)
        total += len(f)
    out = TextBuilder()
    for i, s in enumerate(parts.sections):
        if chosen[i]:
            out.extend(s.body)
        if i == parts.filler_after:
            for f in fillers:
                out.extend(f)
    return out
