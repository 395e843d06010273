"""Audit page (search, verify job with a green verdict, export) and Users page (add, remove, password)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from appliance.workspace import Workspace
from gui.pages.audit import AuditPage, verdict
from gui.pages.users import UsersPage
from tests.conftest import PASSWORDS
from tests.gui.conftest import wait_ops


def test_verify_shows_verified_and_search_filters(qtbot, ws_path: Path, tmp_path: Path, open_session) -> None:
    page = AuditPage(open_session(ws_path, "rex"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    assert page.table.rowCount() == 3  # workspace.create, users.add x2
    assert page.table.item(0, 3).text() == "users.add"  # newest first

    with qtbot.waitSignal(page.job_panel.runner.finished, timeout=60_000):
        qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    assert page.result.state == "ok"
    assert page.result.text().startswith("Verified: the audit chain (")
    wait_ops(qtbot)

    page.action_filter.setText("job")
    qtbot.keyClick(page.action_filter, Qt.Key.Key_Return)
    wait_ops(qtbot)
    assert [page.table.item(r, 3).text() for r in range(page.table.rowCount())] == ["job.end", "job.start"]
    page.action_filter.clear()
    page.user_filter.setCurrentText("admin")
    page.search()
    wait_ops(qtbot)
    assert {page.table.item(r, 2).text() for r in range(page.table.rowCount())} == {"admin"}

    out = tmp_path / "audit.jsonl"
    page.export_to(out)
    wait_ops(qtbot)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1)) and len(lines) == 5
    assert page.banner.state == "ok" and "chain verified" in page.banner.text()


def test_verdict_names_the_first_broken_entry() -> None:
    ok, text = verdict({"verified": False, "first_broken_entry": 7, "chain_problem": "entry 7 was altered"})
    assert not ok and "NOT intact" in text and "entry 7" in text


def test_admin_adds_and_removes_a_user_and_changes_own_password(qtbot, ws_path: Path, open_session) -> None:
    session = open_session(ws_path, "admin")
    page = UsersPage(session)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    assert [u.name for u in page.users] == ["admin", "ivy", "rex"]
    page.table.selectRow(0)
    assert not page.remove_button.isEnabled() and page.remove_button.toolTip() == "You cannot remove yourself"

    page.new_name.setText("uma")
    page.new_role.setCurrentIndex(page.new_role.findData("reviewer"))
    page.new_password.setText("uma-violet-canyon")
    page.new_repeat.setText("uma-violet-canyon")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    wait_ops(qtbot)
    assert page.banner.state == "ok"
    assert [(u.name, u.role) for u in page.users if u.name == "uma"] == [("uma", "reviewer")]

    page.table.selectRow([u.name for u in page.users].index("ivy"))
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Remove"), Qt.MouseButton.LeftButton)
    wait_ops(qtbot)
    assert "ivy" not in [u.name for u in page.users]

    page.own_password.setText("new-admin-granite-tide")
    page.own_repeat.setText("new-admin-granite-tide")
    qtbot.mouseClick(page.change_button, Qt.MouseButton.LeftButton)
    wait_ops(qtbot)
    assert page.banner.state == "ok" and session.password == "new-admin-granite-tide"
    qtbot.mouseClick(page.rotate_button, Qt.MouseButton.LeftButton)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Rotate"), Qt.MouseButton.LeftButton)
    wait_ops(qtbot)
    assert page.banner.state == "ok" and "generation 2" in page.banner.text()
    Workspace.open(ws_path, "uma", "uma-violet-canyon").close()
    Workspace.open(ws_path, "admin", "new-admin-granite-tide").close()
    assert PASSWORDS["admin"] != "new-admin-granite-tide"
