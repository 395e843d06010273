"""The main window: a header (workspace, user, Lock, Sign out), a sidebar with one entry per page in
``gui.pages.PAGES``, and the pages. It owns the inactivity lock.

Locking hides every page behind a placeholder before anything else (PHI must not stay on screen),
then closes the workspace through the session and asks for the password again.

Leaving (closing the window or signing out) while a job runs asks first; a job that is kept running
is detached so that closing the window does not kill it (see ``gui.jobs``). Pages get ``shutdown()``
when the user leaves (the Serve page stops its local server then).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.jobs import JobRunner
from gui.lock import DEFAULT_LOCK_MINUTES, InactivityTimer, LockDialog
from gui.pages import PAGES, Page
from gui.session import Session
from gui.widgets import confirm


class MainWindow(QMainWindow):
    """Emits ``signed_out`` when the user signs out (the window then closes itself)."""

    signed_out = Signal()

    def __init__(self, session: Session, lock_minutes: float = DEFAULT_LOCK_MINUTES,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._leaving = False
        self._pages_shut_down = False
        self.lock_dialog: LockDialog | None = None
        self.setWindowTitle(f"Clinical Tuning Appliance — {session.root.name}")
        self.setObjectName("mainWindow")
        self.resize(1280, 800)

        # header
        title = QLabel("Clinical Tuning Appliance")
        title.setObjectName("headerTitle")
        self.where = QLabel(f"Workspace <b>{session.root.name}</b> · signed in as <b>{session.user.name}</b> "
                            f"({session.user.role})")
        self.where.setObjectName("headerText")
        self.where.setToolTip(str(session.root))
        lock_button = QPushButton("&Lock")
        lock_button.setToolTip("Lock now: hide the data and close the workspace until you sign in again")
        lock_button.clicked.connect(lambda: self.lock("by you"))
        sign_out = QPushButton("Sign &out")
        sign_out.clicked.connect(self.sign_out)
        header = QWidget()
        header.setObjectName("header")
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(16, 8, 12, 8)
        header_layout.addWidget(title)
        header_layout.addSpacing(24)
        header_layout.addWidget(self.where, 1)
        header_layout.addWidget(lock_button)
        header_layout.addWidget(sign_out)

        # sidebar and pages
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.setFixedWidth(200)
        self.stack = QStackedWidget()
        self.pages: list[Page] = []
        for number, cls in enumerate(PAGES, 1):
            page = cls(session)
            self.pages.append(page)
            self.stack.addWidget(page)
            self.sidebar.addItem(page.title)
            self.sidebar.item(number - 1).setToolTip(f"{page.title} (Ctrl+{number})")
            if number <= 9:
                shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
                shortcut.activated.connect(lambda n=number - 1: self.show_page(n))
        self.sidebar.currentRowChanged.connect(self._page_chosen)
        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(0)
        body_layout.addWidget(self.sidebar)
        content = QWidget()
        content.setObjectName("content")
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(18, 14, 18, 14)
        content_layout.addWidget(self.stack)
        body_layout.addWidget(content, 1)

        locked = QLabel("Locked — the data is hidden until you enter your password.")
        locked.setObjectName("lockedPlaceholder")
        locked.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        locked.setContentsMargins(0, 120, 0, 0)
        self.screens = QStackedWidget()
        self.screens.addWidget(body)
        self.screens.addWidget(locked)

        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(header)
        central_layout.addWidget(self.screens, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage(f"Workspace: {session.root}")

        self.inactivity = InactivityTimer(lock_minutes, self)
        self.inactivity.idle.connect(lambda: self.lock("after inactivity"))
        self.inactivity.start()
        self.sidebar.setCurrentRow(0)

    # -- pages ------------------------------------------------------------------------------------

    def page(self, cls: type[Page]) -> Page:
        return next(p for p in self.pages if isinstance(p, cls))

    def show_page(self, index: int) -> None:
        if 0 <= index < len(self.pages):
            self.sidebar.setCurrentRow(index)

    def _page_chosen(self, index: int) -> None:
        if 0 <= index < len(self.pages):
            self.stack.setCurrentIndex(index)
            if not self.session.locked:
                self.pages[index].refresh()

    # -- lock -------------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self.session.locked

    def lock(self, reason: str = "after inactivity") -> None:
        """Hide the pages, close the workspace, ask for the password (``reason`` completes
        "The workspace is locked …")."""
        if self.session.locked:
            return
        self.screens.setCurrentIndex(1)  # hide first: the pages may show PHI
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():  # the import wizard, confirmations: they may show PHI too
                dialog.done(QDialog.DialogCode.Rejected)
        self.inactivity.stop()
        self.session.lock()
        dialog = LockDialog(self.session, reason, self)
        dialog.unlocked.connect(self._unlocked)
        dialog.sign_out_requested.connect(self.sign_out)
        self.lock_dialog = dialog
        dialog.open()

    def _unlocked(self) -> None:
        self.lock_dialog = None
        self.screens.setCurrentIndex(0)
        self.inactivity.start()
        self.pages[self.stack.currentIndex()].refresh()

    # -- leaving ----------------------------------------------------------------------------------

    def running_jobs(self) -> list[JobRunner]:
        return [runner for runner in self.findChildren(JobRunner) if runner.running]

    def _leave(self, then: Callable[[], None]) -> None:
        running = self.running_jobs()
        if not running:
            then()
            return
        kinds = ", ".join(sorted({r.kind or "job" for r in running}))

        def leave() -> None:
            self._detach_jobs()
            then()

        confirm(self, "A job is running",
                f"A job is still running ({kinds}). It keeps running after you leave; sign in again to see "
                "when it ends.", "Leave it running", leave)

    def _detach_jobs(self) -> None:
        for runner in self.running_jobs():
            runner.detach()

    def _shutdown_pages(self) -> None:
        if self._pages_shut_down:
            return
        self._pages_shut_down = True
        for page in self.pages:
            page.shutdown()

    def sign_out(self) -> None:
        def done() -> None:
            self._leaving = True
            if self.lock_dialog is not None:
                self.lock_dialog.done(QDialog.DialogCode.Rejected)
                self.lock_dialog = None
            self.inactivity.stop()
            self._shutdown_pages()
            self.session.close()
            self.signed_out.emit()
            self.close()

        self._leave(done)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._leaving or not self.running_jobs():
            self._shutdown_pages()
            self._leaving = True
            self.inactivity.stop()
            self.session.close()
            event.accept()
            return
        event.ignore()

        def done() -> None:
            self._leaving = True
            self.close()

        self._leave(done)
