"""The Data page's look inside one dataset: its fields with value counts, and its records one by one.

Everything comes from ``appliance.data.browse``: the de-identified version tuning reads. Roles that
review de-identification may tick "Show the original" to see the imported text beside it (the core
checks the role and audits the reading).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from appliance.data import browse
from appliance.data.browse import FieldCount
from gui.widgets import fill_table, make_table, selected_key

PAGE_SIZE = 200


def values_text(count: FieldCount) -> str:
    """``cardiology 5, oncology 3, …`` or why no values are listed."""
    if not count.categorical:
        return f"free text ({count.distinct} different values)"
    shown = ", ".join(f"{value} {n}" for value, n in count.values)
    return shown + (", …" if count.distinct > len(count.values) else "")


def browse_state(ws: Any, dataset: str, original: bool) -> dict[str, Any]:
    """Field counts and the first page of records (one Op)."""
    return {"fields": browse.field_counts(ws, dataset),
            "page": browse.browse(ws, dataset, 0, PAGE_SIZE, original=original)}


class DatasetBrowser(QWidget):
    """Fields and records of one dataset; ``show_state`` fills it from ``browse_state``."""

    def __init__(self, may_see_originals: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[dict[str, Any]] = []
        self.title = QLabel("Choose a dataset to look inside it.")
        self.title.setObjectName("hint")
        self.title.setWordWrap(True)
        self.field_table = make_table(["Field", "Records", "Values (count)"], "fieldTable")
        self.record_table = make_table(["Record", "Note type", "Text (de-identified)"], "recordTable")
        self.record_table.itemSelectionChanged.connect(self._record_selected)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("recordText")
        self.text.setAccessibleName("Record text")
        self.original = QCheckBox("Show the &original beside it")
        self.original.setEnabled(may_see_originals)
        self.original.setToolTip("The imported text, before de-identification (the audit log records it)"
                                 if may_see_originals else "Only reviewers and admins see original notes")
        fields_box = QGroupBox("Fields")
        fields_layout = QVBoxLayout(fields_box)
        fields_layout.addWidget(self.field_table)
        records_box = QGroupBox("Records")
        records_layout = QVBoxLayout(records_box)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.record_table)
        split.addWidget(self.text)
        split.setChildrenCollapsible(False)
        records_layout.addWidget(split, 1)
        records_layout.addWidget(self.original)
        row = QSplitter(Qt.Orientation.Horizontal)
        row.addWidget(fields_box)
        row.addWidget(records_box)
        row.setSizes([420, 620])
        row.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        layout.addLayout(top)
        layout.addWidget(row, 1)

    def show_state(self, state: dict[str, Any]) -> None:
        page = state["page"]
        shown = len(page["records"])
        self.title.setText(f"{page['dataset']}: {page['total']} records in its de-identified version "
                           f"{page['version']}" + (f" (the first {shown} listed)" if shown < page["total"] else "")
                           + ". This is the text tuning reads.")
        fields: list[FieldCount] = state["fields"]
        fill_table(self.field_table, [[f.name, f.records, values_text(f)] for f in fields],
                   keys=[f.name for f in fields])
        keep = selected_key(self.record_table)
        self.records = page["records"]
        fill_table(self.record_table, [[r["record_id"], r["note_type"] or "no type",
                                        " ".join(r["text"].split())[:120]] for r in self.records],
                   keys=[r["record_id"] for r in self.records])
        self.text.setPlainText("")
        ids = [r["record_id"] for r in self.records]
        if ids:
            self.record_table.blockSignals(True)
            self.record_table.selectRow(ids.index(keep) if keep in ids else 0)
            self.record_table.blockSignals(False)
            self._record_selected()

    def clear(self, text: str) -> None:
        self.title.setText(text)
        fill_table(self.field_table, [])
        fill_table(self.record_table, [])
        self.records = []
        self.text.setPlainText("")

    def _record_selected(self) -> None:
        key = selected_key(self.record_table)
        record = next((r for r in self.records if r["record_id"] == key), None)
        if record is None:
            return
        fields = "\n".join(f"{k}: {v}" for k, v in sorted(record["fields"].items()))
        parts = [f"Record {record['record_id']} ({record['note_type'] or 'no type'})", fields, "",
                 "De-identified:", record["text"]]
        if "original" in record:
            parts += ["", "Original (as imported):", record["original"]]
        self.text.setPlainText("\n".join(p for p in parts if p is not None))
