"""The dialogs of the Models page's decisions: a note for a rejection, and for an approval the note plus
the run's held-out score beside the baselines of the same snapshot and task.

When the core's baseline gate refuses the run (it scores below the best baseline by more than its 95 %
interval and the margin), the approval dialog says so and approves only if the reviewer ticks the
override, which the audit log records with the gate's sentence.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


def score_text(score: Any, records: Any, interval: Any) -> str:
    """``0.812 (95% 0.70–0.89, 40 records)``; the interval is left out when unknown."""
    if not isinstance(score, int | float):
        return "no score"
    extra = [f"95% {interval[0]:.2f}–{interval[1]:.2f}"] if interval else []
    if records:
        extra.append(f"{records} test records")
    return f"{score:.3f}" + (f" ({', '.join(extra)})" if extra else "")


def comparison_text(comparison: dict[str, Any]) -> str:
    """The run's score and each baseline's, in lines (the approval dialog's summary)."""
    run = comparison.get("run") or {}
    metric = comparison.get("metric_name") or "metric"
    lines = [f"This run ({run.get('method', '?')}): {metric} "
             f"{score_text(run.get('score'), run.get('records'), run.get('interval'))}"]
    baselines = comparison.get("baselines") or []
    if not baselines:
        lines.append("No evaluated baseline on the same snapshot and task: run a comparison on the Compare page "
                     "to see whether a language model is needed at all.")
    for b in baselines:
        name = b["method"] + (f" {b['k']}-shot" if b.get("k") is not None else "")
        lines.append(f"Baseline {name}: {metric} {score_text(b['score'], b['records'], b.get('interval'))}")
    return "\n".join(lines)


class NoteDialog(QDialog):
    """Asks for a note (and optionally a registry name) before approving or rejecting; ``submitted``
    carries ``(note, name)``. Window-modal and opened with ``open()`` (no nested event loop)."""

    submitted = Signal(str, str)

    def __init__(self, title: str, text: str, verb: str, parent: QWidget, name_hint: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("noteDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(560, 320)
        intro = QLabel(text)
        intro.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("What you checked, and against what")
        self.note.setTabChangesFocus(True)
        self.name = QLineEdit()
        self.name.setAccessibleName("Registry name")
        self.name.setPlaceholderText(f"default: {name_hint}" if name_hint else "")
        self.name.setToolTip("Approved runs are published as numbered versions of this name")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton(verb, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setEnabled(False)
        self.note.textChanged.connect(self._update_ok)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        note_label = QLabel("&Note")
        note_label.setBuddy(self.note)
        self.form.addRow(note_label, self.note)
        if name_hint is not None:
            name_label = QLabel("Na&me")
            name_label.setBuddy(self.name)
            self.form.addRow(name_label, self.name)
        else:
            self.name.setVisible(False)
        self.body = QVBoxLayout(self)
        self.body.addWidget(intro)
        self.body.addLayout(self.form, 1)
        self.body.addWidget(buttons)

    def ready(self) -> bool:
        return bool(self.note.toPlainText().strip())

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(self.ready())

    def _submit(self) -> None:
        if not self.ready():
            return
        self.submitted.emit(self.note.toPlainText().strip(), self.name.text().strip())
        self.accept()


class ApprovalDialog(NoteDialog):
    """The approval note, name, the comparison with the baselines and, when the baseline gate refuses,
    the override tick box without which Approve stays disabled."""

    def __init__(self, text: str, comparison: dict[str, Any], parent: QWidget, name_hint: str) -> None:
        super().__init__("Approve a model", text, "Approve", parent, name_hint=name_hint)
        self.resize(600, 420)
        self.failure = str(comparison.get("failure") or "")
        self.summary = QLabel(comparison_text(comparison))
        self.summary.setObjectName("comparisonSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.insertWidget(1, self.summary)
        self.override = QCheckBox("Approve although it scores below the best baseline (the audit log records this)")
        self.override.setVisible(bool(self.failure))
        self.override.toggled.connect(self._update_ok)
        if self.failure:
            warning = QLabel(f"Below the baseline: {self.failure}.")
            warning.setObjectName("warning")
            warning.setWordWrap(True)
            self.body.insertWidget(2, warning)
            self.body.insertWidget(3, self.override)

    def ready(self) -> bool:
        return super().ready() and (not self.failure or self.override.isChecked())
