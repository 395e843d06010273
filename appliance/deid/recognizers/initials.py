"""Clinician initials in signatures and dictation marks: "-- JS", "JS/mk", "seen by JS"."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon, WordClass
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.name_rules import HEADER_WORDS, NOT_INITIALS
from appliance.deid.recognizers.names import TITLE_WORDS
from appliance.deid.spans import NAME, Span
from appliance.deid.text import Document

INITIALS_CUE_WORDS = frozenset("seen signed initials by per cosigned dictated transcribed d rn md".split())
_SIGNATURE_INITIALS = re.compile(r"(?m)(?:^|[ \t])(?:--|-|/|~)[ \t]*(?P<i>[A-Z]{2,3})[ \t]*/?[ \t]*$")
# Dictation marks stand on their own at the end of a line: "JS/mk", "ABC:def".
_DICTATION_INITIALS = re.compile(r"(?m)(?:^|[ \t])(?P<i>[A-Z]{2,3})[/:](?P<j>[a-z]{2,3}|[A-Z]{2,3})[ \t]*$")
# Lower-case initials after a transcription or signature mark: "Transcribed by lh", "dictated by: jm".
_LOWER_INITIALS = re.compile(
    r"(?i:\b(?:transcribed|dictated|typed|entered|signed)\s+by)[:\s]+(?P<i>[a-z]{2,3})(?=[\s.,;]|$)"
)
# A signature that ends a note's line: initials, then the writer's credential ("-ck rn", "thurs. bs rn",
# "2 boarders. gh rn supervisor", "LB/RN"). After a line's start, a sentence's end or a dash or slash only.
_SIGNED_WITH_CREDENTIAL = re.compile(
    r"(?im)(?:^|[.;][ \t]+|[ \t][-/~]+[ \t]*|^[-/~]+[ \t]*)(?P<i>[a-z]{2,3})[ \t]*[ /][ \t]*"
    r"(?:rn|rrt|lpn|np|slp|otr/l|cna|licsw|msw|rd)\b[ \t]*(?:supervisor|charge)?[ \t.]*$"
)
_CUED_INITIALS = re.compile(
    r"(?i:\b(?:seen\s+by|signed\s+by|signed|initials|by|per|cosigned\s+by|dictated\s+by|transcribed\s+by|d/w|rn|md)\b[:\s]+)"
    r"(?P<i>[A-Z]\.?[A-Z]\.?(?:[A-Z]\.?)?)(?![\w])"
)


class _Initials:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        found = [
            *((m, "i") for m in _SIGNATURE_INITIALS.finditer(text)),
            *((m, g) for m in _DICTATION_INITIALS.finditer(text) for g in ("i", "j")),
            *((m, "i") for m in doc.matches_at_words(_CUED_INITIALS, INITIALS_CUE_WORDS)),
            *((m, "i") for m in _LOWER_INITIALS.finditer(text)),
        ]
        signed = list(_SIGNED_WITH_CREDENTIAL.finditer(text))
        found += [(m, "i") for m in signed]
        for m, group in found:
            value = m.group(group)
            if value.replace(".", "").upper() in NOT_INITIALS:
                continue
            bare = value.replace(".", "").lower()
            word_class = self.lexicon.word_class(bare)
            # Before a credential at a line's end, letters that are also a clinical abbreviation ("bs", "dm")
            # are still the writer's initials.
            excluded = WordClass.STOP | (WordClass.NONE if m in signed else WordClass.CLINICAL)
            if word_class & excluded or bare in HEADER_WORDS or bare in TITLE_WORDS:
                continue  # "SIGNED BY DR.": a title, not initials
            if "." not in value and word_class & WordClass.ENGLISH and not word_class & WordClass.FREQUENT:
                continue  # "FOLLOWED BY TWO", "PER USE": a word in capitals, not initials
            yield Span(m.start(group), m.end(group), NAME, "initials", 0.75, "initials")


@register("initials", "Clinician initials in signatures and dictation marks (-- JS, JS/mk, seen by JS).")
def _initials(config: DeidConfig, lexicon: Lexicon) -> _Initials:
    return _Initials(lexicon)
