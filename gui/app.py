"""Entry point of the desktop app: ``main(argv)`` shows the sign-in window, then the main window.

    appliance-gui [--workspace DIR] [--user NAME] [--lock-minutes N]

``--workspace`` defaults to ``$APPLIANCE_WORKSPACE`` like the CLI. Signing out returns to the sign-in
window; closing the main window or the sign-in window quits.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from gui import style, wheel
from gui.lock import DEFAULT_LOCK_MINUTES
from gui.mainwindow import MainWindow
from gui.session import Session
from gui.signin import SignInDialog


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="appliance-gui", description="Clinical Tuning Appliance desktop app")
    parser.add_argument("--workspace", type=Path, default=os.environ.get("APPLIANCE_WORKSPACE"),
                        help="workspace folder to offer at sign-in (default: $APPLIANCE_WORKSPACE)")
    parser.add_argument("--user", default=os.environ.get("APPLIANCE_USER", ""), help="user name to offer")
    parser.add_argument("--lock-minutes", type=float, default=DEFAULT_LOCK_MINUTES,
                        help=f"lock after this many minutes without input (default {DEFAULT_LOCK_MINUTES:g})")
    args = parser.parse_args(argv)
    if args.lock_minutes <= 0:
        parser.error("--lock-minutes must be positive")
    return args


class App(QObject):
    """Switches between the sign-in window and the main window; quits when the user leaves."""

    def __init__(self, qt_app: QApplication, workspace: Path | None, user: str, lock_minutes: float) -> None:
        super().__init__()
        self._qt = qt_app
        self._workspace, self._user, self._lock_minutes = workspace, user, lock_minutes
        self.sign_in: SignInDialog | None = None
        self.window: MainWindow | None = None

    def show_sign_in(self) -> SignInDialog:
        dialog = SignInDialog(self._workspace, self._user)
        dialog.signed_in.connect(self._signed_in)
        dialog.rejected.connect(self._qt.quit)
        self.sign_in = dialog
        dialog.show()
        return dialog

    def _signed_in(self, session: Session) -> None:
        self._workspace, self._user = session.root, session.user.name
        window = MainWindow(session, self._lock_minutes)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.signed_out.connect(self._signed_out)
        window.destroyed.connect(self._window_gone)
        self.window = window
        window.show()
        self.sign_in = None

    def _signed_out(self) -> None:
        self.show_sign_in()

    def _window_gone(self) -> None:
        if self.sign_in is None:
            self._qt.quit()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    qt_app = QApplication.instance() or QApplication(["appliance-gui"])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("Clinical Tuning Appliance")
    qt_app.setQuitOnLastWindowClosed(False)  # switching windows must not quit; App decides
    style.apply(qt_app)
    wheel.install(qt_app)  # the wheel changes only the focused spin box, combo box or slider
    app = App(qt_app, args.workspace, args.user, args.lock_minutes)
    app.show_sign_in()
    return int(qt_app.exec())


if __name__ == "__main__":
    sys.exit(main())
