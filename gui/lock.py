"""Inactivity lock: after N minutes without keyboard or mouse input, the session locks.

``InactivityTimer`` is an application-wide event filter: any key press, click, wheel or mouse move
restarts a single-shot timer; when it fires, ``idle`` is emitted and the main window locks the
session (closes the workspace, forgets the password, hides the page behind ``LockDialog``).

``LockDialog`` asks the same user for their password again and reopens the workspace in an Op; a
wrong password shows the message and keeps the dialog open. "Sign out" gives up the session instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from appliance.errors import AuthError
from appliance.workspace import Workspace
from gui.errors import as_text
from gui.ops import Op
from gui.session import Session

DEFAULT_LOCK_MINUTES = 10.0

_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})


class InactivityTimer(QObject):
    """Emits ``idle`` once after ``minutes`` without user input; ``start``/``stop`` arm and disarm it."""

    idle = Signal()

    def __init__(self, minutes: float = DEFAULT_LOCK_MINUTES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, int(minutes * 60_000)))
        self._timer.timeout.connect(self.idle)
        self._installed = False

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def start(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # Restarting a running QTimer is cheap; the filter never consumes the event.
        if event.type() in _INPUT_EVENTS and self._timer.isActive():
            self._timer.start()
        return False


class LockDialog(QDialog):
    """Re-authentication for the locked session's user. Emits ``unlocked`` or ``sign_out_requested``."""

    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(self, session: Session, reason: str = "after inactivity", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.setWindowTitle("Workspace locked")
        self.setModal(True)
        self.setObjectName("lockDialog")
        self.setMinimumWidth(460)
        intro = QLabel(f"<b>The workspace is locked {reason}.</b><br>Enter the password of "
                       f"<b>{session.user.name}</b> to continue with {session.root.name}.")
        intro.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.setAccessibleName("Password")
        self.message = QLabel("")
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        buttons = QDialogButtonBox()
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.sign_out_button = QPushButton("Sign &out")
        buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.sign_out_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.unlock_button.clicked.connect(self._unlock)
        self.sign_out_button.clicked.connect(self._sign_out)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.password)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.password.setFocus()

    def reject(self) -> None:
        # Escape must not dismiss the lock: only a password or sign-out leaves it.
        pass

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        event.ignore()

    def _unlock(self) -> None:
        password = self.password.text()
        if not password:
            self._show("Enter your password.")
            return
        self.unlock_button.setEnabled(False)
        root, user = self._session.root, self._session.user.name
        Op(self, lambda: Workspace.open(root, user, password)) \
            .success(lambda ws: self._opened(ws, password)).failure(self._failed).run()

    def _opened(self, ws: Workspace, password: str) -> None:
        self.unlock_button.setEnabled(True)
        try:
            self._session.resume(ws, password)
        except Exception as exc:  # noqa: BLE001  (shown, not raised: the dialog must stay)
            self._failed(exc)
            return
        self.password.clear()
        self.unlocked.emit()
        self.done(QDialog.DialogCode.Accepted)

    def _failed(self, exc: BaseException) -> None:
        self.unlock_button.setEnabled(True)
        # The user is known here (the session's own), so the only cause of an AuthError is the password.
        self._show(f"That is not the password of {self._session.user.name}. Passwords are case-sensitive: "
                   "check Caps Lock and try again, or sign out." if isinstance(exc, AuthError) else as_text(exc))
        self.password.selectAll()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)
        self.adjustSize()  # grow to the wrapped message instead of clipping it

    def _sign_out(self) -> None:
        # The main window closes this dialog once signing out goes ahead (it may ask about jobs first).
        self.sign_out_requested.emit()
