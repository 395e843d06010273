"""Sign-in window: open an existing workspace as a user, or create a new one with its first admin.

The slow parts (the memory-hard key derivation, opening SQLCipher) run in an Op, so the window stays
responsive. A failure (wrong password, not a workspace, mismatching passwords) is shown inline and the
window stays open with the password selected for retyping.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from appliance.store.keyslots import KdfParams
from appliance.workspace import Workspace
from gui.errors import as_text
from gui.ops import Op
from gui.session import Session


def _password_field(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    field.setAccessibleName(placeholder)
    return field


class _FolderField(QWidget):
    """A path line edit with a Browse button (a directory picker)."""

    def __init__(self, placeholder: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleName(placeholder)
        self.browse = QPushButton("Browse…")
        self.browse.setAccessibleName(f"{caption}: browse")
        self._caption = caption
        self.browse.clicked.connect(self._pick)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def _pick(self) -> None:
        start = self.edit.text().strip() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, self._caption, start)
        if chosen:
            self.edit.setText(chosen)


class SignInDialog(QDialog):
    """Emits ``signed_in(Session)`` and accepts once a workspace is open."""

    signed_in = Signal(object)

    def __init__(self, workspace: Path | None = None, user: str = "", kdf: KdfParams | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kdf = kdf
        self.session: Session | None = None
        self.setWindowTitle("Clinical Tuning Appliance — sign in")
        self.setObjectName("signInDialog")
        self.setMinimumWidth(560)

        title = QLabel("Clinical Tuning Appliance")
        title.setObjectName("appTitle")
        subtitle = QLabel("Air-gapped workspace: notes, models and the audit trail stay on this server.")
        subtitle.setObjectName("subtitle")
        subtitle.setWordWrap(True)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._open_tab(workspace, user), "&Open a workspace")
        self.tabs.addTab(self._create_tab(), "&Create a workspace")

        self.message = QLabel("")
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        quit_button = QPushButton("&Quit")
        quit_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(quit_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.tabs)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        (self.password if workspace and user else self.user if workspace else self.folder.edit).setFocus()

    # -- tabs -------------------------------------------------------------------------------------

    def _open_tab(self, workspace: Path | None, user: str) -> QWidget:
        tab = QWidget()
        self.folder = _FolderField("Workspace folder", "Choose the workspace folder")
        if workspace:
            self.folder.edit.setText(str(workspace))
        self.user = QLineEdit(user)
        self.user.setPlaceholderText("User name")
        self.user.setAccessibleName("User name")
        self.password = _password_field("Password")
        self.sign_in_button = QPushButton("&Sign in")
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self._sign_in)
        self.password.returnPressed.connect(self._sign_in)
        form = QFormLayout(tab)
        form.addRow("&Workspace", self.folder)
        form.addRow("&User", self.user)
        form.addRow("&Password", self.password)
        form.addRow("", self.sign_in_button)
        return tab

    def _create_tab(self) -> QWidget:
        tab = QWidget()
        self.new_folder = _FolderField("New, empty folder", "Choose a new, empty folder")
        self.admin = QLineEdit()
        self.admin.setPlaceholderText("First admin's user name")
        self.admin.setAccessibleName("Admin user name")
        self.new_password = _password_field("Password")
        self.repeat_password = _password_field("Repeat password")
        self.create_button = QPushButton("Create &workspace")
        self.create_button.setObjectName("primary")
        self.create_button.clicked.connect(self._create)
        self.repeat_password.returnPressed.connect(self._create)
        hint = QLabel("The admin adds the other users (informaticists, reviewers) after signing in. "
                      "There is no password recovery: keep a second admin.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("F&older", self.new_folder)
        form.addRow("&Admin", self.admin)
        form.addRow("Pass&word", self.new_password)
        form.addRow("&Repeat", self.repeat_password)
        # The hint sits under the form, not in a form row: a form row gives a wrapped label the height of
        # one line, and the second line was cut off.
        column = QVBoxLayout(tab)
        column.addLayout(form)
        column.addWidget(hint)
        column.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignRight)
        column.addStretch(1)
        return tab

    # -- actions ----------------------------------------------------------------------------------

    def _sign_in(self) -> None:
        root, user, password = self.folder.path(), self.user.text().strip(), self.password.text()
        if root is None or not user or not password:
            self._show("Enter the workspace folder, your user name and your password.")
            return
        self._busy(True)
        Op(self, lambda: Workspace.open(root, user, password)) \
            .success(lambda ws: self._opened(ws, password)).failure(self._failed).run()

    def _create(self) -> None:
        root, admin = self.new_folder.path(), self.admin.text().strip()
        password, repeat = self.new_password.text(), self.repeat_password.text()
        if root is None or not admin or not password:
            self._show("Enter a new folder, the admin's user name and a password.")
            return
        if password != repeat:
            self._show("The two passwords differ. Type the same password twice.")
            self.repeat_password.clear()
            self.repeat_password.setFocus()
            return
        kdf = self._kdf
        self._busy(True)
        Op(self, lambda: Workspace.create(root, admin, password, kdf=kdf)) \
            .success(lambda ws: self._opened(ws, password)).failure(self._failed).run()

    def _opened(self, ws: Workspace, password: str) -> None:
        self._busy(False)
        self.session = Session(ws, password)
        self.password.clear()
        self.new_password.clear()
        self.repeat_password.clear()
        self.signed_in.emit(self.session)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self._show(as_text(exc))
        field = self.password if self.tabs.currentIndex() == 0 else self.new_password
        field.selectAll()
        field.setFocus()

    def _busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.create_button.setEnabled(not busy)
        if busy:
            self.message.setVisible(False)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)
        self.adjustSize()  # grow to the wrapped message instead of clipping it
