"""The app shell: sign-in leads to the main window with one page per registry entry; sign-out
returns to sign-in; Ctrl+<n> switches pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from appliance import jobs as core_jobs
from appliance.workspace import Workspace
from gui.app import App, parse_args
from gui.mainwindow import MainWindow
from gui.pages import PAGES
from gui.pages.deid import DeidPage
from tests.conftest import PASSWORDS
from tests.gui.conftest import wait_ops


def test_parse_args_defaults_and_checks(monkeypatch) -> None:
    monkeypatch.setenv("APPLIANCE_WORKSPACE", "/srv/ws")
    args = parse_args([])
    assert args.workspace == Path("/srv/ws") and args.lock_minutes == 10
    with pytest.raises(SystemExit):
        parse_args(["--lock-minutes", "0"])


def test_sign_in_main_window_pages_and_sign_out(qtbot, ws_path: Path) -> None:
    app = App(QApplication.instance(), ws_path, "admin", lock_minutes=30)
    dialog = app.show_sign_in()
    qtbot.addWidget(dialog)
    dialog.password.setText(PASSWORDS["admin"])
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    window = app.window
    assert window is not None and window.isVisible()
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == [p.title for p in PAGES]
    assert [type(p) for p in window.pages] == PAGES
    wait_ops(qtbot)

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages[2] and window.sidebar.currentRow() == 2
    wait_ops(qtbot)

    window.lock("by you")
    assert window.lock_dialog is not None and window.lock_dialog.isVisible()
    with qtbot.waitSignal(window.destroyed, timeout=10_000):
        qtbot.mouseClick(window.lock_dialog.sign_out_button, Qt.MouseButton.LeftButton)
    assert window.session.locked
    assert app.sign_in is not None and app.sign_in.isVisible()
    assert app.sign_in.folder.edit.text() == str(ws_path) and app.sign_in.user.text() == "admin"
    qtbot.addWidget(app.sign_in)
    wait_ops(qtbot)


def test_closing_with_a_running_job_asks_then_leaves_it_running(qtbot, deid_ws: Path, open_session) -> None:
    window = MainWindow(open_session(deid_ws, "ivy"), lock_minutes=30)
    qtbot.addWidget(window)
    window.show()
    deid = window.page(DeidPage)
    assert isinstance(deid, DeidPage)
    window.show_page(window.pages.index(deid))
    wait_ops(qtbot)
    deid.run_deid()
    job_id = deid.job_panel.runner.job_id
    window.close()
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert "still running (deid)" in box.text() and window.isVisible()
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Leave it running"), Qt.MouseButton.LeftButton)
    assert not window.isVisible() and not deid.job_panel.runner.running
    with Workspace.open(deid_ws, "admin", PASSWORDS["admin"]) as ws:
        qtbot.waitUntil(lambda: any(j.job_id == job_id and j.status == "done" for j in core_jobs.list_jobs(ws)),
                        timeout=90_000)
