"""The shipped CRF recognizer: loads from the package, finds names, refuses tampered weights, and keeps
the engine's detect() contract when enabled."""

from __future__ import annotations

import hashlib
import shutil
from importlib import resources
from pathlib import Path

import pytest

from appliance.deid import DeidConfig, DeidEngine
from appliance.deid.config import DEFAULT_RECOGNIZERS
from appliance.deid.lexicon import load_lexicon
from appliance.deid.recognizers import available_recognizers
from appliance.deid.recognizers.crf import HASH_FILE, MODEL_FILES, WEIGHTS_FILE, CrfRecognizer
from appliance.deid.spans import check_spans
from appliance.deid.text import Document
from appliance.errors import IntegrityError, InvalidInput

# Invented people and places; no real patient.
NOTE = (
    "Patient Name: Zorvath Quellington\n"
    "Seen today by Dr. Marisol Featherstonehaugh for follow-up of hypertension.\n"
    "Lives at 4417 Brindlewood Crescent, Ashcombe. Daughter Tamsin Quellington visits weekly.\n"
)


@pytest.fixture(scope="module")
def recognizer() -> CrfRecognizer:
    return CrfRecognizer(load_lexicon())


def test_crf_is_registered_and_weights_match_the_recorded_hash() -> None:
    assert "crf" in available_recognizers()
    data = resources.files("appliance.deid.data")
    assert len(MODEL_FILES) == 2 and MODEL_FILES[0] == (WEIGHTS_FILE, HASH_FILE)
    for weights_file, hash_file in MODEL_FILES:
        recorded = data.joinpath(hash_file).read_text(encoding="ascii").split()
        assert recorded[1] == weights_file
        assert hashlib.sha256(data.joinpath(weights_file).read_bytes()).hexdigest() == recorded[0]
        assert len(data.joinpath(weights_file).read_bytes()) < 5_000_000


def test_both_packaged_models_tag_and_their_spans_are_merged(tmp_path: Path) -> None:
    """The default recognizer runs both models; each alone finds a subset of what the pair finds."""
    data = resources.files("appliance.deid.data")
    paths = []
    for weights_file, hash_file in MODEL_FILES:
        path = tmp_path / weights_file
        path.write_bytes(data.joinpath(weights_file).read_bytes())
        (tmp_path / hash_file).write_text(data.joinpath(hash_file).read_text(encoding="ascii"), encoding="ascii")
        paths.append(path)
    lexicon = load_lexicon()
    doc = Document(NOTE, lexicon)
    pair = {(s.start, s.end, s.label) for s in CrfRecognizer(lexicon).find(doc)}
    alone = [{(s.start, s.end, s.label) for s in CrfRecognizer(lexicon, weights=p).find(doc)} for p in paths]
    assert pair == alone[0] | alone[1]
    assert pair == {(s.start, s.end, s.label) for s in CrfRecognizer(lexicon, weights=paths).find(doc)}
    raw = bytearray(paths[1].read_bytes())
    raw[len(raw) // 3] ^= 0x01
    paths[1].write_bytes(bytes(raw))
    with pytest.raises(IntegrityError, match=MODEL_FILES[1][0]):
        CrfRecognizer(lexicon, weights=paths)  # one tampered model refuses the pair


def test_crf_finds_an_invented_name(recognizer: CrfRecognizer) -> None:
    spans = list(recognizer.find(Document(NOTE, load_lexicon())))
    found = {NOTE[s.start : s.end] for s in spans if s.label == "NAME"}
    assert any("Quellington" in text for text in found)
    assert all(s.source == "crf" and 0.0 <= s.confidence <= 1.0 for s in spans)
    assert all(s.label in ("NAME", "LOCATION") for s in spans)


def test_crf_refuses_tampered_weights(tmp_path: Path) -> None:
    data = resources.files("appliance.deid.data")
    weights = tmp_path / WEIGHTS_FILE
    weights.write_bytes(data.joinpath(WEIGHTS_FILE).read_bytes())
    (tmp_path / HASH_FILE).write_text(data.joinpath(HASH_FILE).read_text(encoding="ascii"), encoding="ascii")
    CrfRecognizer(load_lexicon(), weights=weights)  # an untouched copy loads
    raw = bytearray(weights.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    weights.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError) as err:
        CrfRecognizer(load_lexicon(), weights=weights)
    message = str(err.value)
    assert WEIGHTS_FILE in message and "sha256" in message and "\n" not in message


def test_crf_refuses_a_missing_hash_file(tmp_path: Path) -> None:
    weights = tmp_path / WEIGHTS_FILE
    shutil.copyfile(str(resources.files("appliance.deid.data").joinpath(WEIGHTS_FILE)), weights)
    with pytest.raises(InvalidInput, match="cannot read"):
        CrfRecognizer(load_lexicon(), weights=weights)


def test_crf_is_on_by_default_and_the_engine_keeps_the_detect_contract() -> None:
    assert "crf" in DEFAULT_RECOGNIZERS and "crf" in DeidConfig().recognizers
    engine = DeidEngine()
    for text in (NOTE, NOTE.upper(), "", "   \n", "no identifiers at all here.", "x" * 3000):
        spans = engine.detect(text)
        check_spans(spans, len(text))
        assert all(s.confidence >= engine.config.confidence_threshold for s in spans)
        assert all(text[s.start : s.end].strip() == text[s.start : s.end] for s in spans)
    names = [NOTE[s.start : s.end] for s in engine.detect(NOTE) if s.label == "NAME"]
    assert any("Zorvath" in n for n in names)


def test_crf_leaves_names_that_a_science_word_follows(recognizer: CrfRecognizer) -> None:
    # Strains and eponyms are not identifiers: the word after the span makes it science, not a person.
    lexicon = load_lexicon()
    for text, science in (
        (
            "Antibodies were transferred into naive Wistar Furth rats, suggesting that resistance lies elsewhere.",
            "Wistar",
        ),
        ("A supracondylar process and Struthers' ligament compressed the nerve.", "Struthers"),
    ):
        found = [text[s.start : s.end] for s in recognizer.find(Document(text, lexicon))]
        assert not any(science in f for f in found), science
    found = [NOTE[s.start : s.end] for s in recognizer.find(Document(NOTE, lexicon))]
    assert any("Quellington" in f for f in found)


def test_a_learned_span_stops_at_a_line_end_and_drops_a_job_title(recognizer: CrfRecognizer) -> None:
    """A signature's name and the job title on the line under it are two lines, not one place; the
    title's everyday words are left, and an address's unit line with its number is kept."""
    lexicon = load_lexicon()
    text = "Ngā mihi,\nWiremu Tapsell\nClaims Assessor | +64 4 555 0917"
    found = [text[s.start : s.end] for s in recognizer.find(Document(text, lexicon))]
    assert "Wiremu Tapsell" in found
    assert not any("\n" in f or "Claims" in f for f in found)
    address = "12 Elm Rd\nSuite 4"
    assert recognizer._lines(address, 0, len(address)) == [(0, 17)]
