"""Detection: every identifier type, the clinical traps that must stay, capitals, and the engine's contract."""

from __future__ import annotations

import re

import pytest

from appliance.deid import DEFAULT_RECOGNIZERS, DeidConfig, DeidEngine, Span, score
from appliance.deid.recognizers import recognizer_table
from appliance.errors import InvalidInput

from .deid_cases import CLEAN_CASES, IDENTIFIER_CASES
from .deid_notes import MARKED_NOTES, parse_marked

NAMEISH = {"NAME", "LOCATION"}


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine()


def _covered(spans: list[Span], text: str, needle: str, label: str) -> bool:
    start = text.index(needle)
    end = start + len(needle)
    return any(s.start <= start and end <= s.end and (s.label == label or {s.label, label} <= NAMEISH) for s in spans)


@pytest.mark.parametrize(("case_id", "text", "expected"), IDENTIFIER_CASES, ids=[c[0] for c in IDENTIFIER_CASES])
def test_identifier_found(engine: DeidEngine, case_id: str, text: str, expected: list[tuple[str, str]]) -> None:
    spans = engine.detect(text)
    for needle, label in expected:
        assert _covered(spans, text, needle, label), f"{case_id}: {needle!r} not found as {label}"


@pytest.mark.parametrize(("case_id", "text"), CLEAN_CASES, ids=[c[0] for c in CLEAN_CASES])
def test_clinical_text_left_alone(engine: DeidEngine, case_id: str, text: str) -> None:
    found = [(text[s.start : s.end], s.label, s.source) for s in engine.detect(text)]
    assert found == [], case_id


# The same traps in a note written entirely in capitals, where case gives no help.
CAPS_CLEAN = [c for c in CLEAN_CASES if c[0] not in ("month_words",)]


@pytest.mark.parametrize(("case_id", "text"), CAPS_CLEAN, ids=[c[0] for c in CAPS_CLEAN])
def test_clinical_text_left_alone_in_capitals(engine: DeidEngine, case_id: str, text: str) -> None:
    upper = text.upper()
    found = [(upper[s.start : s.end], s.label, s.source) for s in engine.detect(upper)]
    assert found == [], case_id


CAPS_CASES = [
    (
        "caps_header",
        "PATIENT: MCALLISTER, JOHN P   MRN: 4471229   DOB: 04/12/1944",
        ["MCALLISTER, JOHN P", "4471229", "04/12/1944"],
    ),
    ("caps_title", "SEEN WITH DR. OKONKWO. DISCUSSED WITH DAUGHTER MARIA.", ["OKONKWO", "MARIA"]),
    ("caps_pair", "CALLED JENNIFER WALSH AT 617-555-0100 ON 3/4.", ["JENNIFER WALSH", "617-555-0100", "3/4"]),
    ("caps_place", "LIVES AT 12 ELM STREET, WORCESTER, MA 01609.", ["12 ELM STREET", "WORCESTER", "01609"]),
    (
        "caps_age_date",
        "A 97 YEAR OLD ADMITTED 03-MAR-2021 TO ST. ANNE'S HOSPITAL.",
        ["97", "03-MAR-2021", "ST. ANNE'S HOSPITAL"],
    ),
    ("caps_signature", "ELECTRONICALLY SIGNED BY KAREN O'NEIL, RN 3/5/2021 0800", ["KAREN O'NEIL", "3/5/2021"]),
]


@pytest.mark.parametrize(("case_id", "text", "needles"), CAPS_CASES, ids=[c[0] for c in CAPS_CASES])
def test_capitals_note(engine: DeidEngine, case_id: str, text: str, needles: list[str]) -> None:
    spans = engine.detect(text)
    for needle in needles:
        start = text.index(needle)
        assert any(s.start <= start and start + len(needle) <= s.end for s in spans), f"{case_id}: {needle!r}"


def test_hand_written_notes_full_recall(engine: DeidEngine) -> None:
    texts, golds, preds = [], [], []
    for marked in MARKED_NOTES:
        text, gold = parse_marked(marked)
        texts.append(text)
        golds.append(gold)
        preds.append(engine.detect(text))
    report = score(golds, preds, texts)
    assert report["token"]["recall"] == 1.0
    assert report["token"]["precision"] >= 0.95


