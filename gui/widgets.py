"""Small widgets shared by the pages: a status banner, a job progress panel, read-only tables and form
helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
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


class JobSource(Protocol):
    """What ``JobPanel`` follows: a ``gui.jobs.JobRunner`` or ``gui.jobs.JobWatcher``."""

    started: SignalInstance
    progress: SignalInstance
    finished: SignalInstance

    def cancel(self) -> None: ...


class JobPanel(QWidget):
    """Progress bar, status text and a Cancel button for one job at a time.

    ``unit`` names what a step counts when the event does not say (``"steps"`` for training);
    ``describe(event)``, if given, adds a few words after the count (e.g. loss and speed).
    """

    def __init__(self, label: str, parent: QWidget | None = None, unit: str = "records",
                 describe: Callable[[dict[str, Any]], str] | None = None) -> None:
        super().__init__(parent)
        self._label = label
        self._unit = unit
        self._describe = describe
        self._source: JobSource | None = None
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(160)
        self.bar.setAccessibleName(f"{label} progress")
        self.status = QLabel("")
        self.status.setObjectName("jobStatus")
        self.status.setWordWrap(True)  # long progress lines wrap instead of widening the window
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the job at its next safe point; nothing is half-written")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 2)
        layout.addWidget(self.status, 3)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    def follow(self, source: JobSource) -> None:
        if self._source is not None:
            for signal, slot in ((self._source.progress, self._on_progress),
                                 (self._source.finished, self._on_finished)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass  # already disconnected, or the source is gone
        self._source = source
        source.progress.connect(self._on_progress)
        source.finished.connect(self._on_finished)
        self.bar.setRange(0, 0)  # busy until the first step count arrives
        self.status.setText(f"{self._label}: starting…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.setVisible(True)

    def set_label(self, label: str, unit: str = "records",
                  describe: Callable[[dict[str, Any]], str] | None = None) -> None:
        """Name the next job this panel follows (one panel may show different kinds in turn)."""
        self._label, self._unit, self._describe = label, unit, describe
        self.bar.setAccessibleName(f"{label} progress")

    def note(self, text: str) -> None:
        """Say what the job is doing before it counts steps (e.g. a tune job's stage)."""
        if self.cancel_button.isEnabled():
            self.status.setText(f"{self._label}: {text}")

    def _cancel(self) -> None:
        if self._source is not None:
            self._source.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def _on_progress(self, event: dict[str, Any]) -> None:
        step, total = int(event.get("step", 0) or 0), int(event.get("total", 0) or 0)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(step, total))
            rate = event.get("rate")
            unit = event.get("unit", self._unit)
            extra = f" · {rate}/s" if rate else ""
            if self._describe is not None:
                described = self._describe(event)
                extra += f" · {described}" if described else ""
            self.status.setText(f"{self._label}: {step} of {total} {unit}{extra}")
        else:
            self.bar.setRange(0, 0)
            self.status.setText(f"{self._label}: running (started earlier; progress shows when it ends)")

    def _on_finished(self, event: dict[str, Any]) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        name = event.get("event")
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if name == "done" else 0)
        if name == "done":
            self.status.setText(f"{self._label}: finished")
        elif name == "cancelled":
            self.status.setText(f"{self._label}: cancelled; nothing was half-written")
        else:
            self.status.setText(f"{self._label}: failed — {event.get('message', 'no reason given')}")


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
