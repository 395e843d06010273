"""The import wizard (shows the guessed CSV column mapping, report) and the dataset list with its counts.

The guessing itself is tested in tests/ingest/test_ingest_preview.py."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from PySide6.QtCore import Qt

from gui.pages.data import DataPage
from gui.pages.import_wizard import NONE
from tests.gui.conftest import wait_ops, write_mapped_csv


def test_import_wizard_maps_csv_columns_and_reports(qtbot, ws_path: Path, tmp_path: Path, open_session) -> None:
    source = tmp_path / "clinic.csv"
    rows = write_mapped_csv(source, n=10, bad_row=4)
    page = DataPage(open_session(ws_path, "ivy"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    assert page.import_button.isEnabled() and page.empty.isVisible()

    wizard = page.open_wizard()
    wizard.set_source(source)
    qtbot.waitUntil(wizard.import_button.isEnabled, timeout=10_000)
    assert "CSV" in wizard.format_label.text()
    assert wizard.mapping_box.isVisible()
    assert wizard.preview.rowCount() == 5 and wizard.preview.columnCount() == 5
    assert wizard.mapping() == {"text_col": "note_text", "patient_col": "mrn", "id_col": "document_id",
                                "date_col": "service_date", "type_col": "category"}
    assert wizard.dataset.text() == "clinic"

    # A reviewer-style choice: leave the note type unmapped; it then lands in metadata, not note_type.
    wizard.combos["type_col"].setCurrentText(NONE)
    qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.banner.state in ("ok", "warn", "error"), timeout=20_000)
    assert wizard.banner.state == "warn"
    assert "Imported 9 notes into 'clinic'" in wizard.banner.text()
    assert "1 rejected" in wizard.banner.text()
    assert wizard.rejected_table.rowCount() == 1
    assert "missing patient id (column 'mrn')" in wizard.rejected_table.item(0, 2).text()
    assert wizard.progress.value() == wizard.progress.maximum()

    wait_ops(qtbot)
    assert [info.name for info in page.infos] == ["clinic"]
    info = page.infos[0]
    kept = [r for i, r in enumerate(rows) if i != 4]
    assert info.records == 9 and info.patients == len({r["patient_id"] for r in kept})
    assert info.note_types == {"?": 9}
    assert page.table.rowCount() == 1 and page.table.item(0, 1).data(Qt.ItemDataRole.DisplayRole) == 9

    # Same file again, with the type mapped and Strict on: refused as a whole, nothing changes.
    wizard.combos["type_col"].setCurrentText("category")
    wizard.dataset.setText("clinic2")
    wizard.strict.setChecked(True)
    qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.banner.state == "error", timeout=20_000)
    assert "Nothing imported" in wizard.banner.text()
    page.refresh()
    wait_ops(qtbot)
    assert [info.name for info in page.infos] == ["clinic"]

    # Strict off: the note types now come from the mapped column.
    wizard.strict.setChecked(False)
    qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.banner.state == "warn", timeout=20_000)
    wait_ops(qtbot)
    second = next(i for i in page.infos if i.name == "clinic2")
    assert second.note_types == dict(Counter(r["note_type"] for r in kept))


def test_import_is_disabled_for_reviewers_with_a_reason(qtbot, ws_path: Path, open_session) -> None:
    page = DataPage(open_session(ws_path, "rex"))
    qtbot.addWidget(page)
    assert not page.import_button.isEnabled()
    assert page.import_button.toolTip() == "Informaticists and admins import notes"
