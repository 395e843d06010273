"""Facilities and organisations named without a head word: the hospital list, organisations after a
clinician, "<Word> of <Town>" placements, neighbourhoods, and companies by their suffix.

Every example is invented for this test; each table has negative cases (clinical words that must stay).
"""

from __future__ import annotations

import pytest

from appliance.deid import DeidConfig, DeidEngine
from appliance.deid.lexicon import WordClass, load_lexicon
from appliance.deid.recognizers.gazetteer import HOSPITAL_INITIALS, HOSPITAL_NAMES, HOSPITAL_WORDS, _TownPostcode
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document
from tests.deid.test_deid_real_shapes import Case, assert_case

HOSPITAL_LIST = [
    Case("initials-before-ed-lower", "pt brought to cmc ed by ems overnight.", phi=("cmc",)),
    Case("initials-before-er-caps", "PT SEEN AT CMC ER YESTERDAY, SENT HOME.", phi=("CMC",)),
    Case("initials-before-ed-title", "Seen at CMC ED overnight for chest pain.", phi=("CMC",)),
    Case("listed-word-before-ed", "admitted from lahey ed after a fall.", phi=("lahey",)),
    Case("listed-name-anywhere", "transferred from beth israel deaconess for cath.", phi=("beth israel deaconess",)),
    Case(
        "listed-name-with-head",
        "Records requested from Beth Israel Deaconess Medical Center today.",
        phi=("Beth Israel Deaconess Medical Center",),
    ),
    Case("listed-word-after-move", "sent to baystate for a higher level of care.", phi=("baystate",)),
    Case("listed-word-after-at-caps", "WAS AT HARBORVIEW FOR 2 WKS, THEN HOME.", phi=("HARBORVIEW",)),
    Case("teaching-ed-is-no-hospital", "dm ed provided, chf ed given, pt ed done.", keep=("dm", "chf", "pt")),
    Case("clinical-initials-without-place-word", "cmc joint arthritis, chf ed reviewed.", keep=("cmc", "chf")),
    Case("bare-ed", "hx of mvc, presented to ed with neck pain.", keep=("mvc", "ed")),
    Case("unit-before-ed", "boarded in the icu ed overflow.", keep=("icu",)),
]

CLINICIAN_ORGANISATION = [
    Case("dr-from-org", "Seen by Dr. Lee from Atrius last week.", phi=("Lee", "Atrius")),
    Case("dr-from-org-lower", "dr patel from atrius called re: labs.", phi=("patel", "atrius")),
    Case("dr-from-org-caps", "DR PATEL FROM ATRIUS CALLED.", phi=("PATEL", "ATRIUS")),
    Case("dr-at-org", "Spoke with Dr. Okafor at Harborview about the plan.", phi=("Okafor", "Harborview")),
    Case("dr-from-service", "Dr. Chen from Renal recommends a lower dose.", phi=("Chen",), keep=("Renal",)),
    Case("dr-from-unit", "dr chen from the icu will see him.", phi=("chen",), keep=("icu",)),
    Case("dr-from-specialty", "Dr. Amy Lee from Pediatrics agreed.", phi=("Amy Lee",), keep=("Pediatrics",)),
    Case("dr-then-org-in-brackets", "Dr. Kim (Atrius) called back.", phi=("Kim", "Atrius")),
    Case("dr-then-service-in-brackets", "Dr. Kim (cardiology) called back.", phi=("Kim",), keep=("cardiology",)),
    Case(
        "role-at-org-lower",
        "spoke w/ daughter today. pcp at atrius, will fax the summary there. pt agrees with plan.",
        phi=("atrius",),
    ),
    Case("role-at-org", "Her oncologist is at Kestrelbrook Medical Group.", phi=("Kestrelbrook",)),
    Case("role-at-the-time", "Her PCP at the time was away; cardiologist at bedside.", keep=("time", "bedside")),
    Case("dr-from-abbreviation", "Dr. Chen from ID will follow.", phi=("Chen",), keep=("ID",)),
]

