"""One note under review: the original with its detected identifiers highlighted by label colour, the
de-identified result beside it, and the controls to remove a span or add a missed one.

Selecting spans: click inside a highlighted identifier to select it (then "Remove identifier"), or drag
over text that was missed, choose a label and "Add as identifier". The editor only emits what the
reviewer asked for (``add_requested`` / ``remove_requested`` with ``(start, end, label)`` in Python
string offsets); the page applies the correction through the core and shows the record again.

Hazard: Qt text positions count UTF-16 code units, Python strings count code points; a note with a
character outside the Basic Multilingual Plane (an emoji, some CJK) would shift every offset after
it. ``_Offsets`` converts in both directions.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from appliance.deid.spans import LABELS

#: Background per label: light tints that keep dark text readable (contrast >= 7:1 with #1f2933).
LABEL_COLOURS: dict[str, str] = {
    "NAME": "#ffd8a8",
    "LOCATION": "#c3f0ca",
    "DATE": "#b8e4f9",
    "AGE": "#f8c8e8",
    "CONTACT": "#fff3a3",
    "ID": "#d6ccff",
}
SELECTED_BACKGROUND = "#9b2c2c"  # white on this: contrast 8:1
_REMOVE_TIP = "Keep the selected identifier's text as it is: it is not an identifier"
_ADD_TIP = "Replace the selected text as an identifier of the chosen label"
ORIGINAL_WITHHELD = "The original note is shown to reviewers and admins only."


class _Offsets:
    """Python string index <-> Qt (UTF-16) document position for one text."""

    def __init__(self, text: str) -> None:
        # Indices of characters that take two UTF-16 units; usually none.
        self._wide = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]

    def to_qt(self, index: int) -> int:
        return index + bisect_right(self._wide, index - 1)

    def to_py(self, position: int) -> int:
        index = position
        for wide in self._wide:
            if wide < index:
                index -= 1
            else:
                break
        return index


class ReviewEditor(QWidget):
    """Shows one record (``show_record``) and emits the reviewer's corrections."""

    add_requested = Signal(int, int, str)
    remove_requested = Signal(int, int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: dict[str, Any] | None = None
        self.selected_span: dict[str, Any] | None = None
        self._offsets = _Offsets("")
        self._editable = False

        self.header = QLabel("Choose a record from the queue.")
        self.header.setObjectName("recordHeader")
        legend = QHBoxLayout()
        legend.setSpacing(6)
        for label in LABELS:
            chip = QLabel(label.title())
            chip.setObjectName("chip")
            chip.setStyleSheet(f"background: {LABEL_COLOURS[label]};")
            chip.setToolTip(f"Identifiers labelled {label}")
            legend.addWidget(chip)
        legend.addStretch(1)

        self.original = QTextEdit()
        self.original.setObjectName("originalText")
        self.original.setAccessibleName("Original note with detected identifiers")
        self.original.setReadOnly(True)
        self.original.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                              | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.original.setTabChangesFocus(True)
        self.deidentified = QTextEdit()
        self.deidentified.setObjectName("deidentifiedText")
        self.deidentified.setAccessibleName("De-identified note")
        self.deidentified.setReadOnly(True)
        self.deidentified.setTabChangesFocus(True)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(10)
        for edit in (self.original, self.deidentified):
            edit.setFont(mono)
            edit.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.original.cursorPositionChanged.connect(self._selection_changed)
        self.original.selectionChanged.connect(self._selection_changed)

        left = self._titled("Original with detected identifiers", self.original)
        right = self._titled("De-identified result", self.deidentified)
        texts = QSplitter(Qt.Orientation.Horizontal)
        texts.addWidget(left)
        texts.addWidget(right)
        texts.setSizes([1, 1])
        texts.setChildrenCollapsible(False)

        self.selection_label = QLabel("")
        self.selection_label.setObjectName("hint")
        self.selection_label.setWordWrap(True)
        self.remove_button = QPushButton("Remove &identifier")
        self.remove_button.clicked.connect(self._remove)
        self.label_combo = QComboBox()
        self.label_combo.setAccessibleName("Label for the new identifier")
        self.label_combo.addItems(list(LABELS))
        self.add_button = QPushButton("&Add as identifier")
        self.add_button.clicked.connect(self._add)
        self.apply_all = QCheckBox("Apply to identical &spans")
        self.apply_all.setChecked(True)
        self.apply_all.setToolTip("Add (or remove) every occurrence of the same text in this note, not only the "
                                  "one selected: a name written three times is corrected once")
        actions = QHBoxLayout()
        actions.addWidget(self.remove_button)
        actions.addStretch(1)
        label_caption = QLabel("La&bel:")
        label_caption.setBuddy(self.label_combo)
        actions.addWidget(label_caption)
        actions.addWidget(self.label_combo)
        actions.addWidget(self.add_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addLayout(legend)
        layout.addWidget(texts, 1)
        # The tick box shares the selection's line (the buttons' row has no width to spare at 1280 px).
        selection_row = QHBoxLayout()
        selection_row.addWidget(self.selection_label, 1)
        selection_row.addWidget(self.apply_all)
        layout.addLayout(selection_row)
        layout.addLayout(actions)
        self.set_editable(False)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        caption = QLabel(title)
        caption.setObjectName("caption")
        caption.setWordWrap(True)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(caption)
        layout.addWidget(widget, 1)
        return box

    # -- showing ----------------------------------------------------------------------------------

    def show_record(self, record: dict[str, Any] | None) -> None:
        """Display ``record`` as returned by ``appliance.deid.service.review_record`` (None clears)."""
        self.record = record
        self.selected_span = None
        if record is None:
            self.header.setText("Choose a record from the queue.")
            self.original.clear()
            self.deidentified.clear()
            self._mark_selected()
            self._selection_changed()
            return
        withheld = record["original"] is None  # the user's role does not read originals
        self._offsets = _Offsets(record["original"] or "")
        spans = record["spans"]
        low = sum(1 for s in spans if float(s.get("confidence", 1.0)) < 0.8)
        state = "corrected" if record.get("corrected") else "not corrected"
        self.header.setText(f"<b>Record {record['record_id']}</b> · risk {float(record['risk']):.2f} · "
                            f"{len(spans)} identifiers ({low} low-confidence) · {state}")
        self.deidentified.setPlainText(record["deidentified"])
        if withheld:
            self.original.setPlainText(ORIGINAL_WITHHELD)
            self.original.setExtraSelections([])
            self._selection_changed()
            return
        self.original.setPlainText(record["original"])
        self._paint()
        self._mark_selected()
        self._selection_changed()

    def set_editable(self, editable: bool, why_not: str = "") -> None:
        """Whether corrections are possible at all; ``why_not`` becomes the disabled buttons' tooltip
        (e.g. the role rule, or "this version is already marked reviewed")."""
        self._editable = editable
        for button, tip in ((self.remove_button, _REMOVE_TIP), (self.add_button, _ADD_TIP)):
            button.setToolTip(tip if editable else why_not)
        self._selection_changed()

    def _paint(self) -> None:
        """Colour every span by label, in one edit block (one relayout instead of one per span)."""
        if self.record is None:
            return
        cursor = QTextCursor(self.original.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.setCharFormat(QTextCharFormat())
        for span in self.record["spans"]:
            fmt = QTextCharFormat()
            fmt.setBackground(QBrush(QColor(LABEL_COLOURS.get(span["label"], "#e0e0e0"))))
            fmt.setToolTip(_describe(span))
            cursor.setPosition(self._offsets.to_qt(span["start"]))
            cursor.setPosition(self._offsets.to_qt(span["end"]), QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(fmt)
        cursor.endEditBlock()

    def _mark_selected(self) -> None:
        """Show the selected span as an extra selection: it leaves the document (and its layout) alone."""
        marks: list[QTextEdit.ExtraSelection] = []
        span = self.selected_span
        if span is not None:
            mark = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.original.document())
            cursor.setPosition(self._offsets.to_qt(span["start"]))
            cursor.setPosition(self._offsets.to_qt(span["end"]), QTextCursor.MoveMode.KeepAnchor)
            mark.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setBackground(QBrush(QColor(SELECTED_BACKGROUND)))
            fmt.setForeground(QBrush(QColor("#ffffff")))
            mark.format = fmt
            marks.append(mark)
        self.original.setExtraSelections(marks)

    # -- selecting --------------------------------------------------------------------------------

    def select_range(self, start: int, end: int) -> None:
        """Select ``[start, end)`` of the original (Python offsets), as a mouse drag would."""
        cursor = self.original.textCursor()
        cursor.setPosition(self._offsets.to_qt(start))
        cursor.setPosition(self._offsets.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.original.setTextCursor(cursor)

    def click_at(self, index: int) -> None:
        """Put the caret at ``index`` (Python offset), as a click there would."""
        cursor = self.original.textCursor()
        cursor.setPosition(self._offsets.to_qt(index))
        self.original.setTextCursor(cursor)

    def selection(self) -> tuple[int, int] | None:
        cursor = self.original.textCursor()
        if not cursor.hasSelection():
            return None
        start = self._offsets.to_py(cursor.selectionStart())
        end = self._offsets.to_py(cursor.selectionEnd())
        return (start, end) if end > start else None

    def span_at(self, index: int) -> dict[str, Any] | None:
        if self.record is None or self.record["original"] is None:
            return None
        for span in self.record["spans"]:
            if span["start"] <= index < span["end"]:
                return dict(span)
        return None

    def _selection_changed(self) -> None:
        record = self.record
        chosen = self.selection()
        previous = self.selected_span
        if record is None or record["original"] is None:
            self.selected_span = None
            self.selection_label.setText("" if record is None else "Only reviewers and admins see the original and "
                                         "correct identifiers; the de-identified text is on the right.")
        elif chosen is not None:
            start, end = _trim(record["original"], *chosen)
            self.selected_span = None
            self.selection_label.setText(f"Selected text {start}–{end} ({end - start} characters): choose a label "
                                         "and “Add as identifier”." if end > start else "")
        else:
            index = self._offsets.to_py(self.original.textCursor().position())
            self.selected_span = self.span_at(index)
            self.selection_label.setText(
                f"Selected identifier: {_describe(self.selected_span)}" if self.selected_span
                else "Click a highlighted identifier to select it, or drag over text that was missed.")
        if (previous is None) != (self.selected_span is None) or (
                previous is not None and self.selected_span is not None and not _same(previous, self.selected_span)):
            self._mark_selected()
        self._update_buttons()

    def _update_buttons(self) -> None:
        # The page re-applies role gating after this; here only "is there something to act on".
        chosen = self.selection()
        self.remove_button.setEnabled(self._editable and self.selected_span is not None)
        self.add_button.setEnabled(self._editable and chosen is not None)
        self.label_combo.setEnabled(self._editable)

    # -- actions ----------------------------------------------------------------------------------

    def _remove(self) -> None:
        span = self.selected_span
        if span is not None:
            self.remove_requested.emit(int(span["start"]), int(span["end"]), str(span["label"]))

    def _add(self) -> None:
        chosen = self.selection()
        if chosen is None or self.record is None or self.record["original"] is None:
            return
        start, end = _trim(self.record["original"], *chosen)
        if end > start:
            self.add_requested.emit(start, end, self.label_combo.currentText())

    def additions(self, start: int, end: int, label: str) -> list[tuple[int, int, str]]:
        """The span asked for, and with "Apply to identical spans" every other occurrence of its text."""
        if self.record is None or not self.apply_all.isChecked():
            return [(start, end, label)]
        return identical_additions(self.record["original"], start, end, label, self.record["spans"])

    def removals(self, start: int, end: int, label: str) -> list[tuple[int, int, str]]:
        """The span to remove, and with "Apply to identical spans" every span of the same text and label."""
        if self.record is None or not self.apply_all.isChecked():
            return [(start, end, label)]
        return identical_removals(self.record["original"], start, end, label, self.record["spans"])


def identical_additions(text: str, start: int, end: int, label: str,
                        spans: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` and every other whole-word occurrence of ``text[start:end]`` that no span
    covers yet (an occurrence inside a longer word, "Ann" in "Annual", is not the same text)."""
    needle = text[start:end]
    found = [(start, end, label)]
    for match in re.finditer(re.escape(needle), text):
        s, e = match.span()
        if s == start:
            continue
        whole = (s == 0 or not text[s - 1].isalnum()) and (e == len(text) or not text[e].isalnum())
        covered = any(int(span["start"]) < e and s < int(span["end"]) for span in spans)
        if whole and not covered:
            found.append((s, e, label))
    return found


def identical_removals(text: str, start: int, end: int, label: str,
                       spans: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` and every other span with the same text and label."""
    needle = text[start:end]
    others = [(int(s["start"]), int(s["end"]), str(s["label"])) for s in spans
              if s["label"] == label and text[int(s["start"]):int(s["end"])] == needle
              and (int(s["start"]), int(s["end"])) != (start, end)]
    return [(start, end, label), *others]


def _describe(span: dict[str, Any] | None) -> str:
    if span is None:
        return ""
    subtype = f"/{span['subtype']}" if span.get("subtype") else ""
    source = span.get("source") or "?"
    return (f"{span['label']}{subtype} at {span['start']}–{span['end']} · found by {source} · "
            f"confidence {float(span.get('confidence', 1.0)):.2f}")


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["start"], a["end"], a["label"]) == (b["start"], b["end"], b["label"])


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A mouse drag often catches a space at either end; identifiers never start or end with one."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
