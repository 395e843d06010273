"""The de-identification engine: run the configured recognizers, merge, replace.

    engine = DeidEngine(DeidConfig())
    spans = engine.detect(note)                       # sorted, non-overlapping
    clean = engine.apply(note, spans, patient_id="p-17", secret=key)
    fields, found = engine.deidentify_fields(record_metadata, patient_id="p-17", secret=key)

Building an engine loads the word lists and builds every recognizer once (and, if enabled, the local
model on first use); reuse one engine for a whole dataset. `detect` is a pure function of the text and
the configuration; `apply` is a pure function of the text, the spans, the patient id and the secret.

Hazard: the note text is PHI. Nothing here logs it, and errors never quote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon, load_lexicon
from appliance.deid.recognizers import recognizer_table, refiner_table
from appliance.deid.recognizers.base import Recognizer, Refiner
from appliance.deid.register import keep_in_literature, names_an_instrument, reads_as_literature
from appliance.deid.spans import PatientId, Span, check_spans, merge_spans
from appliance.deid.surrogates import make_context, mask, surrogate
from appliance.deid.text import Document, WordFacts

_WORD_CACHE_LIMIT = 200_000  # distinct words remembered between notes; bounds memory on huge corpora


class DeidEngine:
    """Detects Safe Harbor identifiers and replaces them according to `config.mode`."""

    def __init__(self, config: DeidConfig | None = None) -> None:
        self.config = config if config is not None else DeidConfig()
        self.lexicon: Lexicon = load_lexicon()
        table = recognizer_table()
        self._recognizers: list[tuple[str, Recognizer]] = [
            (name, table[name].factory(self.config, self.lexicon)) for name in self.config.recognizers
        ]
        enabled = set(self.config.recognizers)
        self._refiners: list[tuple[str, Refiner]] = [
            (name, reg.factory(self.config, self.lexicon))
            for name, reg in refiner_table().items()
            if enabled.intersection(reg.follows)
        ]
        self._word_cache: dict[str, WordFacts] = {}

    def detect(self, text: str) -> list[Span]:
        """Identifiers in `text`: sorted by start, non-overlapping, confidence >= the threshold."""
        if not isinstance(text, str):
            raise TypeError("detect() takes the note text as a str")
        if not text.strip():
            return []
        if len(self._word_cache) > _WORD_CACHE_LIMIT:
            self._word_cache.clear()
        doc = Document(text, self.lexicon, self._word_cache)
        threshold = self.config.confidence_threshold
        found: list[Span] = []
        for _name, recognizer in self._recognizers:
            found.extend(s for s in recognizer.find(doc) if s.confidence >= threshold)
        for _name, refiner in self._refiners:
            found.extend(s for s in refiner.refine(doc, found) if s.confidence >= threshold)
        spans = [
            s
            for s in (_trim(text, span) for span in merge_spans(found, text))
            if s is not None and not names_an_instrument(text, s)
        ]
        if spans and reads_as_literature(text):
            # Medical literature: eponyms, study sites, study periods and reagent codes, not a patient's.
            spans = [s for s in spans if keep_in_literature(text, s)]
        return spans

    def apply(self, text: str, spans: Sequence[Span], *, patient_id: PatientId | str, secret: bytes) -> str:
        """`text` with every span replaced: a surrogate (consistent per patient) or a mask.

        `spans` must be sorted and non-overlapping (as `detect` returns them). `secret` is the
        workspace's de-identification key (>= 16 bytes); the same secret and patient id always give
        the same surrogates and the same date shift.
        """
        check_spans(spans, len(text))
        if self.config.mode == "mask":
            return _splice(text, spans, lambda original, span: mask(span))
        ctx = make_context(self.config, self.lexicon, patient_id, secret)
        return _splice(text, spans, lambda original, span: surrogate(original, span, ctx))

    def deidentify(self, text: str, *, patient_id: PatientId | str, secret: bytes) -> tuple[str, list[Span]]:
        """detect() then apply(): the de-identified text and the spans found in the original."""
        spans = self.detect(text)
        return self.apply(text, spans, patient_id=patient_id, secret=secret), spans

    def deidentify_fields(
        self, fields: Mapping[str, Any], *, patient_id: PatientId | str, secret: bytes
    ) -> tuple[dict[str, Any], int]:
        """A record's other fields (a reference summary, an extraction target, an unmapped column)
        de-identified like its note: the same surrogates for the same patient. Returns the new fields
        and how many identifiers were replaced.

        Each value is read as ``"<key>: <value>"`` so the key gives the recognizers the context a note
        would ("mrn: 1234567", "attending: Dr. Brown"), and a bare code such as a sex of "F" is not
        taken for a place. Lists and objects are walked; numbers are checked as text and replaced
        only when they are identifiers (an age over 89); other values are kept.
        """
        count = 0

        def clean(key: str, value: Any) -> Any:
            nonlocal count
            if isinstance(value, Mapping):
                return {k: clean(str(k), v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(key, v) for v in value]
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return value
            text = str(value)
            prefix = f"{key}: "
            spans = [_shift(s, len(prefix), len(text)) for s in self.detect(prefix + text) if s.end > len(prefix)]
            if not spans:
                return value
            count += len(spans)
            return self.apply(text, spans, patient_id=patient_id, secret=secret)

        return {key: clean(key, value) for key, value in fields.items()}, count


def _shift(span: Span, offset: int, length: int) -> Span:
    """``span`` moved back by ``offset`` and clipped to ``[0, length)``."""
    start, end = max(span.start - offset, 0), min(span.end - offset, length)
    return Span(start, end, span.label, span.subtype, span.confidence, span.source)


_LEADING_JUNK = frozenset(">)]},;:")
_LEADING_WEEKDAY = re.compile(
    r"(?i)(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
    r"\.?,?[ \t]+(?=\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)\.?[ \t]+\d|(?:january|february|march|"
    r"april|june|july|august|september|october|november|december)[ \t]+\d)"
)
_TRAILING_JUNK = frozenset("<([{,;:")


def _trim(text: str, span: Span) -> Span | None:
    start, end = span.start, span.end
    # Blanks, and brackets or separators a learned span may take with it ("Ngozi <" before a mail address).
    while start < end and (text[start].isspace() or text[start] in _LEADING_JUNK):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAILING_JUNK):
        end -= 1
    weekday = _LEADING_WEEKDAY.match(text, start, end)
    if weekday is not None and weekday.end() < end:
        start = weekday.end()  # "Thursday, 12 June", "Fri Mar 3": the day of the week is no identifier
    if end <= start:
        return None
    if (start, end) == (span.start, span.end):
        return span
    return Span(start, end, span.label, span.subtype, span.confidence, span.source)


def _splice(text: str, spans: Sequence[Span], replace: Callable[[str, Span], str]) -> str:
    out: list[str] = []
    pos = 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(replace(text[span.start : span.end], span))
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
