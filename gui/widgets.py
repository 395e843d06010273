"""Small widgets shared by the pages: a status banner, read-only tables and form helpers (the job panel
is ``gui.job_panel``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)


class Banner(QLabel):
    """A one-line coloured status: ``ok`` (green), ``error`` (red), ``info`` (blue) or ``warn`` (amber).

    The state is the ``state`` dynamic property, styled by the application style sheet; the text
    always says the state in words too, so colour is never the only signal.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)

    @property
    def state(self) -> str:
        return str(self.property("state") or "")

    def show_state(self, state: str, text: str) -> None:
        self.setProperty("state", state)
        self.setText(text)
        # A dynamic property change does not re-apply the style sheet by itself.
        self.style().unpolish(self)
        self.style().polish(self)
        self.setVisible(True)

    def clear_state(self) -> None:
        self.setVisible(False)
        self.setText("")
        self.setProperty("state", "")


def make_table(headers: Sequence[str], name: str) -> QTableWidget:
    """A read-only, row-selecting table with sortable columns and the last column stretched."""
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside it
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[Any]], keys: Sequence[Any] | None = None) -> None:
    """Replace the table's rows. ``keys[i]`` is stored on row i's first cell (``Qt.UserRole``).

    Numbers are right-aligned; integers sort as numbers, floats show two decimals.
    """
    sorting = table.isSortingEnabled()
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem()
            if isinstance(value, float):
                item.setText(f"{value:.2f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            elif isinstance(value, int) and not isinstance(value, bool):
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            else:
                item.setText("" if value is None else str(value))
            if c == 0 and keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            table.setItem(r, c, item)
    table.setSortingEnabled(sorting)
    table.resizeColumnsToContents()
    if table.property(_FITTED):
        fit_columns(table)
    if table.property(_ROWS_SHOWN) is not None:
        fit_rows(table, int(table.property(_ROWS_SHOWN)))


_FITTED = "fitColumnsToWidth"
_ROWS_SHOWN = "rowsShown"


def fit_columns(table: QTableWidget) -> None:
    """Size the columns to their contents and headers; if that is wider than the table, narrow the columns
    whose contents are wider than their header (their text elides) so every header stays whole and no
    horizontal scrollbar hides the last columns. Only when even the headers do not fit does it scroll."""
    header = table.horizontalHeader()
    count = table.columnCount()
    if count == 0 or not table.isVisible():
        return  # the viewport's width is not known before the table is shown; the resize refits it
    floors = [header.sectionSizeHint(c) for c in range(count)]
    needed = [max(floors[c], table.sizeHintForColumn(c)) for c in range(count)]
    excess = sum(needed) - table.viewport().width()
    slack = [needed[c] - floors[c] for c in range(count)]
    widths = list(needed)
    if excess > 0 and sum(slack) > 0:
        take = min(excess, sum(slack))
        widths = [needed[c] - (take * slack[c] + sum(slack) - 1) // sum(slack) for c in range(count)]
    for column, width in enumerate(widths):
        # A stretched last section still fills what is left; its size here is the least it keeps when the
        # others take the whole width (Qt keeps its first size otherwise, often wider than the room left).
        header.resizeSection(column, width)


class _ColumnFitter(QObject):
    """Refits a table's columns whenever its viewport changes width (window resize, a scrollbar coming)."""

    def __init__(self, table: QTableWidget) -> None:
        super().__init__(table)
        self.table = table
        self.width = -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize and self.table.viewport().width() != self.width:
            self.width = self.table.viewport().width()
            fit_columns(self.table)
        return False


def fit_columns_to_width(table: QTableWidget) -> None:
    """Keep ``table``'s columns within its width from now on (see ``fit_columns``); rows filled by
    ``fill_table`` are refitted too. For tables with a few short columns, where a scrollbar would only
    hide the last header; wide free-text tables keep scrolling instead."""
    table.viewport().installEventFilter(_ColumnFitter(table))  # owned by the table
    table.setProperty(_FITTED, True)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    fit_columns(table)


def fit_rows(table: QTableWidget, most: int) -> None:
    """Make ``table`` exactly tall enough to show all its rows, up to ``most`` of them (then it scrolls),
    with room for the header and a horizontal scrollbar; ``fill_table`` keeps it so as rows change."""
    table.setProperty(_ROWS_SHOWN, most)
    shown = min(table.rowCount(), most)
    rows = sum(table.rowHeight(r) for r in range(shown)) if shown else table.verticalHeader().defaultSectionSize()
    height = (2 * table.frameWidth() + table.horizontalHeader().sizeHint().height() + rows
              + table.horizontalScrollBar().sizeHint().height())
    table.setMinimumHeight(height)
    table.setMaximumHeight(height if table.rowCount() <= most else 16_777_215)


def selected_key(table: QTableWidget) -> Any:
    """The key stored on the first cell of the selected row, or None."""
    rows = table.selectionModel().selectedRows()
    if not rows:
        return None
    item = table.item(rows[0].row(), 0)
    return None if item is None else item.data(Qt.ItemDataRole.UserRole)


def confirm(parent: QWidget, title: str, text: str, yes_text: str, on_yes: Callable[[], None]) -> QMessageBox:
    """Ask before an action that cannot be undone; ``on_yes`` runs only if the user agrees.

    Window-modal and non-blocking (``open``, not ``exec``): no nested event loop runs inside the
    caller. Returns the box so tests can press its buttons.
    """
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("confirmDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        if box.clickedButton() is yes:
            on_yes()

    box.finished.connect(finished)
    box.open()
    return box


def buddy(text: str, widget: QWidget) -> QLabel:
    """A form label whose mnemonic (``&``) moves the focus to ``widget``."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def refill_combo(combo: QComboBox, items: Sequence[str]) -> None:
    """Replace a combo box's items, keeping the current one if it is still there (no signals)."""
    current = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(list(items))
    if current in items:
        combo.setCurrentText(current)
    combo.blockSignals(False)


def refill_items(combo: QComboBox, items: Sequence[tuple[str, str, str]], default: str | None = None) -> None:
    """Replace a combo box's (text, data, tooltip) items, keeping the current data if it is still there,
    else choosing ``default``'s item, else the first (no signals)."""
    keep = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for text, data, tip in items:
        combo.addItem(text, data)
        combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(keep) if keep else -1
    if index < 0 and default:
        index = combo.findData(default)
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def gate_items(combo: QComboBox, why_not: Callable[[Any], str]) -> None:
    """Enable each item of ``combo`` for which ``why_not(its data)`` is empty; a disabled item's tooltip
    is that reason. The current item is left as it is: move it off a disabled one yourself."""
    model = combo.model()
    assert isinstance(model, QStandardItemModel)  # what a QComboBox makes unless given another model
    for index in range(combo.count()):
        why = why_not(combo.itemData(index))
        item = model.item(index)
        item.setEnabled(not why)
        item.setToolTip(why)
