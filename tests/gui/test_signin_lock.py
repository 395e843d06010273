"""Sign-in (wrong then right password, creating a workspace) and the inactivity lock with re-auth."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from appliance.store.keyslots import TEST_KDF
from gui.ops import Op
from gui.session import SessionLocked
from gui.signin import SignInDialog
from tests.conftest import PASSWORDS
from tests.gui.conftest import wait_ops


def test_wrong_password_shows_message_and_stays_then_right_password_signs_in(qtbot, ws_path: Path) -> None:
    dialog = SignInDialog(ws_path, "ivy")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText("not-her-password")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10_000)
    assert "authentication failed" in dialog.message.text().lower()
    assert "try again" in dialog.message.text()
    assert dialog.isVisible() and dialog.session is None
    assert dialog.password.selectedText() == "not-her-password"  # ready to be retyped

    dialog.password.setText(PASSWORDS["ivy"])
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.session is not None
    assert (dialog.session.user.name, dialog.session.user.role) == ("ivy", "informaticist")
    assert not dialog.isVisible()
    dialog.session.close()
    wait_ops(qtbot)


def test_create_workspace_checks_the_repeated_password(qtbot, tmp_path: Path) -> None:
    dialog = SignInDialog(kdf=TEST_KDF)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    dialog.new_folder.edit.setText(str(tmp_path / "new-ws"))
    dialog.admin.setText("ada")
    dialog.new_password.setText("first-long-passphrase")
    dialog.repeat_password.setText("other-long-passphrase")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "differ" in dialog.message.text()
    assert not (tmp_path / "new-ws").exists()
    qtbot.wait(50)
    hint = next(label for label in dialog.tabs.currentWidget().findChildren(QLabel) if "second admin" in label.text())
    for label in (hint, dialog.message):  # every wrapped line shows, none is cut off
        assert label.height() >= label.heightForWidth(label.width()), label.text()

    dialog.repeat_password.setText("first-long-passphrase")
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000):
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.session is not None and dialog.session.user.role == "admin"
    dialog.session.close()
    wait_ops(qtbot)


def test_inactivity_locks_then_reauth_reopens_the_workspace(qtbot, ws_path: Path, open_session) -> None:
    from gui.mainwindow import MainWindow

    session = open_session(ws_path, "rex")
    window = MainWindow(session, lock_minutes=0.01)  # 600 ms
    qtbot.addWidget(window)
    window.show()
    wait_ops(qtbot)

    # Input keeps it unlocked: the application-wide event filter restarts the timer on every key.
    end = time.monotonic() + 1.2
    while time.monotonic() < end:
        qtbot.keyClick(window.sidebar, Qt.Key.Key_Shift)
        qtbot.wait(100)
    assert not window.locked

    qtbot.waitUntil(lambda: window.locked, timeout=5_000)
    assert window.screens.currentIndex() == 1  # pages hidden
    with pytest.raises(SessionLocked):
        _ = session.ws
    with pytest.raises(SessionLocked):
        _ = session.password
    dialog = window.lock_dialog
    assert dialog is not None and dialog.isVisible()

    dialog.password.setText("wrong")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10_000)
    # The user is the session's own: the message speaks of the password, not of an "unknown user".
    assert dialog.message.text().startswith("That is not the password of rex.")
    assert "unknown user" not in dialog.message.text()
    qtbot.wait(50)  # the dialog grows to the wrapped message on the next layout pass
    assert dialog.message.height() >= dialog.message.heightForWidth(dialog.message.width())  # not clipped
    assert window.locked and dialog.isVisible()

    dialog.password.setText(PASSWORDS["rex"])
    with qtbot.waitSignal(dialog.unlocked, timeout=10_000):
        qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert not window.locked and window.screens.currentIndex() == 0
    assert session.password == PASSWORDS["rex"]
    users: list[str] = []
    ws = session.ws
    Op(None, lambda: [u.name for u in ws.users()]).success(users.extend).run()
    qtbot.waitUntil(lambda: bool(users), timeout=5_000)
    assert users == ["admin", "ivy", "rex"]
    window.inactivity.stop()
