"""Identifiers of general English text (letters, chats, addresses written the world over): speakers at the
start of chat lines, companies named in plain words before a business word, and house-number-first
streets in any case.

Every example is invented for this test; each table has negative cases: section headers, nursing
shorthand in capitals, clinical words.
"""

from __future__ import annotations

import pytest

from appliance.deid import DeidConfig, DeidEngine
from appliance.deid.spans import NAME
from tests.deid.test_deid_real_shapes import Case, assert_case

SPEAKERS = [
    Case("chat-unknown-name", "Zorvath: hi there\nMaribel: hello, how are you?", phi=("Zorvath", "Maribel")),
    Case("chat-quoted", 'Vetrolov: "Who is calling?"\nAnnika:"It is me".', phi=("Vetrolov", "Annika")),
    Case("chat-indented", "  Dariusz: see you at noon\n  Ottilie: fine", phi=("Dariusz", "Ottilie")),
    Case("one-line-is-a-label", "Zorvath: hi there, all good.", keep=("Zorvath",)),
    Case("title-case-headers", "Plan: continue lasix\nNeuro: intact\nAssessment: stable", keep=("Plan", "Neuro")),
    Case("caps-headers", "NEURO: A&O x3, MAE\nPLAN: d/c home in am\nRESP: LS clear", keep=("NEURO", "PLAN", "RESP")),
    Case("shorthand-headers", "Shx: no etoh\nSlp: eval done\nFhx: none", keep=("Shx", "Slp", "Fhx")),
    Case(
        "record-fields-other-language",
        "Nombre: Victor.\nApellidos: Pose Sanz.\nDomicilio: C/ Mayor 3.\nServicio: Alergología.",
        keep=("Nombre", "Apellidos", "Domicilio", "Servicio"),
    ),
    Case("drug-list", "Lasix: 40 mg daily\nXarelto: 20 mg daily", keep=("Lasix", "Xarelto")),
    Case(
        "headers-outnumber-unknowns",
        "Hpi: chest pain\nGen: nad\nAbd: soft\nZorvath: none\nPlan: home\nQelbrin: pending",
        keep=("Zorvath", "Qelbrin", "Hpi", "Gen"),
    ),
]

COMPANIES = [
    Case("plain-word-software", "Tableau Software sponsored the concert.", phi=("Tableau Software",)),
    Case("plain-words-solutions", "She joined Bright Harbor Solutions in May.", phi=("Bright Harbor Solutions",)),
    Case("clinical-word-software", "Clinical Decision Support Software was used.", keep=("Clinical", "Software")),
    Case("control-group", "The Control Group improved.", keep=("Control", "Group")),
    Case("health-technologies", "Digital Health Technologies were reviewed.", keep=("Health", "Technologies")),
]

STREETS = [
    Case("rue-lower", "his address: 36 rue de pologne, Lyon", phi=("36 rue de pologne",)),
    Case("two-numbers-rue", "drops you off at 70248 31 Rue tachkent daily", phi=("70248 31 Rue tachkent",)),
    Case("rue-lower-name", "lives at 26 rue des lieutemants Thomazo", phi=("26 rue des lieutemants Thomazo",)),
    Case("hungarian-lower", "enter on hegyalja út 98. first door", phi=("hegyalja út 98",)),
    Case(
        "unit-lower-after-street",
        "mail to 2613 avenida praia 1 suite 463 today",
        phi=("2613 avenida praia 1 suite 463",),
    ),
    Case("unit-lower-alone", "moved to suite 4 after the procedure; pt in apt 3.", keep=("suite", "apt")),
    Case("rue-herb", "Take 2 rue tablets at night.", keep=("rue", "tablets")),
    Case("rue-then-word", "meet at 31 Rue tachkent daily", phi=("31 Rue tachkent",), keep=("daily",)),
    Case("calle-word", "given 2 calle pain meds", keep=("calle", "pain")),
]

CASES = SPEAKERS + COMPANIES + STREETS


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine(DeidConfig())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_general_text_shapes(engine: DeidEngine, case: Case) -> None:
    assert_case(engine, case, inside=True)


def test_speaker_is_a_name_from_its_own_recognizer(engine: DeidEngine) -> None:
    text = "Zorvath: hi there\nQelbrin: hello"
    spans = [s for s in engine.detect(text) if s.source == "speaker"]
    assert [(text[s.start : s.end], s.label) for s in spans] == [("Zorvath", NAME), ("Qelbrin", NAME)]
    names = tuple(r for r in DeidConfig().recognizers if r != "speaker")
    assert not any(s.source == "speaker" for s in DeidEngine(DeidConfig(recognizers=names)).detect(text))