PLACEMENTS = [
    Case("word-of-town-lower", "discharged to sunrise of arlington tomorrow.", phi=("sunrise of arlington",)),
    Case("word-of-town-caps", "DISCHARGED TO SUNRISE OF ARLINGTON.", phi=("SUNRISE OF ARLINGTON",)),
    Case("rehab-at-word-of-town", "rehab at Brightview of Wakefield was discussed.", phi=("Brightview of Wakefield",)),
    Case("snf-at-word-of-town", "snf at hillcrest of natick has a bed.", phi=("hillcrest of natick",)),
    Case("at-word-of-town", "Outpatient PT at Sunrise of Arlington twice a week.", phi=("Sunrise of Arlington",)),
    Case("at-lower-word-of-town", "Pain worse at night of Arlington marathon day.", keep=("night",)),
    Case("history-of-town", "history of boston marathon injuries.", keep=("history",)),
    Case("of-town-without-move", "a resident of Arlington since 1990.", keep=("resident",)),
    Case("neighbourhood-square", "takes the bus to Mattapan Square for groceries.", phi=("Mattapan Square",)),
    Case("neighbourhood-lower", "he walks to roxbury crossing every morning.", phi=("roxbury crossing",)),
    Case("neighbourhood-commons", "She walks to Eastfield Commons after lunch.", phi=("Eastfield Commons",)),
    Case("walks-to-room", "pt walks to the bathroom with a walker.", keep=("bathroom", "walker")),
    Case("walks-to-therapy", "walks to physical therapy, drives to work.", keep=("physical", "therapy", "work")),
    Case("walks-around-unit", "walks around the unit x3 today.", keep=("unit",)),
]

COMPANIES = [
    Case("legal-suffix-plain-words", "Climate Corporation sponsored the event.", phi=("Climate Corporation",)),
    Case("legal-suffix-lower", "she is from stillwater supercomputing inc.", phi=("stillwater supercomputing inc",)),
    Case("suffix-without-words", "The Corporation is large.", keep=("Corporation",)),
    Case("maker-in-brackets", "an implanted pump (Medtronic Inc) was interrogated.", keep=("Medtronic",)),
    Case("maker-in-brackets-caps", "AN IMPLANTED PUMP (KESTRELTEK, INC.) WAS INTERROGATED.", keep=("KESTRELTEK",)),
]

POSTCODES = [
    Case("postcode-with-dash", "moved to Coimbra 3610-114 last spring.", phi=("Coimbra 3610-114",)),
    Case("dose-after-town", "Seen in Lowell 1000 mg daily started.", keep=("1000",)),
]

CASES = POSTCODES + HOSPITAL_LIST + CLINICIAN_ORGANISATION + PLACEMENTS + COMPANIES


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine(DeidConfig())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gazetteer_shapes(engine: DeidEngine, case: Case) -> None:
    assert_case(engine, case, inside=True)


def test_hospital_list_is_distinctive() -> None:
    """The shipped list holds names, words and initials, and none of its words is an everyday or medical
    word (those would fire in every note)."""
    assert ("beth", "israel", "deaconess") in HOSPITAL_NAMES["beth"]
    assert "lahey" in HOSPITAL_WORDS and "cmc" in HOSPITAL_INITIALS and "mgh" in HOSPITAL_INITIALS
    for word in ("hospital", "medical", "heart", "cancer", "general", "memorial", "care", "mary", "colo", "univ"):
        assert word not in HOSPITAL_WORDS
    lexicon = load_lexicon()
    for runs in HOSPITAL_NAMES.values():
        for run in runs:  # "sacred heart", "good shepherd": names of plain words are the facility rules'
            assert any(not lexicon.word_class(w) & WordClass.ENGLISH for w in run), run


def test_gazetteer_can_be_left_out() -> None:
    """The recognizer is one entry of the registry: without it "cmc ed" is not found by the list."""
    names = tuple(r for r in DeidConfig().recognizers if r != "gazetteer")
    spans = DeidEngine(DeidConfig(recognizers=names)).detect("pt brought to cmc ed by ems.")
    assert not any(s.source == "gazetteer" for s in spans)
    assert any(s.source == "gazetteer" for s in DeidEngine(DeidConfig()).detect("pt brought to cmc ed by ems."))


@pytest.mark.parametrize(
    ("text", "town", "code"),
    [
        ("a flat in Arendal 4844 near the harbour", "Arendal", "4844"),
        ("post to Tujetsch 7188 please", "Tujetsch", "7188"),
        ("sent to Annerstad 340 12 by mail", "Annerstad", "340 12"),
        ("moved to Lowell 2019 after the fire", "Lowell", None),  # a year
        ("moved to Lowell 1430 today", "Lowell", None),  # a time of day
        ("Lowell 1000 mg daily", "Lowell", None),  # a dose
        ("in Lowell 12345.6 units", "Lowell", None),  # a decimal
        ("back to Finard 4 0300", "Finard 4", None),  # a ward is no town
    ],
)
def test_postcode_after_a_town(text: str, town: str, code: str | None) -> None:
    """The refiner adds the postcode after a town already found, and nothing that only looks like one."""
    doc = Document(text, load_lexicon())
    start = text.index(town)
    subtype = "ward" if town[-1].isdigit() else "city"
    found = list(_TownPostcode().refine(doc, [Span(start, start + len(town), LOCATION, subtype, 0.8, "city")]))
    assert [text[s.start : s.end] for s in found] == ([code] if code else [])
