"""The import wizard: pick a file or folder, see its format, map CSV columns, import, read the report.

The import itself is ``appliance.ingest.service.import_path`` in an Op with a byte-progress bar. It is
one transaction: a refused strict import or a failure leaves the dataset as it was, which the report
says. Its callbacks only touch this dialog, so they still run if the session locks meanwhile (the
lock hides the dialog; the import completes and is audited either way). The preview and the guessed
column mapping come from ``appliance.ingest.preview``, run on the Op thread; its first rows are shown
only on screen (nothing is written).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from appliance.errors import UsageError
from appliance.ingest import MAPPING_ROLES, ImportOptions, Preview, dataset_name_for, options_from_mapping, preview
from appliance.ingest.service import ImportRefused, ImportSummary, import_path
from gui.errors import as_text
from gui.ops import Op
from gui.session import Session
from gui.widgets import Banner, fill_table, make_table

PREVIEW_CHARS = 60
NONE = "(none)"

#: What each mapping role is called on screen (the roles and their guesses are ``MAPPING_ROLES``).
LABELS = {"text_col": "Note &text", "patient_col": "&Patient id", "id_col": "Note &id", "date_col": "&Date",
          "type_col": "Note t&ype"}


def _shorten(value: str) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


class ImportWizard(QDialog):
    """Emits ``imported(dict)`` (the summary JSON) after a successful import."""

    imported = Signal(dict)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._path: Path | None = None
        self._preview: Preview | None = None
        self.setWindowTitle("Import notes")
        self.setObjectName("importWizard")
        self.resize(1000, 720)

        # 1. source
        self.path_label = QLineEdit()
        self.path_label.setReadOnly(True)
        self.path_label.setPlaceholderText("No file or folder chosen yet")
        self.path_label.setAccessibleName("Source path")
        choose_file = QPushButton("Choose &file…")
        choose_folder = QPushButton("Choose f&older…")
        choose_file.clicked.connect(self._choose_file)
        choose_folder.clicked.connect(self._choose_folder)
        self.format_label = QLabel("Formats: CSV/TSV, JSON Lines, plain text, HL7 v2, FHIR R4 bundles")
        self.format_label.setObjectName("hint")
        self.dataset = QLineEdit()
        self.dataset.setPlaceholderText("Dataset name (letters, digits, '.', '_', '-')")
        self.dataset.setAccessibleName("Dataset name")
        source_box = QGroupBox("1. Source")
        source_grid = QGridLayout(source_box)
        source_grid.addWidget(self.path_label, 0, 0)
        source_grid.addWidget(choose_file, 0, 1)
        source_grid.addWidget(choose_folder, 0, 2)
        source_grid.addWidget(self.format_label, 1, 0, 1, 3)
        dataset_label = QLabel("Into &dataset:")
        dataset_label.setBuddy(self.dataset)
        source_grid.addWidget(dataset_label, 2, 0)
        source_grid.addWidget(self.dataset, 3, 0, 1, 3)

        # 2. mapping (CSV only)
        self.mapping_box = QGroupBox("2. Columns (first rows of the file)")
        self.preview = make_table([], "csvPreview")
        self.preview.setMinimumHeight(150)
        self.combos: dict[str, QComboBox] = {}
        combos_widget = QWidget()
        combos_layout = QHBoxLayout(combos_widget)
        combos_layout.setContentsMargins(0, 0, 0, 0)
        for role in MAPPING_ROLES:
            label = LABELS[role.field]
            combo = QComboBox()
            combo.setObjectName(f"map_{role.field}")
            combo.setAccessibleName(label.replace("&", ""))
            combo.setToolTip(ImportOptions.help_text()[role.field] + (" Required." if role.required else " Optional."))
            self.combos[role.field] = combo
            box = QFormLayout()
            caption = QLabel(label + (" *" if role.required else ""))
            caption.setBuddy(combo)
            box.addRow(caption)
            box.addRow(combo)
            combos_layout.addLayout(box)
        mapping_layout = QVBoxLayout(self.mapping_box)
        mapping_layout.addWidget(self.preview)
        mapping_layout.addWidget(combos_widget)
        self.mapping_box.setVisible(False)

        # 3. import
        self.strict = QCheckBox("&Strict: import nothing if any row is bad")
        self.strict.setToolTip("Without it, good rows are imported and bad ones are listed in the report.")
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("primary")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self._import)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Import progress")
        self.progress.setVisible(False)
        run_box = QGroupBox("3. Import")
        run_layout = QHBoxLayout(run_box)
        run_layout.addWidget(self.strict)
        run_layout.addStretch(1)
        run_layout.addWidget(self.progress, 2)
        run_layout.addWidget(self.import_button)

        # 4. report
        self.banner = Banner()
        self.rejected_table = make_table(["File", "Where", "Why it was rejected"], "rejectedTable")
        self.rejected_table.setVisible(False)
        close = QPushButton("&Close")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(source_box)
        layout.addWidget(self.mapping_box, 3)
        layout.addWidget(run_box)
        layout.addWidget(self.banner)
        layout.addWidget(self.rejected_table, 2)
        layout.addStretch(0)
        layout.addLayout(bottom)

    # -- source -----------------------------------------------------------------------------------

    def _choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Choose a file to import", str(Path.home()),
            "Clinical notes (*.csv *.tsv *.jsonl *.ndjson *.txt *.hl7 *.json);;All files (*)")
        if chosen:
            self.set_source(Path(chosen))

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Choose a folder to import", str(Path.home()))
        if chosen:
            self.set_source(Path(chosen))

    def set_source(self, path: Path) -> None:
        """Show ``path`` and start detecting its format (an Op); the mapping appears when it is known."""
        self._path, self._preview = path, None
        self.path_label.setText(str(path))
        if not self.dataset.text().strip():
            self.dataset.setText(dataset_name_for(path))
        self.format_label.setText("Detecting the format…")
        self.import_button.setEnabled(False)
        self.banner.clear_state()
        self.rejected_table.setVisible(False)
        Op(self, lambda: preview(path)).success(self._show_preview).failure(self._preview_failed).run()

    def _preview_failed(self, exc: BaseException) -> None:
        self.mapping_box.setVisible(False)
        self.format_label.setText("")
        self.banner.show_state("error", as_text(exc))

    def _show_preview(self, source: Preview) -> None:
        self._preview = source
        files = f"{source.files} file{'s' if source.files != 1 else ''}"
        self.format_label.setText(f"Detected format: <b>{source.fmt.upper()}</b> ({files})")
        self.mapping_box.setVisible(source.is_tabular)
        if source.is_tabular:
            self.preview.setColumnCount(len(source.header))
            self.preview.setHorizontalHeaderLabels(source.header)
            fill_table(self.preview, [[_shorten(cell) for cell in row] for row in source.rows])
            for role in MAPPING_ROLES:
                combo = self.combos[role.field]
                combo.clear()
                if not role.required:
                    combo.addItem(NONE)
                combo.addItems(source.header)
                combo.setCurrentText(source.mapping.get(role.field) or NONE)
        self.import_button.setEnabled(True)

    def mapping(self) -> dict[str, str]:
        """The column chosen for each role as shown (NONE for an unmapped optional role)."""
        return {field: combo.currentText() for field, combo in self.combos.items()}

    # -- import -----------------------------------------------------------------------------------

    def _import(self) -> None:
        if self._path is None or self._preview is None:
            return
        try:
            options = self._options()
        except UsageError as exc:  # a bad mapping is shown inline
            self.banner.show_state("error", as_text(exc))
            return
        ws, path, fmt = self._session.ws, self._path, self._preview.fmt
        dataset, strict = self.dataset.text().strip(), self.strict.isChecked()
        self.import_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.banner.show_state("info", f"Importing into '{dataset}'…")
        Op(self, lambda report: import_path(ws, path, dataset, fmt, options, strict, report)) \
            .progress(self._on_progress).success(self._done).failure(self._failed).run()

    def _options(self) -> ImportOptions | None:
        if not self.mapping_box.isVisible():
            return None
        return options_from_mapping({field: None if column == NONE else column
                                     for field, column in self.mapping().items()})

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            # Bytes can exceed int32 for big files: show per mille.
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))

    def _done(self, summary: ImportSummary) -> None:
        self.import_button.setEnabled(True)
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        self._report(summary, refused=False)
        self.imported.emit(summary.to_json())

    def _failed(self, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        self.progress.setVisible(False)
        if isinstance(exc, ImportRefused):
            self._report(exc.summary, refused=True, strict=exc.strict)
        else:
            self.banner.show_state("error", as_text(exc))

    def _report(self, summary: ImportSummary, refused: bool, strict: bool = True) -> None:
        bad = len(summary.rejected)
        if refused and not strict:
            self.banner.show_state(
                "error", f"Nothing imported: all {bad} row{'s were' if bad != 1 else ' was'} rejected. "
                         "Check the column mapping against the reasons below.")
        elif refused:
            self.banner.show_state(
                "error", f"Nothing imported: {bad} bad row{'s' if bad != 1 else ''} and Strict is on. "
                         "Fix the rows below, or untick Strict to import the good rows.")
        else:
            state = "warn" if bad else "ok"
            self.banner.show_state(
                state, f"Imported {summary.imported} notes into '{summary.dataset}'; "
                       f"{summary.duplicates} duplicates skipped; {bad} rejected"
                       + (" (listed below)." if bad else "."))
        fill_table(self.rejected_table, [[Path(r.file).name, r.location, r.reason] for r in summary.rejected])
        self.rejected_table.setVisible(bad > 0)
        self.rejected_table.setAccessibleDescription(f"{bad} rejected rows")
