"""Medical literature is not a patient's record: eponyms, study sites, study periods and reagent codes
stay, while a record written with the same words keeps its identifiers. All text here is invented."""

from __future__ import annotations

import pytest

from appliance.deid import DeidEngine
from appliance.deid.register import reads_as_literature

ABSTRACT = (
    "Columnar (Barrett) metaplasia after fundoplication: a retrospective study. Between March 2001 and "
    "June 2004, 84 consecutive patients were treated at Westbrook Hospital in Philadelphia. The ionophore "
    "Q44187 and the antagonist SQ31120 were given; 36% (5/14) of the Judkins group responded. Results were "
    "compared with the Framingham cohort (P less than 0.01). CONCLUSIONS: Whipple resection remains safe."
)


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine()


def test_an_abstract_reads_as_literature_in_any_case() -> None:
    assert reads_as_literature(ABSTRACT)
    assert reads_as_literature(ABSTRACT.upper())


@pytest.mark.parametrize("text", [ABSTRACT, ABSTRACT.upper()])
def test_an_abstract_keeps_eponyms_sites_periods_and_codes(engine: DeidEngine, text: str) -> None:
    found = [(text[s.start : s.end], s.label) for s in engine.detect(text)]
    assert found == []


def test_a_record_with_the_same_words_keeps_its_identifiers(engine: DeidEngine) -> None:
    note = (
        "MRN: 40718832\nMr. Halvorsen was treated at Westbrook Hospital in Philadelphia between March 2001 "
        "and June 2004. We reviewed 3 prior studies; results were compared with the outside films."
    )
    assert not reads_as_literature(note)
    found = {note[s.start : s.end] for s in engine.detect(note)}
    assert {"40718832", "Halvorsen", "Westbrook Hospital", "Philadelphia", "March 2001", "June 2004"} <= found


def test_literature_keeps_contact_details_and_full_dates(engine: DeidEngine) -> None:
    text = (
        "We studied 40 patients with Barrett metaplasia; results were significant (P less than 0.05). "
        "The registry closed on 14 March 2003. Correspondence: tel. 617-555-0143, h.voss@example.org."
    )
    assert reads_as_literature(text)
    found = {(text[s.start : s.end], s.label) for s in engine.detect(text)}
    assert ("14 March 2003", "DATE") in found
    assert ("617-555-0143", "CONTACT") in found
    assert ("h.voss@example.org", "CONTACT") in found
    assert not any(piece == "Barrett" for piece, _ in found)


def test_literature_leaves_a_study_period_of_full_dates(engine: DeidEngine) -> None:
    text = (
        "We reviewed 212 consecutive patients referred between 3 January 1994 and 28 June 1996; "
        "results were significant (P less than 0.01)."
    )
    assert engine.detect(text) == []


def test_a_letter_or_a_nursing_note_is_not_literature() -> None:
    assert not reads_as_literature("Dear Ms. Ferreira, your appointment with Dr. Okafor is on 3/14 at 10am.")
    assert not reads_as_literature("PT AWAKE, MAE. SON JOHN CALLED 555-0199. TO CT 9/7. VENT 10/5 FIO2 40%.")
    # One kind of research phrasing alone is not enough: "results" in a note is a lab result.
    assert not reads_as_literature("pt seen by ortho. results of xray pending, 2 samples sent to lab.")
