"""Serve page: start and stop the local OpenAI-compatible server for chosen exports, manage API keys,
and see the requests it answered.

The server is the CLI's ``appliance serve`` in a child process (``gui.server``). Keys are the core's
(``appliance.serve.workspace_keys``): only their hashes are stored, so a new key is shown once, with a Copy
button, and never again. Traffic comes from the audit chain (every answered request is one
``serve.request`` entry: key name, model, route, status, latency and token counts, never text), counted
since the server last started; the GUI holds no key of its own to read ``/metrics`` with.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from appliance import registry
from appliance.export.service import exports
from appliance.serve.config import ServeConfig, is_loopback_host
from appliance.serve.workspace_keys import create_key, list_keys, revoke_key
from appliance.workspace import Workspace
from gui.errors import show_error
from gui.pages.base import Allowed, Page, page_header
from gui.server import LocalServer
from gui.session import Session
from gui.widgets import Banner, confirm, fill_table, fit_columns_to_width, make_table, selected_key

TRAFFIC_POLL_MS = 2000
DEFAULT_PORT = 8080
NO_MODEL = "(none: refused before the model was read)"  # e.g. a request without a valid key


def serve_state(ws: Workspace) -> dict[str, Any]:
    """Exports that can be served (their folder still exists), API keys, and recent traffic (one Op)."""
    rows = []
    for export in exports(ws):
        path = Path(export["path"])
        if export["status"] == "done" and path.is_dir():
            rows.append({**export, "model_id": served_model_id(path)})
    return {"exports": rows, "keys": list_keys(ws), "traffic": traffic(ws)}


def served_model_id(path: Path) -> str:
    """The id clients send as "model": export.json's ``model_id``, else the folder name (the rule of
    ``appliance.serve.backends.loading``, read here without importing the serving libraries)."""
    try:
        data = json.loads((path / "export.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    model_id = data.get("model_id") if isinstance(data, dict) else None
    return str(model_id or path.resolve().name)


def traffic(ws: Workspace) -> dict[str, Any]:
    """Requests audited since the server last started, per model: count, errors, latency, tokens."""
    starts = list(ws.audit_entries(action="serve.start"))
    if not starts:
        return {"since": None, "models": {}, "total": 0}
    since = starts[-1]
    per_model: dict[str, dict[str, Any]] = defaultdict(lambda: {"requests": 0, "errors": 0, "latencies": [],
                                                                 "prompt_tokens": 0, "completion_tokens": 0})
    total = 0
    for entry in ws.audit_entries(action="serve.request", since_seq=since.seq):
        details = entry.details
        row = per_model[str(details.get("model") or NO_MODEL)]
        row["requests"] += 1
        row["errors"] += int(int(details.get("status") or 0) >= 400)
        row["latencies"].append(float(details.get("latency_ms") or 0.0))
        row["prompt_tokens"] += int(details.get("prompt_tokens") or 0)
        row["completion_tokens"] += int(details.get("completion_tokens") or 0)
        total += 1
    return {"since": since.time, "models": dict(per_model), "total": total}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] if ordered else 0.0


class ServePage(Page):
    title = "Serve"
    roles_allowed = {
        "keys": Allowed(("admin",), "Only admins create and revoke API keys"),
        "serve": Allowed(registry.ACTION_ROLES["serve"], registry.ROLE_REFUSALS["serve"]),
    }

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.state: dict[str, Any] = {"exports": [], "keys": [], "traffic": {"models": {}, "total": 0}}
        self.served: list[str] = []
        self.new_key = ""
        helps = ServeConfig.help()

        top = page_header("Serve models", "An OpenAI-compatible API for the hospital's EHR tools. Every request "
                          "needs an API key; each one is recorded in the audit log as hashes, never as text.")
        self.banner = Banner()

        # exports and the server
        self.export_table = make_table(["Model id", "Run", "Format", "Folder", "Exported (UTC)"], "exportTable")
        self.export_table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.export_table.setToolTip("Select the exports to serve (click to add or remove one)")
        self.export_table.itemSelectionChanged.connect(self._update_actions)
        self.host = QLineEdit(ServeConfig().host)
        self.host.setAccessibleName("Host")
        self.host.setToolTip(helps["host"])
        # Room for a full host name or IPv6 address, not just 127.0.0.1.
        self.host.setMinimumWidth(self.host.fontMetrics().horizontalAdvance("appliance-01.ward.hospital.org") + 16)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setAccessibleName("Port")
        self.port.setToolTip(helps["port"])
        self.start_button = QPushButton("&Start server")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("S&top server")
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel("Stopped.")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        address = QHBoxLayout()
        host_label = QLabel("&Host")
        host_label.setBuddy(self.host)
        port_label = QLabel("&Port")
        port_label.setBuddy(self.port)
        address.addWidget(host_label)
        address.addWidget(self.host, 1)
        address.addWidget(port_label)
        address.addWidget(self.port)
        address.addWidget(self.start_button)
        address.addWidget(self.stop_button)
        server_box = QGroupBox("Exports to serve")
        server_layout = QVBoxLayout(server_box)
        server_layout.addWidget(self.export_table, 1)
        server_layout.addLayout(address)
        server_layout.addWidget(self.status)

        # keys
        self.key_table = make_table(["Key name", "Models", "Created (UTC)", "By", "Status"], "keyTable")
        fit_columns_to_width(self.key_table)  # "Status" in view, no scrollbar
        self.key_table.itemSelectionChanged.connect(self._update_actions)
        self.key_name = QLineEdit()
        self.key_name.setPlaceholderText("e.g. ehr-triage")
        self.key_name.setAccessibleName("New key name")
        self.key_name.textChanged.connect(self._update_actions)
        self.key_models = QLineEdit()
        self.key_models.setPlaceholderText("all models, or model ids separated by commas")
        self.key_models.setAccessibleName("Models the new key may use")
        self.key_models.setToolTip("The key is refused for any other model. Model ids are in the first column above.")
        self.create_button = QPushButton("&Create key")
        self.create_button.clicked.connect(self.add_key)
        self.revoke_button = QPushButton("&Revoke selected…")
        self.revoke_button.clicked.connect(self.ask_revoke)
        self.key_shown = QLineEdit()
        self.key_shown.setReadOnly(True)
        self.key_shown.setAccessibleName("New API key")
        self.key_shown.setObjectName("newKey")
        self.copy_button = QPushButton("Cop&y")
        self.copy_button.setToolTip("Copy the new key to the clipboard")
        self.copy_button.clicked.connect(self.copy_key)
        self.key_warning = QLabel("Shown once: store it in the EHR tool's configuration now. Only its hash is kept.")
        self.key_warning.setObjectName("hint")
        self.key_warning.setWordWrap(True)
        key_row = QHBoxLayout()
        name_label = QLabel("Na&me")
        name_label.setBuddy(self.key_name)
        key_row.addWidget(name_label)
        key_row.addWidget(self.key_name, 1)
        models_label = QLabel("Mo&dels")
        models_label.setBuddy(self.key_models)
        key_row.addWidget(models_label)
        key_row.addWidget(self.key_models, 2)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.create_button)
        button_row.addWidget(self.revoke_button)
        shown_row = QHBoxLayout()
        shown_row.addWidget(self.key_shown, 1)
        shown_row.addWidget(self.copy_button)
        self.shown_box = QWidget()
        shown_layout = QVBoxLayout(self.shown_box)
        shown_layout.setContentsMargins(0, 0, 0, 0)
        shown_layout.addLayout(shown_row)
        shown_layout.addWidget(self.key_warning)
        self.shown_box.setVisible(False)
        keys_box = QGroupBox("API keys")
        keys_layout = QVBoxLayout(keys_box)
        keys_layout.addWidget(self.key_table, 1)
        keys_layout.addLayout(key_row)
        keys_layout.addLayout(button_row)
        keys_layout.addWidget(self.shown_box)

        # traffic
        self.traffic_table = make_table(["Model", "Requests", "Errors", "Mean ms", "p95 ms", "Tokens in",
                                         "Tokens out"], "trafficTable")
        fit_columns_to_width(self.traffic_table)  # "Tokens out" in view
        self.traffic_table.setToolTip("Errors: answers with status 400 or above (e.g. 401 for a missing key). "
                                      "Latency from request to last byte; tokens in = prompt, out = completion.")
        self.traffic_label = QLabel("")
        self.traffic_label.setObjectName("hint")
        self.traffic_label.setWordWrap(True)
        traffic_box = QGroupBox("Requests since the server started")
        traffic_layout = QVBoxLayout(traffic_box)
        traffic_layout.addWidget(self.traffic_label)
        traffic_layout.addWidget(self.traffic_table, 1)

        body = QHBoxLayout()
        body.addWidget(server_box, 5)
        body.addWidget(keys_box, 6)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addLayout(body, 3)
        layout.addWidget(traffic_box, 2)  # the whole width: seven columns of figures

        self.server = LocalServer(self)
        self.server.ready.connect(self._ready)
        self.server.stopped.connect(self._stopped)
        self.poll = QTimer(self)
        self.poll.setInterval(TRAFFIC_POLL_MS)
        self.poll.timeout.connect(self.reload_traffic)
        self._polling = False
        session.lock_changed.connect(lambda locked: self.hide_new_key() if locked else None)

        self.setTabOrder(self.export_table, self.host)
        self.setTabOrder(self.host, self.port)
        self.setTabOrder(self.port, self.start_button)
        self.setTabOrder(self.start_button, self.stop_button)
        self.setTabOrder(self.stop_button, self.key_table)
        self.setTabOrder(self.key_table, self.key_name)
        self.setTabOrder(self.key_name, self.create_button)
        self.setTabOrder(self.create_button, self.revoke_button)
        self.setTabOrder(self.revoke_button, self.key_shown)
        self.setTabOrder(self.key_shown, self.copy_button)
        self._update_actions()

    # -- state ------------------------------------------------------------------------------------

    def selected_exports(self) -> list[dict[str, Any]]:
        rows = sorted({index.row() for index in self.export_table.selectionModel().selectedRows()})
        wanted = []
        for row in rows:
            item = self.export_table.item(row, 0)
            export_id = None if item is None else item.data(Qt.ItemDataRole.UserRole)
            wanted += [e for e in self.state["exports"] if e["export_id"] == export_id]
        return wanted

    def _update_actions(self) -> None:
        running = self.server.running
        chosen = self.selected_exports()
        ids = [e["model_id"] for e in chosen]
        why = ("The server is running; stop it to change what it serves" if running else
               "Export an approved model first (Models page)" if not self.state["exports"] else
               "Select one or more exports to serve" if not chosen else
               "Two selected exports have the same model id; choose one of them" if len(set(ids)) < len(ids) else "")
        self.gate(self.start_button, "serve", ready=not why, why_not_ready=why,
                  tip="Start the API server for the selected exports")
        self.gate(self.stop_button, "stop", ready=running, why_not_ready="The server is not running",
                  tip="Stop the server; requests in progress finish, their audit entries are written")
        self.host.setEnabled(not running)
        self.port.setEnabled(not running)
        name = self.key_name.text().strip()
        self.gate(self.create_button, "keys", ready=bool(name), why_not_ready="Type a name for the new key",
                  tip="Create an API key; it is shown once")
        key = selected_key(self.key_table)
        active = any(k["name"] == key and not k["revoked"] for k in self.state["keys"])
        self.gate(self.revoke_button, "keys", ready=active, why_not_ready="Choose an active key",
                  tip="Revoke the selected key: requests with it are refused within seconds")

    # -- loading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ws_op(serve_state).success(self._show).titled("Could not read the exports and keys").run()

    def _show(self, state: dict[str, Any]) -> None:
        chosen = {e["export_id"] for e in self.selected_exports()}
        self.state = state
        exported = state["exports"]
        self.export_table.blockSignals(True)
        fill_table(self.export_table, [[e["model_id"], e["run_id"], e["format"], e["path"],
                                        (e["created"] or "")[:19].replace("T", " ")] for e in exported],
                   keys=[e["export_id"] for e in exported])
        # selectRow would toggle in multi-selection mode: set the selection explicitly.
        selection = self.export_table.selectionModel()
        selection.clearSelection()
        for row, export in enumerate(exported):
            if export["export_id"] in chosen:
                selection.select(self.export_table.model().index(row, 0),
                                 QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
        self.export_table.blockSignals(False)
        keys = state["keys"]
        keep = selected_key(self.key_table)
        fill_table(self.key_table, [[k["name"], ", ".join(k["models"]) if k["models"] else "all models",
                                     (k["created"] or "")[:19].replace("T", " "), k["created_by"],
                                     "revoked" if k["revoked"] else "active"] for k in keys],
                   keys=[k["name"] for k in keys])
        names = [k["name"] for k in keys]
        if keep in names:
            self.key_table.selectRow(names.index(keep))
        self._show_traffic(state["traffic"])
        self._update_actions()

    def reload_traffic(self) -> None:
        if self._polling or self.session.locked:
            return
        self._polling = True
        self.ws_op(traffic).success(self._show_traffic).failure(self._poll_failed).run()

    def _poll_failed(self, _exc: BaseException) -> None:
        self._polling = False  # e.g. locked mid-poll; the next tick tries again

    def _show_traffic(self, found: dict[str, Any]) -> None:
        self._polling = False
        self.state["traffic"] = found
        rows = []
        for model, row in sorted(found["models"].items(), key=lambda item: (item[0] == NO_MODEL, item[0])):
            latencies = row["latencies"]
            mean = sum(latencies) / len(latencies) if latencies else 0.0
            rows.append([model, row["requests"], row["errors"], round(mean, 1), round(percentile(latencies, 0.95), 1),
                         row["prompt_tokens"], row["completion_tokens"]])
        fill_table(self.traffic_table, rows)
        if found.get("since") is None:
            self.traffic_label.setText("The server has not run in this workspace yet.")
        else:
            when = str(found["since"])[:19].replace("T", " ")
            state = "running" if self.server.is_ready else "last run"
            self.traffic_label.setText(f"{found['total']} requests since the server started at {when} UTC "
                                       f"({state}), from the audit log; refreshed every "
                                       f"{TRAFFIC_POLL_MS // 1000} s while it runs.")

    # -- the server -------------------------------------------------------------------------------

    def start(self) -> None:
        chosen = self.selected_exports()
        if self.server.running or not chosen or not self.start_button.isEnabled():
            return
        host, port = self.host.text().strip(), self.port.value()
        if not is_loopback_host(host):
            self.banner.show_state("warn", f"Serving on {host}: reachable from other machines. The server refuses "
                                           "plain HTTP off this machine unless TLS is configured (appliance serve "
                                           "--tls-cert/--tls-key).")
        else:
            self.banner.clear_state()
        self.served = [e["model_id"] for e in chosen]
        self.server.start(self.session, [Path(e["path"]) for e in chosen], host, port)
        self.status.setText(f"Starting: loading {', '.join(self.served)}…")
        self._update_actions()

    def stop(self) -> None:
        if self.server.running:
            self.status.setText("Stopping…")
            self.server.stop()
            self.stop_button.setEnabled(False)

    def shutdown(self) -> None:
        self.poll.stop()
        self.server.shutdown()

    def _ready(self, url: str) -> None:
        self.status.setText(f"Running at {url} — serving {', '.join(self.served)}. OpenAI-compatible routes: "
                            "/v1/models, /v1/completions, /v1/chat/completions (Authorization: Bearer KEY). "
                            "Stops when you sign out or close the app.")
        self.banner.show_state("ok", f"The server answers at {url}.")
        self.poll.start()
        self.reload_traffic()
        self._update_actions()

    def _stopped(self, message: str) -> None:
        self.poll.stop()
        if message:
            self.status.setText("Stopped.")
            self.banner.show_state("error", f"The server stopped: {message}")
        else:
            self.status.setText("Stopped.")
            self.banner.show_state("info", "The server stopped; the audit of its requests is complete.")
        self._update_actions()
        if not self.session.locked:
            self.reload_traffic()

    # -- keys -------------------------------------------------------------------------------------

    def add_key(self) -> None:
        name = self.key_name.text().strip()
        if not name or not self.may("keys"):
            return
        models = [m.strip() for m in self.key_models.text().split(",") if m.strip()] or None
        self.ws_op(lambda ws: create_key(ws, name, models)).success(lambda key: self._created(name, key)) \
            .titled("The key was not created").run()

    def _created(self, name: str, key: str) -> None:
        self.new_key = key
        self.key_shown.setText(key)
        self.shown_box.setVisible(True)
        self.key_name.clear()
        self.key_models.clear()
        self.banner.show_state("ok", f"API key '{name}' created. Copy it now: it is shown only this once.")
        self.refresh()

    def copy_key(self) -> None:
        if self.new_key:
            QGuiApplication.clipboard().setText(self.new_key)
            self.copy_button.setText("Copied")

    def ask_revoke(self) -> None:
        name = selected_key(self.key_table)
        if name is None or not self.revoke_button.isEnabled():
            return
        confirm(self, "Revoke API key", f"Revoke '{name}'? Tools using it are refused from now on.", "Revoke",
                lambda: self.revoke(str(name)))

    def revoke(self, name: str) -> None:
        self.ws_op(lambda ws: revoke_key(ws, name)).success(lambda _r: self._revoked(name)) \
            .failure(lambda exc: show_error(self, "The key was not revoked", exc)).run()

    def _revoked(self, name: str) -> None:
        self.banner.show_state("ok", f"API key '{name}' revoked.")
        self.refresh()

    def hide_new_key(self) -> None:
        """Forget the key shown once (called on lock: nothing secret stays on screen)."""
        self.new_key = ""
        self.key_shown.clear()
        self.shown_box.setVisible(False)
        self.copy_button.setText("Cop&y")
