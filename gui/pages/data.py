"""Data page: the datasets in the workspace (records, patients, note types), the import wizard, and a
look inside the chosen dataset (fields with value counts, records; ``gui.pages.data_browser``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from appliance.data.browse import ORIGINAL_ROLES
from appliance.ingest.service import DatasetInfo, datasets
from gui.errors import describe
from gui.pages.base import Allowed, Page, page_header
from gui.pages.data_browser import DatasetBrowser, browse_state
from gui.pages.import_wizard import ImportWizard
from gui.session import Session
from gui.widgets import Banner, fill_table, make_table, selected_key


def note_types_text(types: dict[str, int]) -> str:
    """``discharge 12, radiology 3``; records imported without a note type are counted as "no type"."""
    return ", ".join(f"{'no type' if name in ('?', '') else name} {count}" for name, count in types.items())


class DataPage(Page):
    title = "Data"
    roles_allowed = {
        "import": Allowed(("admin", "informaticist"), "Informaticists and admins import notes"),
        "originals": Allowed(ORIGINAL_ROLES, "Only reviewers and admins see original notes"),
    }

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        intro = QLabel("Imported notes stay encrypted in the workspace. Import the same file twice and "
                       "nothing is added twice.")
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.import_button = QPushButton("&Import notes…")
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(self.open_wizard)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = page_header("Datasets", "", self.refresh_button, self.import_button)
        self.banner = Banner()
        self.table = make_table(["Dataset", "Records", "Patients", "Note types", "Created (UTC)", "By"],
                                "datasetTable")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.empty = QLabel("No datasets yet. Choose “Import notes…” to bring in CSV, JSON Lines, text, "
                            "HL7 v2 or FHIR files.")
        self.empty.setObjectName("hint")
        self.empty.setVisible(False)
        self.table.itemSelectionChanged.connect(self._dataset_selected)
        self.browser = DatasetBrowser(self.may("originals"))
        self.browser.original.toggled.connect(self._dataset_selected)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.browser)
        split.setSizes([180, 520])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(intro)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        layout.addWidget(self.empty)
        self.gate(self.import_button, "import", tip="Import a file or a folder of notes into a dataset")
        self.wizard: ImportWizard | None = None
        self.infos: list[DatasetInfo] = []

    def refresh(self) -> None:
        self.ws_op(datasets).success(self._show).titled("Could not list datasets").run()

    def _show(self, infos: list[DatasetInfo]) -> None:
        self.infos = infos
        keep = selected_key(self.table)
        fill_table(self.table, [[i.name, i.records, i.patients, note_types_text(i.note_types), i.created[:19]
                                 .replace("T", " "), i.created_by] for i in infos], keys=[i.name for i in infos])
        self.empty.setVisible(not infos)
        names = [i.name for i in infos]
        if names:
            self.table.selectRow(names.index(keep) if keep in names else 0)

    def _dataset_selected(self, *_args: object) -> None:
        dataset = selected_key(self.table)
        if dataset is None:
            self.browser.clear("Choose a dataset to look inside it.")
            return
        original = self.browser.original.isChecked() and self.may("originals")
        self.ws_op(lambda ws: browse_state(ws, str(dataset), original)).success(self.browser.show_state) \
            .failure(lambda exc: self.browser.clear(f"Nothing to show yet: {describe(exc)[0]}.")) \
            .titled("Could not read the dataset").run()

    def open_wizard(self) -> ImportWizard:
        """Open the import wizard (non-modal to the rest of the app, returned for tests)."""
        wizard = ImportWizard(self.session, self)
        wizard.imported.connect(self._imported)
        wizard.setModal(True)
        wizard.show()
        self.wizard = wizard
        return wizard

    def _imported(self, summary: dict[str, Any]) -> None:
        state = "warn" if summary["rejected"] else "ok"  # rejected rows are never good news
        self.banner.show_state(state, f"Imported {summary['imported']} notes into '{summary['dataset']}' "
                                      f"({summary['duplicates']} duplicates, {len(summary['rejected'])} rejected).")
        if not self.session.locked:  # otherwise the page refreshes on unlock
            self.refresh()
