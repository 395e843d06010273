"""Spans: what a recognizer found, and how overlapping findings become one answer.

A `Span` names a half-open character range ``[start, end)`` of a note and the Safe Harbor class of the
identifier in it. Spans never carry the note text itself, so they can be stored, logged and sent to the
review queue without leaking PHI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NewType

PatientId = NewType("PatientId", str)

NAME = "NAME"
LOCATION = "LOCATION"
DATE = "DATE"
AGE = "AGE"
CONTACT = "CONTACT"
ID = "ID"

#: The six Safe Harbor classes this engine reports. Finer detail goes into `Span.subtype`.
LABELS: tuple[str, ...] = (NAME, LOCATION, DATE, AGE, CONTACT, ID)

# When two overlapping findings are equally long and equally confident, the more specific class wins:
# an ID-shaped string inside a URL is still the URL, a date inside an ID label is still the ID.
_LABEL_PRIORITY = {ID: 6, CONTACT: 5, DATE: 4, AGE: 3, LOCATION: 2, NAME: 1}


@dataclass(frozen=True)
class Span:
    """One identifier found in a note.

    ``confidence`` is the recognizer's belief in [0, 1] (rules use fixed, documented values; a model
    uses its score). ``source`` names the recognizer, for review and for tuning the rules.
    """

    start: int
    end: int
    label: str
    subtype: str | None = None
    confidence: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"span bounds must satisfy 0 <= start < end, got [{self.start}, {self.end})")
        if self.label not in _LABEL_PRIORITY:
            raise ValueError(f"unknown label {self.label!r}; expected one of {', '.join(LABELS)}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within [0, 1], got {self.confidence}")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def to_json(self, *, with_source: bool = True, digits: int | None = None) -> dict[str, Any]:
        """The span as stored (``with_source``) or as written to a JSONL export (confidence rounded)."""
        data: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "subtype": self.subtype,
            "confidence": self.confidence if digits is None else round(self.confidence, digits),
        }
        if with_source:
            data["source"] = self.source
        return data


#: Sources of learned recognizers: where a rule found the same stretch, the rule's reading (its label
#: and subtype, which choose the surrogate) wins a tie.
LEARNED_SOURCES = frozenset({"crf", "model"})


def _rank(span: Span) -> tuple[int, bool, float, int]:
    return (len(span), span.source not in LEARNED_SOURCES, span.confidence, _LABEL_PRIORITY[span.label])


def merge_spans(spans: Iterable[Span], text: str | None = None) -> list[Span]:
    """Resolve overlapping findings into sorted, non-overlapping spans.

    Overlapping spans are fused into one span covering all of them (recall first: a character any
    recognizer flagged stays flagged). The fused span takes its label, subtype and source from the
    member that is longest, then found by a rule rather than a learned recognizer, then most confident,
    then most specific, and the highest confidence of its
    members. With `text`, two NAME spans separated only by blanks on one line ("John" found by one
    rule, "Smith" by another), or a one-word surname and a first name around a comma ("Small, Duke"),
    become one span, so one person is one entity for scoring and review.
    """
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    group: list[Span] = []
    group_end = -1
    for span in ordered:
        if group and (span.start < group_end or _joins_name(group, span, text)):
            group.append(span)
            group_end = max(group_end, span.end)
            continue
        if group:
            merged.append(_fuse(group))
        group, group_end = [span], span.end
    if group:
        merged.append(_fuse(group))
    return merged


def _joins_name(group: Sequence[Span], span: Span, text: str | None) -> bool:
    if text is None or span.label != NAME or not all(s.label == NAME for s in group):
        return False
    end = max(s.end for s in group)
    gap = text[end : span.start]
    if 0 < len(gap) <= 2 and gap.strip(" \t") == "":
        return True
    # "Small, Duke": surname, comma, first name (one word before the comma, at most two after).
    single_word = len(group) == 1 and " " not in text[group[0].start : end]
    return gap == ", " and single_word and text[span.start : span.end].count(" ") <= 1


def _fuse(group: Sequence[Span]) -> Span:
    if len(group) == 1:
        return group[0]
    best = max(group, key=_rank)
    return Span(
        start=min(s.start for s in group),
        end=max(s.end for s in group),
        label=best.label,
        subtype=best.subtype,
        confidence=max(s.confidence for s in group),
        source=best.source,
    )


def check_spans(spans: Sequence[Span], text_length: int) -> None:
    """Raise ValueError unless `spans` are sorted, non-overlapping and inside a text of that length."""
    previous_end = 0
    for index, span in enumerate(spans):
        if span.end > text_length:
            raise ValueError(f"span {index} ends at {span.end}, past the text length {text_length}")
        if span.start < previous_end:
            raise ValueError(f"span {index} overlaps or precedes the span before it; merge_spans() first")
        previous_end = span.end
