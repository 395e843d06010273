"""Tune page: choose data, task, base model and method, start a tuning job, watch it, resume it.

The settings are the core's: the method's preset (``appliance.tune.config.presets``) fills the
advanced form, which is generated from the ``TuneConfig`` dataclass with its help text; only the fields
the user changed travel as ``overrides`` in the ``TuneRequest``, exactly as ``appliance tune`` sends
them. The request is validated by the core's own dataclasses before the job starts. ``lora-head`` (LoRA
with a classification head, trained by its own code) starts from its trainer's defaults instead, with
only the settings it reads open, no forecast and no resume, and it must be told the label field.

The memory and time forecast needs the model's layer sizes and a timed trial of a few steps on this
machine (``appliance.tune.estimate``), so no honest forecast exists before the job has loaded the model.
The page says so, and shows the forecast from the job's ``estimate`` event as soon as it arrives (before
training starts; a run that would not fit is refused by the job with advice).

The label field offers the dataset's categorical fields with their values counted, and the box under
Start shows the ``appliance tune`` command that would start the same run. The right half (job, charts,
runs) is ``gui.pages.tune_jobs``; the words and queries are ``gui.pages.tune_text``.

Live charts plot the job's progress events (loss and tokens/s per step). A job keeps running when the
window closes (the main window detaches it); a page opened later re-attaches to it by polling, and
shows the run's stored loss curve when it ends.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from appliance.data.tasks import TASKS, TaskConfig
from appliance.errors import ApplianceError, InvalidInput
from appliance.tune.config import DTYPES, SCHEDULERS, TuneConfig
from appliance.tune.methods import METHODS
from appliance.tune.methods import tune_choices as tunable_methods
from appliance.tune.service import TuneRequest
from gui.errors import gui_words, show_error
from gui.forms import DataclassForm
from gui.pages.base import Allowed, page_title
from gui.pages.tune_jobs import TuneJobView
from gui.pages.tune_text import (
    FORECAST_LINES,
    checked_settings,
    help_text,
    label_field_items,
    loss_text,
    method_preset,
    own_trainer_forecast,
    run_state,
    static_forecast,
    stratify_items,
    tune_choices,
    tune_command,
)
from gui.session import Session
from gui.widgets import Banner, buddy, fill_table, gate_items, refill_combo, refill_items, selected_key

RESUMABLE = ("cancelled", "failed")


class TunePage(TuneJobView):
    title = "Tune"
    roles_allowed = {
        "start": Allowed(("admin", "informaticist"), "Informaticists and admins start tuning runs"),
        "resume": Allowed(("admin", "informaticist"), "Informaticists and admins resume tuning runs"),
    }

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.choices: dict[str, Any] = {"datasets": [], "models": [], "runs": [], "tune_jobs": []}
        self.runs: list[dict[str, Any]] = []
        self.run_id: str | None = None  # the run the job in view works on
        self.estimate: dict[str, Any] | None = None
        self._attached = False
        self._preset: dict[str, Any] = {}
        self._config: TuneConfig | None = None
        self._preset_key: tuple[str | None, str] | None = None
        self._charted_run: str | None = None  # the run whose live charts are on screen

        heading = page_title("Tune a model")
        self.banner = Banner()

        # -- left: the request ------------------------------------------------------------------
        self.dataset_combo = QComboBox()
        self.dataset_combo.setAccessibleName("Dataset")
        self.dataset_combo.currentIndexChanged.connect(self._dataset_changed)
        self.version_label = QLabel("")
        self.version_label.setObjectName("hint")
        self.version_label.setWordWrap(True)
        self.allow_unreviewed = QCheckBox("Tune on an unreviewed version (audited)")
        self.allow_unreviewed.setToolTip(help_text(TuneRequest, "allow_unreviewed"))
        self.allow_unreviewed.setVisible(False)
        self.allow_unreviewed.toggled.connect(lambda _on: self._update_actions())
        self.task_combo = QComboBox()
        self.task_combo.setAccessibleName("Task")
        for name, task in TASKS.items():
            self.task_combo.addItem(name, name)
            self.task_combo.setItemData(self.task_combo.count() - 1, task.description, Qt.ItemDataRole.ToolTipRole)
        self.task_combo.currentIndexChanged.connect(self._task_changed)
        self.task_hint = QLabel("")
        self.task_hint.setObjectName("hint")
        self.task_hint.setWordWrap(True)
        # The fields a label can come from, with their values counted (free-text fields are not offered).
        self.label_field = QComboBox()
        self.label_field.setAccessibleName("Label field")
        self.label_field.setToolTip(help_text(TaskConfig, "label_field"))
        self.label_field.currentIndexChanged.connect(lambda _i: self._update_actions())
        self.stratify_field = QComboBox()  # same fields; empty = the plain patient-level split
        self.stratify_field.setAccessibleName("Stratify splits by")
        self.stratify_field.setToolTip(help_text(TuneRequest, "stratify_field"))
        self.stratify_field.currentIndexChanged.connect(lambda _i: self._update_actions())
        self.base_combo = QComboBox()
        self.base_combo.setAccessibleName("Base model")
        self.base_combo.setToolTip(help_text(TuneRequest, "base"))
        self.base_combo.currentIndexChanged.connect(self._preset_changed)
        self.method_combo = QComboBox()
        self.method_combo.setAccessibleName("Method")
        for method in tunable_methods():  # the engine's methods, then lora-head (trained by its own code)
            self.method_combo.addItem(METHODS[method].choice_label, method)
        self.method_combo.setToolTip("In-context learning needs no training: compare it on the Compare page")
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self.preset_label = QLabel("")
        self.preset_label.setObjectName("hint")
        self.preset_label.setWordWrap(True)
        self.budget = QDoubleSpinBox()
        self.budget.setAccessibleName("Time budget in minutes")
        self.budget.setRange(0, 24 * 60)
        self.budget.setDecimals(1)
        self.budget.setSpecialValueText("no budget")
        self.budget.setSuffix(" min")
        self.budget.setToolTip(help_text(TuneRequest, "budget_seconds"))
        self.canaries = QSpinBox()
        self.canaries.setAccessibleName("Privacy canaries")
        self.canaries.setRange(0, 1000)
        self.canaries.setToolTip(help_text(TuneRequest, "canaries"))

        request_box = QGroupBox("What to tune")
        form = QFormLayout(request_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(buddy("&Dataset", self.dataset_combo), self.dataset_combo)
        form.addRow("", self.version_label)
        form.addRow("", self.allow_unreviewed)
        form.addRow(buddy("T&ask", self.task_combo), self.task_combo)
        form.addRow("", self.task_hint)
        form.addRow(buddy("Label f&ield", self.label_field), self.label_field)
        form.addRow(buddy("S&tratify splits by", self.stratify_field), self.stratify_field)
        form.addRow(buddy("&Base model", self.base_combo), self.base_combo)
        form.addRow(buddy("&Method", self.method_combo), self.method_combo)
        form.addRow("", self.preset_label)
        form.addRow(buddy("Bud&get", self.budget), self.budget)
        form.addRow(buddy("Ca&naries", self.canaries), self.canaries)

        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("Advanced settings (from the method's preset)")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.toggled.connect(self._toggle_advanced)
        self.advanced = DataclassForm(TuneConfig, skip=("method",),
                                      choices={"scheduler": SCHEDULERS, "dtype": DTYPES})
        self.advanced.changed.connect(self._settings_edited)
        self.advanced.setVisible(False)
        self.reset_button = QPushButton("Reset to &preset")
        self.reset_button.setToolTip("Put every advanced setting back to the method's preset")
        self.reset_button.clicked.connect(self.reset_to_preset)
        self.reset_button.setVisible(False)

        self.forecast = QLabel("")
        self.forecast.setObjectName("hint")
        self.forecast.setWordWrap(True)
        self.forecast.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.forecast.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.forecast_box = QGroupBox("Forecast")
        forecast_layout = QVBoxLayout(self.forecast_box)
        # One fixed height in every state (empty, waiting, measured, invalid settings), so the fields
        # and the Start button below never jump; a text longer than the box scrolls inside it.
        forecast_scroll = QScrollArea()
        forecast_scroll.setWidget(self.forecast)
        forecast_scroll.setWidgetResizable(True)
        forecast_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        forecast_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        forecast_layout.addWidget(forecast_scroll)
        margins = forecast_layout.contentsMargins()
        self.forecast_box.setFixedHeight(self.forecast.fontMetrics().lineSpacing() * FORECAST_LINES
                                         + margins.top() + margins.bottom()
                                         + self.forecast_box.fontMetrics().height() + 8)

        self.start_button = QPushButton("&Start tuning")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start)
        self.command = QPlainTextEdit()
        self.command.setObjectName("tuneCommand")
        self.command.setAccessibleName("The same run from the command line")
        self.command.setReadOnly(True)
        self.command.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.command.setFixedHeight(self.command.fontMetrics().lineSpacing() * 4 + 12)  # one height, no jumps
        command_box = QGroupBox("The same run from the command line")
        QVBoxLayout(command_box).addWidget(self.command)
        self.budget.valueChanged.connect(lambda _v: self._update_actions())
        self.canaries.valueChanged.connect(lambda _v: self._update_actions())
        self.allow_unreviewed.toggled.connect(lambda _on: self._update_actions())

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        # Top to bottom as the user works: every setting (Advanced included), then the forecast of
        # those settings, then Start; a Start above Advanced would start a run before it was set.
        left_layout.addWidget(request_box)
        left_layout.addWidget(self.advanced_toggle)
        left_layout.addWidget(self.advanced)
        left_layout.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignLeft)
        left_layout.addWidget(self.forecast_box)
        left_layout.addWidget(self.start_button)
        left_layout.addWidget(command_box)
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumWidth(400)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for combo in (self.dataset_combo, self.task_combo, self.base_combo, self.method_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(16)

        right = self._build_job_view(session)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([430, 610])
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)

        order = [self.dataset_combo, self.allow_unreviewed, self.task_combo, self.label_field, self.stratify_field,
                 self.base_combo,
                 self.method_combo, self.budget, self.canaries, self.advanced_toggle,
                 *self.advanced.editors.values(), self.reset_button, self.start_button]
        for before, after in zip(order, order[1:], strict=False):
            self.setTabOrder(before, after)
        self._task_changed()
        self._preset_changed()
        self._update_actions()

    # -- state ------------------------------------------------------------------------------------

    def _dataset(self) -> dict[str, Any] | None:
        index = self.dataset_combo.currentIndex()
        sets = self.choices["datasets"]
        return sets[index] if 0 <= index < len(sets) else None

    def _model(self) -> dict[str, Any] | None:
        index = self.base_combo.currentIndex()
        models = self.choices["models"]
        return models[index] if 0 <= index < len(models) else None

    @property
    def method(self) -> str:
        return str(self.method_combo.currentData() or "lora")

    def _selected_run(self) -> dict[str, Any] | None:
        run_id = selected_key(self.run_table)
        return next((r for r in self.runs if r["run_id"] == run_id), None)

    def _resumable(self, run: dict[str, Any] | None) -> bool:
        if run is None:
            return False
        if run["method"] in METHODS and METHODS[run["method"]].own_trainer:
            return False  # no checkpoints: such a run is started again
        if run["status"] in RESUMABLE:
            return True
        # "running" with no live job: the job was killed; its last sealed checkpoint is still there.
        return run["status"] == "running" and not self.choices["tune_jobs"] and not self.job_panel.running

    def _update_actions(self) -> None:
        dataset, model = self._dataset(), self._model()
        version = dataset["version"] if dataset else None
        if self.job_panel.running:
            why = "A tuning job is running; wait for it or cancel it"
        elif dataset is None:
            why = "Import and de-identify a dataset first (Data and De-identification pages)"
        elif version is None:
            why = f"'{dataset['name']}' has no de-identified version yet; run de-identification first"
        elif not version.reviewed and not self.allow_unreviewed.isChecked():
            why = "The newest version is not reviewed: ask a reviewer to mark it reviewed, or tick the override"
        elif model is None:
            why = "No base model in this workspace; an admin adds one with 'appliance models add'"
        else:
            why = self._request_problem()
        self.gate(self.start_button, "start", ready=not why, why_not_ready=why,
                  tip="Start a tuning job with these settings (it keeps running if you close the window)")
        self._show_command()
        run = self._selected_run()
        resumable = self._resumable(run)
        self.gate(self.resume_button, "resume", ready=resumable and not self.job_panel.running,
                  why_not_ready=("A tuning job is running" if self.job_panel.running
                                 else "Choose a cancelled, failed or killed run to resume"),
                  tip="Continue the selected run from its last sealed checkpoint")

    def _request_problem(self) -> str:
        """Why the form's request is not valid (e.g. lora-head without a label field), or ""."""
        try:
            self.request()
        except ApplianceError as exc:
            return gui_words(str(exc))
        return ""

    def _show_command(self) -> None:
        try:
            self.command.setPlainText(tune_command(self.request()))
        except ApplianceError as exc:
            self.command.setPlainText(f"(no command yet: {exc})")

    # -- loading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ws_op(tune_choices).success(self._show_choices).titled("Could not load the tuning choices").run()

    def _show_choices(self, choices: dict[str, Any]) -> None:
        self.choices = choices
        refill_combo(self.dataset_combo, [d["name"] for d in choices["datasets"]])
        refill_combo(self.base_combo, [f"{m['name']} ({m['id']})" for m in choices["models"]])
        self._show_runs(choices)
        self._dataset_changed()
        self._preset_changed()
        if not self._attached:
            self._attached = True
            self._reattach(choices["tune_jobs"])

    def _show_runs(self, state: dict[str, Any]) -> None:
        self.choices["runs"], self.choices["tune_jobs"] = state["runs"], state["tune_jobs"]
        keep = selected_key(self.run_table)
        # Tuning runs only, newest first (the comparison's baselines are listed on Compare and Models).
        self.runs = [r for r in reversed(state["runs"]) if r["method"] in tunable_methods()]
        self.run_table.blockSignals(True)
        fill_table(self.run_table, [[r["run_id"], r["method"], r["task"], r["status"], r["state"] or "",
                                     r["steps"] if r["steps"] is not None else "",
                                     loss_text(r["final_loss"]), r["created_by"]] for r in self.runs],
                   keys=[r["run_id"] for r in self.runs])
        ids = [r["run_id"] for r in self.runs]
        if keep in ids:
            self.run_table.selectRow(ids.index(keep))
        self.run_table.blockSignals(False)
        self._update_actions()

    def reload_runs(self) -> None:
        self.ws_op(run_state).success(self._show_runs).titled("Could not list the runs").run()

    def _dataset_changed(self, _index: int = -1) -> None:
        dataset = self._dataset()
        version = dataset["version"] if dataset else None
        if dataset is None:
            self.version_label.setText("No dataset yet.")
        elif version is None:
            self.version_label.setText("No de-identified version yet.")
        else:
            reviewed = f"reviewed by {version.reviewed_by}" if version.reviewed else "NOT reviewed"
            self.version_label.setText(f"Tunes on the newest de-identified version, {version.version_id} "
                                       f"({version.records} records, {reviewed}).")
        self.allow_unreviewed.setVisible(version is not None and not version.reviewed)
        if version is None or version.reviewed:
            self.allow_unreviewed.setChecked(False)
        self._fill_label_fields()
        self._update_actions()

    def _fill_label_fields(self) -> None:
        """The dataset's categorical fields, each with its values counted; the task's default first."""
        task = TASKS[str(self.task_combo.currentData() or "classify")]
        fields = (self._dataset() or {}).get("fields") or []
        refill_items(self.label_field, label_field_items(fields, task, self.method), task.default_label_field)
        refill_items(self.stratify_field, stratify_items(fields))  # none, unless the field chosen is still there

    def _task_changed(self, _index: int = -1) -> None:
        task = TASKS[str(self.task_combo.currentData() or "classify")]
        self.task_hint.setText(task.description)
        self.label_field.setEnabled(task.supervised)
        gate_items(self.method_combo, lambda name: "" if METHODS[name].applies_to(task.name) else
                   f"{METHODS[name].title} answers the {' and '.join(METHODS[name].tasks or ())} task only")
        if not METHODS[self.method].applies_to(task.name):
            self.method_combo.setCurrentIndex(0)  # the default choice, which every task takes
        self._fill_label_fields()
        self._update_actions()

    def _method_changed(self, _index: int = -1) -> None:
        self._fill_label_fields()  # whether the task's default field is offered depends on the method
        self._preset_changed()

    def _preset_changed(self, _index: int = -1) -> None:
        """Fill the advanced form with the method's preset for the chosen model's size (only when the
        model or the method changed: a refresh must not undo the user's edits)."""
        model = self._model()
        key = ((model or {}).get("id"), self.method)
        if key != self._preset_key:
            self.reset_to_preset()

    def reset_to_preset(self) -> None:
        model = self._model()
        method = self.method
        self._preset_key = ((model or {}).get("id"), method)
        values, applies, sentence = method_preset(method, (model or {}).get("parameters") or 0)
        self.preset_label.setText(sentence)
        self._preset = values
        self.advanced.set_values(values)
        # Settings that apply to some methods only (the core refuses them elsewhere).
        self.advanced.set_enabled_fields(applies, why_not=f"Does not apply to {method}")
        self._settings_edited()

    def _settings_edited(self) -> None:
        self._update_actions()  # the command box, and Start refused while the settings are invalid
        changed = self.advanced.mark_differences(self._preset)
        self.reset_button.setEnabled(bool(changed))
        try:
            self._config = checked_settings(self.method, self._preset, self.overrides())
        except ApplianceError as exc:
            self._config = None
            self.forecast.setText(f"These settings are not valid: {exc}.")
            return
        if self.estimate is None:
            self.forecast.setText(static_forecast(self._config) if self._config else own_trainer_forecast(self.method))

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.reset_button.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    # -- the request ------------------------------------------------------------------------------

    def overrides(self) -> dict[str, Any]:
        """Advanced settings that differ from the preset (what ``appliance tune`` would pass as overrides)."""
        values = self.advanced.values()
        return {k: v for k, v in values.items() if k in self._preset and v != self._preset[k]
                and self.advanced.editors[k].isEnabled()}

    def request(self) -> dict[str, Any]:
        """The TuneRequest as a dict, validated by the core's dataclasses (raises InvalidInput)."""
        dataset = self._dataset()
        model = self._model()
        if dataset is None or model is None:
            raise InvalidInput("choose a dataset and a base model first")
        task_config: dict[str, Any] = {}
        label = str(self.label_field.currentData() or "")
        if label and self.label_field.isEnabled():
            task_config["label_field"] = label
        minutes = self.budget.value()
        request = TuneRequest(dataset=dataset["name"], task=str(self.task_combo.currentData()), method=self.method,
                              base=model["id"], overrides=self.overrides(), task_config=task_config,
                              stratify_field=str(self.stratify_field.currentData() or "") or None,
                              allow_unreviewed=self.allow_unreviewed.isChecked(),
                              budget_seconds=minutes * 60 if minutes > 0 else None, canaries=self.canaries.value())
        checked_settings(self.method, self._preset, request.overrides)
        return asdict(request)

    # -- actions ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self.job_panel.running or not self.may("start"):
            return
        try:
            request = self.request()
        except ApplianceError as exc:
            show_error(self, "The run was not started", exc)
            return
        self._begin(f"Starting a {self.method} run on '{request['dataset']}'…")
        self.job_panel.start("tune", {"request": request})
        self._update_actions()

    def resume(self) -> None:
        run = self._selected_run()
        if run is None or self.job_panel.running or not self._resumable(run):
            return
        self._begin(f"Resuming {run['run_id']} from its last checkpoint…")
        self.run_id = run["run_id"]
        self.job_panel.start("tune", {"resume": run["run_id"]})
        self._update_actions()
