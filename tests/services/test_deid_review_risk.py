"""Review risk: doubts read around the spans (a name running into an ordinary word, names and long
numbers no span covers, rules disagreeing at one stretch, a name of dictionary words), so the review
queue orders notes even when every recognizer reports the same confidence."""

from __future__ import annotations

from pathlib import Path

from appliance.deid.service import review_doubts, review_queue, review_risk, run_deid
from appliance.deid.spans import Span
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

NOTE = "Seen by Dr. Helen Carter to review the films. BP 122/76."


def name(text: str, words: str, confidence: float = 0.95) -> Span:
    start = text.index(words)
    return Span(start, start + len(words), "NAME", None, confidence, "test")


def test_a_name_that_runs_into_an_ordinary_word_is_a_doubt() -> None:
    right, run_on = name(NOTE, "Helen Carter"), name(NOTE, "Helen Carter to")
    assert review_doubts(NOTE, [right]).total == 0
    assert review_doubts(NOTE, [run_on]).run_on == 1
    assert review_risk(NOTE, [run_on]) > review_risk(NOTE, [right])  # same confidence, different priority


def test_uncovered_names_and_long_numbers_are_doubts_blood_pressures_are_not() -> None:
    text = "Discussed with Marisa Shaffer at the bedside. Chart 48213377 reviewed. BP 135/80, HR 72."
    doubts = review_doubts(text, [])
    assert (doubts.unmarked_names, doubts.unmarked_numbers) == (2, 1)
    covered = [name(text, "Marisa Shaffer"), Span(text.index("48213377"), text.index("48213377") + 8, "ID")]
    assert review_doubts(text, covered).total == 0
    # Sentence-initial capitals and ordinary words are not names: "Discussed", "Chart".
    assert review_doubts("Discussed at rounds. Chart reviewed.", []).total == 0


def test_touching_spans_of_different_labels_and_dictionary_names_are_doubts() -> None:
    text = "Transferred from Mercy Hospital Boston yesterday."
    clash = [name(text, "Mercy Hospital"), Span(text.index("Boston"), text.index("Boston") + 6, "LOCATION")]
    assert review_doubts(text, clash).clashes == 1
    text = "Seen for Chest Pressure since noon."
    assert review_doubts(text, [name(text, "Chest Pressure")]).dictionary_names == 1


def test_the_review_queue_orders_by_the_new_risk(notes_ws: Path) -> None:
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        version = run_deid(ws, "ward")["version"]
        queue = review_queue(ws, version, limit=100)
    risks = [row["risk"] for row in queue]
    assert len(queue) == 24 and risks == sorted(risks, reverse=True)
    assert len(set(risks)) >= 12  # the queue tells notes apart instead of one value for all
