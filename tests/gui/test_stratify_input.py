""""Stratify splits by" on the Tune and Compare pages: a chosen column goes into the request the page sends
to the core (and into the equivalent command); left empty, the request asks for a plain patient-level split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.compare import CompareRequest
from appliance.tune.service import TuneRequest
from tests.gui.test_compare_page import open_page as open_compare
from tests.gui.test_tune_page import open_page as open_tune


def capture_starts(page) -> list[tuple[str, dict[str, Any]]]:
    """Record the jobs the page starts instead of running them."""
    started: list[tuple[str, dict[str, Any]]] = []
    page.job_panel.start = lambda kind, params: started.append((kind, params)) or "job-1"
    return started


def test_tune_sends_the_chosen_stratify_field_or_none(qtbot, tiny_ws: Path, open_session) -> None:
    page = open_tune(qtbot, open_session(tiny_ws, "ivy"))
    offered = [page.stratify_field.itemData(i) for i in range(page.stratify_field.count())]
    assert offered[0] == "" and "specialty" in offered and "text" not in offered  # free text is no stratum
    assert page.stratify_field.currentIndex() == 0 and page.stratify_field.currentText().startswith("none")
    started = capture_starts(page)

    page.start()
    assert started[-1][0] == "tune"
    request = started[-1][1]["request"]
    assert request["stratify_field"] is None
    assert TuneRequest(**request).stratify_field is None
    assert "--stratify-field" not in page.command.toPlainText()

    page.stratify_field.setCurrentIndex(offered.index("specialty"))
    assert "--stratify-field specialty" in page.command.toPlainText()
    page.start()
    request = started[-1][1]["request"]
    assert request["stratify_field"] == "specialty"
    assert TuneRequest(**request).stratify_field == "specialty"
    assert len(started) == 2


def test_compare_sends_the_typed_stratify_field_or_none(qtbot, evaluated_ws: Path, open_session) -> None:
    page = open_compare(qtbot, open_session(evaluated_ws, "ivy"))
    assert page.stratify_field.text() == "" and page.stratify_field.placeholderText().startswith("none")
    started = capture_starts(page)

    page.run_comparison()
    assert started[-1][0] == "compare"
    assert started[-1][1]["request"]["stratify_field"] is None

    page.stratify_field.setText(" specialty ")
    page.run_comparison()
    request = started[-1][1]["request"]
    assert request["stratify_field"] == "specialty"
    assert CompareRequest(**request).stratify_field == "specialty"
    assert len(started) == 2
