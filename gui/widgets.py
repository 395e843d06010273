"""Small widgets shared by the pages: a status banner, read-only tables and form helpers (the job panel
is ``gui.job_panel``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
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
