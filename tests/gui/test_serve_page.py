"""Serve page: start the local server for an export, create an API key (shown once), see a request
counted from the audit log, stop the server; key management is for admins only."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.pages.serve import ServePage
from tests.gui.conftest import wait_ops


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def open_page(qtbot, session) -> ServePage:
    page = ServePage(session)
    qtbot.addWidget(page)
    page.resize(1040, 700)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    return page


def chat(url: str, key: str | None, model: str) -> tuple[int, dict]:
    body = json.dumps({"model": model, "max_tokens": 4,
                       "messages": [{"role": "user", "content": "Triage this note: chest pain."}]}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(url + "/v1/chat/completions", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 (loopback test server)
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def test_start_server_create_key_count_requests_and_stop(qtbot, exported_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(exported_ws, "admin"))
    assert page.export_table.rowCount() == 1
    model_id = page.state["exports"][0]["model_id"]
    assert model_id == "ward-specialty-merged"
    assert not page.start_button.isEnabled() and page.start_button.toolTip().startswith("Select one or more")
    page.export_table.selectRow(0)
    page.port.setValue(free_port())
    assert page.start_button.isEnabled() and not page.stop_button.isEnabled()

    # A key first (admin only), scoped to the one model; it is shown once and can be copied.
    page.key_name.setText("ehr-triage")
    page.key_models.setText(f" {model_id} ,")
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.shown_box.isVisible(), timeout=20_000)
    key = page.key_shown.text()
    assert key.startswith("ak-") and "shown only this once" in page.banner.text()
    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == key
    wait_ops(qtbot)
    assert page.key_table.rowCount() == 1 and page.key_table.item(0, 4).text() == "active"
    assert page.key_table.item(0, 1).text() == model_id and page.key_models.text() == ""

    with qtbot.waitSignal(page.server.ready, timeout=180_000):
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
        assert "Starting" in page.status.text() and not page.start_button.isEnabled()
    url = page.server.url
    assert page.status.text().startswith(f"Running at {url}") and page.stop_button.isEnabled()
    assert page.banner.state == "ok"

    status, answer = chat(url, key, model_id)
    assert status == 200 and answer["choices"][0]["message"]["role"] == "assistant"
    assert chat(url, None, model_id)[0] == 401
    qtbot.waitUntil(lambda: page.state["traffic"]["models"].get(model_id, {}).get("requests") == 1,
                    timeout=30_000)
    qtbot.waitUntil(lambda: page.state["traffic"]["total"] == 2, timeout=30_000)  # the refused one too
    assert page.traffic_table.item(0, 0).text() == model_id and page.traffic_table.item(0, 1).text() == "1"
    assert page.traffic_table.item(1, 0).text().startswith("(none") and page.traffic_table.item(1, 2).text() == "1"
    assert "requests since the server started" in page.traffic_label.text()

    with qtbot.waitSignal(page.server.stopped, timeout=30_000) as stopped:
        qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    assert stopped.args[0] == ""
    assert page.banner.state == "info" and page.status.text() == "Stopped."
    assert page.start_button.isEnabled() and not page.stop_button.isEnabled()

    # Revoke the key.
    page.key_table.selectRow(0)
    qtbot.mouseClick(page.revoke_button, Qt.MouseButton.LeftButton)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Revoke"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.key_table.rowCount() == 1 and page.key_table.item(0, 4).text() == "revoked",
                    timeout=20_000)


def test_a_server_that_cannot_start_says_why(qtbot, exported_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(exported_ws, "ivy"))
    assert not page.create_button.isEnabled()
    assert page.create_button.toolTip() == "Only admins create and revoke API keys"
    page.export_table.selectRow(0)
    page.host.setText("192.0.2.1")  # not loopback, no TLS: the core refuses to serve prompts in clear
    with qtbot.waitSignal(page.server.stopped, timeout=180_000) as stopped:
        page.start()
    assert "without TLS" in stopped.args[0]
    assert page.banner.state == "error" and "without TLS" in page.banner.text()
    assert page.start_button.isEnabled()
