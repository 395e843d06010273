"""The Data page looks inside a dataset: fields with value counts (the de-identified version's) and
its records, de-identified; originals only for reviewers and admins, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.data import browse
from appliance.errors import PermissionDenied
from appliance.workspace import Workspace
from gui.pages.data import DataPage
from tests.conftest import PASSWORDS
from tests.gui.conftest import NOTES, wait_ops


def open_page(qtbot, session) -> DataPage:
    page = DataPage(session)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    wait_ops(qtbot)  # the first dataset is selected, then browsed
    return page


def test_fields_and_records_are_the_deidentified_ones(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "ivy"))
    browser = page.browser
    assert not browser.original.isEnabled()
    assert browser.original.toolTip() == "Only reviewers and admins see original notes"
    fields = {browser.field_table.item(r, 0).text(): browser.field_table.item(r, 2).text()
              for r in range(browser.field_table.rowCount())}
    with Workspace.open(deid_ws, "ivy", PASSWORDS["ivy"]) as ws:
        counts = {f.name: f for f in browse.field_counts(ws, "ward")}
        first = browse.browse(ws, "ward", 0, 1)["records"][0]
        with pytest.raises(PermissionDenied):
            browse.browse(ws, "ward", 0, 1, original=True)
    specialty = counts["specialty"]
    assert specialty.categorical and sum(n for _, n in specialty.values) == specialty.records <= NOTES
    assert fields["specialty"].startswith(f"{specialty.values[0][0]} {specialty.values[0][1]}")
    assert "note_type" in fields and browser.record_table.rowCount() == NOTES
    assert browser.text.toPlainText().startswith(f"Record {first['record_id']}")
    assert first["text"] in browser.text.toPlainText() and "Original" not in browser.text.toPlainText()
    assert "original" not in first


def test_a_reviewer_may_show_the_original_and_it_is_audited(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "rex"))
    assert page.browser.original.isEnabled()
    page.browser.original.setChecked(True)
    wait_ops(qtbot)
    assert "Original (as imported):" in page.browser.text.toPlainText()
    with Workspace.open(deid_ws, "admin", PASSWORDS["admin"]) as ws:
        entries = list(ws.audit_entries(action="data.originals_viewed"))
    assert len(entries) == 1 and len(entries[0].details["records"]) == NOTES
