"""The "Run a comparison" form of the Compare page, and the progress line of a running comparison.

Defaults that cannot start uncapped training: only the cheap methods (in-context learning and the TF-IDF
baseline) are ticked at first, and ticking a tuned method (LoRA, full fine-tuning, ...) requires a
budget in minutes before "Run comparison" is enabled. The request itself is built and validated by the
core's `CompareRequest`; the help text of each field comes from its dataclass.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from appliance.compare import CompareRequest
from appliance.data.tasks import TASKS
from appliance.fieldhelp import help_of
from appliance.tune.methods import METHODS, ordered
from gui.widgets import buddy


def method_help(name: str) -> str:
    method = METHODS[name]
    return f"{method.title}: {method.description}"


def cheap(name: str) -> bool:
    """Ticked by default: prompting and the classical baseline, which train nothing long."""
    return METHODS[name].kind in ("prompting", "classical")


def eta_text(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return ""
    whole = int(seconds)
    return f"about {whole // 60} min {whole % 60:02d} s left" if whole >= 60 else f"about {whole} s left"


def phase_label(event: dict[str, Any], position: tuple[int, int] | None) -> str:
    """'Method 2 of 4 · lora: training' for the progress line of a comparison phase."""
    where = f"Method {position[0]} of {position[1]} · " if position else ""
    return f"{where}{event.get('method')}: {event.get('phase')}"


def describe_progress(event: dict[str, Any]) -> str:
    """The words after the step count: loss while training, and the phase's ETA."""
    parts = []
    loss = event.get("loss")
    if isinstance(loss, int | float):
        parts.append(f"loss {loss:.3f}")
    eta = eta_text(event.get("eta_s"))
    if eta:
        parts.append(eta)
    return " · ".join(parts)


class CompareForm(QGroupBox):
    """Dataset, task, label field, the field splits are stratified by, base model, methods, budget, query
    volume, CV folds and the report path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Run a comparison", parent)
        helps = help_of(CompareRequest)
        self.dataset_combo = QComboBox()
        self.dataset_combo.setAccessibleName("Dataset")
        self.dataset_combo.setToolTip(helps["dataset"])
        self.task_combo = QComboBox()
        self.task_combo.setAccessibleName("Task")
        self.task_combo.addItems(list(TASKS))
        self.task_combo.setToolTip(helps["task"])
        self.base_combo = QComboBox()
        self.base_combo.setAccessibleName("Base model")
        self.base_combo.setToolTip(helps["base"])
        self.label_field = QLineEdit()
        self.label_field.setAccessibleName("Label field")
        self.label_field.setPlaceholderText("default: the task's")
        self.label_field.setToolTip("classify: the column holding the label (empty = the task's default)")
        self.stratify_field = QLineEdit()
        self.stratify_field.setAccessibleName("Stratify splits by")
        self.stratify_field.setPlaceholderText("none: a plain patient-level split")
        self.stratify_field.setToolTip(helps["stratify_field"] + " Empty = a plain patient-level split.")
        self.method_boxes: dict[str, QCheckBox] = {}
        methods_row = QGridLayout()
        for index, method in enumerate(ordered()):
            box = QCheckBox(method)
            box.setToolTip(method_help(method))
            box.setChecked(cheap(method))
            self.method_boxes[method] = box
            methods_row.addWidget(box, index // 3, index % 3)
        self.budget = QDoubleSpinBox()
        self.budget.setAccessibleName("Budget in minutes per tuned method")
        self.budget.setRange(0, 24 * 60)
        self.budget.setDecimals(1)
        self.budget.setSuffix(" min")
        self.budget.setSpecialValueText("none (required for tuned methods)")
        self.budget.setToolTip(helps["budget_seconds"] + " In-context passes share the same budget.")
        self.queries = QSpinBox()
        self.queries.setAccessibleName("Queries the cost is computed for")
        self.queries.setRange(0, 100_000_000)
        self.queries.setSingleStep(1000)
        self.queries.setGroupSeparatorShown(True)
        self.queries.setValue(CompareRequest(dataset="-").queries)
        self.queries.setToolTip(helps["queries"])
        self.cv_folds = QSpinBox()
        self.cv_folds.setAccessibleName("Cross-validation folds for TF-IDF")
        self.cv_folds.setRange(0, 20)
        self.cv_folds.setSpecialValueText("off")
        self.cv_folds.setToolTip(helps["cv_folds"])
        self.report_path = QLineEdit()
        self.report_path.setAccessibleName("Report file")
        self.report_path.setPlaceholderText("optional: write the HTML report here")
        self.browse = QPushButton("…")
        self.browse.setAccessibleName("Choose the report file")
        self.browse.setToolTip("Choose where the report goes")
        report_row = QHBoxLayout()
        report_row.addWidget(self.report_path, 1)
        report_row.addWidget(self.browse)
        self.run_button = QPushButton("&Run comparison")
        self.run_button.setObjectName("primary")

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(buddy("&Dataset", self.dataset_combo), self.dataset_combo)
        form.addRow(buddy("T&ask", self.task_combo), self.task_combo)
        form.addRow(buddy("Label f&ield", self.label_field), self.label_field)
        form.addRow(buddy("S&tratify splits by", self.stratify_field), self.stratify_field)
        form.addRow(buddy("&Base model", self.base_combo), self.base_combo)
        form.addRow(QLabel("Methods"), methods_row)
        for combo in (self.dataset_combo, self.task_combo, self.base_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        form.addRow(buddy("Bud&get", self.budget), self.budget)
        form.addRow(buddy("&Queries", self.queries), self.queries)
        form.addRow(buddy("CV f&olds", self.cv_folds), self.cv_folds)
        form.addRow(buddy("Re&port", self.report_path), report_row)
        form.addRow("", self.run_button)
        self.task_combo.currentTextChanged.connect(self._task_changed)

    def ticked(self) -> list[str]:
        return [m for m, box in self.method_boxes.items() if box.isChecked()]

    def why_not_ready(self) -> str:
        """Why the ticked settings cannot start (empty when they can): nothing ticked, or uncapped training."""
        methods = self.ticked()
        if not methods:
            return "Tick at least one method"
        timed = [m for m in methods if METHODS[m].budgeted]
        if timed and self.budget.value() <= 0:
            return (f"Set a budget in minutes: {', '.join(timed)} would otherwise train for as long as their "
                    "presets take")  # fmt: skip
        if self.cv_folds.value() and "tfidf" not in methods:
            return "Cross-validation folds score the TF-IDF baseline; tick tfidf or set the folds to off"
        return ""

    def _task_changed(self, task: str) -> None:
        for name, box in self.method_boxes.items():
            method = METHODS[name]
            applies = method.applies_to(task)
            box.setEnabled(applies)
            box.setToolTip(method_help(name) if applies else
                           f"{method.title} answers the {' and '.join(method.tasks or ())} task only")
            if not applies:
                box.setChecked(False)

    def request(self) -> CompareRequest:
        """The CompareRequest the form describes, validated by the core (raises InvalidInput)."""
        minutes = self.budget.value()
        label = self.label_field.text().strip()
        return CompareRequest(dataset=self.dataset_combo.currentText(), task=self.task_combo.currentText(),
                              methods=self.ticked(), base=self.base_combo.currentText(),
                              task_config={"label_field": label} if label else {},
                              stratify_field=self.stratify_field.text().strip() or None,
                              budget_seconds=minutes * 60 if minutes > 0 else None,
                              queries=self.queries.value(), cv_folds=self.cv_folds.value())  # fmt: skip
