"""A settings form generated from a config dataclass: one row per field, its help text as the tooltip.

The core keeps every setting's default, type and help text in one dataclass (``TuneConfig``,
``ServeConfig``); this form reads them from there, so a field added to the core appears in the GUI
with its help and nothing here changes. Validation stays in the core: ``values()`` only converts the
text the user typed into the field's type, and the page builds the dataclass to check the rest.

Field types are read from the annotation text (the core modules use ``from __future__ import
annotations``): ``int``, ``float``, ``bool``, ``str`` (a combo box when ``choices`` names its values)
and ``list[str] | None`` (comma-separated; empty means None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import MISSING, fields
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from appliance.errors import InvalidInput

INT_MAX = 2_000_000_000


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _format_float(value: float) -> str:
    return f"{value:g}"


class DataclassForm(QWidget):
    """Rows for the fields of ``cls`` (except ``skip``), in declaration order.

    ``changed`` is emitted whenever the user edits a value. ``mark_differences(base)`` shows in bold
    the fields whose value differs from ``base`` (e.g. the preset the user started from).
    """

    changed = Signal()

    def __init__(self, cls: type, *, skip: Sequence[str] = (), choices: Mapping[str, Sequence[str]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._choices = dict(choices or {})
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._types: dict[str, str] = {}
        self._defaults: dict[str, Any] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setContentsMargins(4, 4, 4, 4)
        for f in fields(cls):
            if f.name in skip:
                continue
            kind = str(f.type).replace(" ", "")
            editor = self._editor(f.name, kind)
            help_text = str(f.metadata.get("help", ""))
            editor.setToolTip(help_text)
            editor.setAccessibleName(_label(f.name))
            editor.setAccessibleDescription(help_text)
            editor.setObjectName(f"field-{f.name}")
            label = QLabel(_label(f.name))
            label.setBuddy(editor)
            label.setToolTip(help_text)
            layout.addRow(label, editor)
            self.editors[f.name], self.labels[f.name], self._types[f.name] = editor, label, kind
            if f.default is not MISSING:
                self._defaults[f.name] = f.default
            elif f.default_factory is not MISSING:
                self._defaults[f.name] = f.default_factory()
        self.set_values(self._defaults)

    def _editor(self, name: str, kind: str) -> QWidget:
        if kind == "bool":
            box = QCheckBox()
            box.toggled.connect(self.changed)
            return box
        if kind == "int":
            spin = QSpinBox()
            spin.setRange(0, INT_MAX)
            spin.setAccelerated(True)
            spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel must not focus it (see gui.wheel)
            spin.valueChanged.connect(self.changed)
            return spin
        if kind == "str" and name in self._choices:
            combo = QComboBox()
            combo.addItems(list(self._choices[name]))
            combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            combo.currentIndexChanged.connect(self.changed)
            return combo
        edit = QLineEdit()
        if kind.startswith("list"):
            edit.setPlaceholderText("comma-separated; empty = default")
        edit.textEdited.connect(self.changed)
        return edit

    # -- values -----------------------------------------------------------------------------------

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (fields not named keep their value); emits no ``changed``."""
        for name, value in values.items():
            editor = self.editors.get(name)
            if editor is None:
                continue
            editor.blockSignals(True)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QLineEdit):
                if value is None:
                    editor.setText("")
                elif isinstance(value, list | tuple):
                    editor.setText(", ".join(str(v) for v in value))
                elif isinstance(value, float):
                    editor.setText(_format_float(value))
                else:
                    editor.setText(str(value))
            editor.blockSignals(False)

    def values(self) -> dict[str, Any]:
        """Every field's value in its type. Raises InvalidInput naming a field whose text is not a number."""
        out: dict[str, Any] = {}
        for name, editor in self.editors.items():
            kind = self._types[name]
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QSpinBox):
                out[name] = editor.value()
            elif isinstance(editor, QComboBox):
                out[name] = editor.currentText()
            elif isinstance(editor, QLineEdit):
                text = editor.text().strip()
                if kind == "float":
                    try:
                        out[name] = float(text)
                    except ValueError:
                        raise InvalidInput(f"{_label(name)}: '{text}' is not a number") from None
                elif kind.startswith("list"):
                    items = [part.strip() for part in text.split(",") if part.strip()]
                    out[name] = items or None
                else:
                    out[name] = text
        return out

    def set_enabled_fields(self, enabled: Mapping[str, bool], why_not: str = "") -> None:
        """Enable or disable single rows; a disabled row's tooltip says ``why_not`` before its help."""
        for name, on in enabled.items():
            editor, label = self.editors.get(name), self.labels.get(name)
            if editor is None or label is None:
                continue
            editor.setEnabled(on)
            label.setEnabled(on)
            help_text = editor.accessibleDescription()
            tip = help_text if on or not why_not else f"{why_not}. {help_text}"
            editor.setToolTip(tip)
            label.setToolTip(tip)

    def mark_differences(self, base: Mapping[str, Any]) -> list[str]:
        """Bold the labels of fields whose value differs from ``base``; returns their names."""
        try:
            current = self.values()
        except InvalidInput:
            return []
        different = []
        for name, label in self.labels.items():
            differs = name in base and _normal(current.get(name)) != _normal(base[name])
            font = QFont(label.font())
            font.setBold(differs)
            label.setFont(font)
            if differs:
                different.append(name)
        return different


def _normal(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float):
        return round(value, 12)
    return value