def test_detect_contract_sorted_non_overlapping_in_range(engine: DeidEngine) -> None:
    text = "\n".join(c[1] for c in IDENTIFIER_CASES)
    spans = engine.detect(text)
    assert spans == sorted(spans, key=lambda s: s.start)
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end <= b.start
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start : s.end] == text[s.start : s.end].strip()
        assert s.confidence >= engine.config.confidence_threshold
    assert engine.detect(text) == spans  # deterministic


def test_empty_and_blank_text(engine: DeidEngine) -> None:
    assert engine.detect("") == []
    assert engine.detect("   \n\t") == []
    with pytest.raises(TypeError):
        engine.detect(b"bytes")  # type: ignore[arg-type]


def test_recognizer_selection_and_threshold() -> None:
    text = "Email k.mensah@healthmail.org, seen by Dr. Okonkwo, MRN 4471229, code AB12345678."
    only_email = DeidEngine(DeidConfig(recognizers=("email",)))
    assert [s.label for s in only_email.detect(text)] == ["CONTACT"]
    everything = DeidEngine().detect(text)
    strict = DeidEngine(DeidConfig(confidence_threshold=0.9)).detect(text)
    assert len(strict) < len(everything)
    assert all(s.confidence >= 0.9 for s in strict)


def test_every_default_recognizer_is_registered_with_help() -> None:
    table = recognizer_table()
    for name in DEFAULT_RECOGNIZERS:
        assert name in table
        assert table[name].description
    assert "model" in table and "model" not in DEFAULT_RECOGNIZERS
    with pytest.raises(InvalidInput, match="unknown recognizer"):
        DeidConfig(recognizers=("names_by_magic",))


def test_spans_never_carry_text(engine: DeidEngine) -> None:
    text = "Seen by Dr. Okonkwo on 3/4/2021."
    for span in engine.detect(text):
        assert "Okonkwo" not in repr(span)


def test_word_trigger_matches_equal_full_scans() -> None:
    """Cue patterns are tried only at their first words; that must find what a full scan finds."""
    from appliance.deid.lexicon import load_lexicon
    from appliance.deid.recognizers import contact, dates, identifiers, initials, locations, name_relatives, names
    from appliance.deid.text import Document

    pairs = [
        (names._TITLE, names.TITLE_WORDS),
        (names._LABELS, names.LABEL_WORDS),
        (name_relatives.RELATIVE, name_relatives.RELATIVE_WORDS),
        (initials._CUED_INITIALS, initials.INITIALS_CUE_WORDS),
        (identifiers._LABELLED, identifiers.LABEL_FIRST_WORDS),
        (contact._CUED_NUMBER, contact.CUE_FIRST_WORDS),
        (dates._MONTH_WORD, dates.MONTH_TOKENS),
        (locations.STATE_NAME, locations.STATE_FIRST_WORDS),
    ]
    corpus = [c[1] for c in IDENTIFIER_CASES] + [parse_marked(m)[0] for m in MARKED_NOTES]
    corpus += [t.upper() for t in corpus]
    lexicon = load_lexicon()
    for text in corpus:
        doc = Document(text, lexicon)
        for pattern, words in pairs:
            full = [(m.start(), m.end()) for m in pattern.finditer(text) if re.match(r"\w", text[m.start()])]
            fast = [(m.start(), m.end()) for m in doc.matches_at_words(pattern, words)]
            assert fast == full, (pattern.pattern[:40], text[:40])


PATHOLOGICAL = {
    "blanks": " " * 20000 + "x",
    "dotted digits": "1." * 10000,
    "initials": "A. " * 7000,
    "titles": "Dr. " * 5000,
    "long name run": "John Smith " * 2000,
    "heading run": "Mercy General Hospital Of The " * 700,
    "commas": "Smith, " * 3000,
    "colons": "a:" * 10000,
}


@pytest.mark.parametrize("kind", list(PATHOLOGICAL))
def test_pathological_inputs_finish(engine: DeidEngine, kind: str) -> None:
    """Long runs that make careless patterns backtrack quadratically; each must simply finish."""
    text = PATHOLOGICAL[kind]
    spans = engine.detect(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
