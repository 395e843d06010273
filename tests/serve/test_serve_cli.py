"""``appliance serve`` itself: the command run as a process on an export of the workspace, with a key made
by ``appliance keys create``, answering (chat and the task endpoint), stopping cleanly on a signal, and
every request audited."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.errors import EXIT_AUTH, EXIT_INVALID_INPUT
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS, REPO

from .client import get, post
from .workspace_exports import served_ws  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # the served workspace takes a tuned, evaluated, approved and exported run

STARTUP_S = 300  # loading torch, optimum and two models on a busy 2-core machine; a bound, not a measurement


def cli_env(ws_path: Path, password: bool = True) -> dict[str, str]:
    env = {**os.environ, "APPLIANCE_WORKSPACE": str(ws_path), "APPLIANCE_USER": "admin"}
    env.pop("APPLIANCE_PASSWORD", None)
    if password:
        env["APPLIANCE_PASSWORD"] = PASSWORDS["admin"]
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_health(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"appliance serve exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if get(url, "/health", key=None, timeout=5).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"appliance serve did not answer /health within {STARTUP_S} s: {log.read_text()[-2000:]}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_command_answers_stops_cleanly_and_audits(served_ws, tmp_path: Path,  # noqa: F811
                                                        stop_signal: signal.Signals) -> None:
    ws_path = tmp_path / "ws"
    shutil.copytree(served_ws.root, ws_path)
    created = subprocess.run([sys.executable, "-m", "appliance.cli", "keys", "create", "--name", "ehr"],
                             env=cli_env(ws_path), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("ak-")

    password_file = tmp_path / "password"
    password_file.write_text(PASSWORDS["admin"] + "\n")
    password_file.chmod(0o600)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "appliance.cli", "--password-file", str(password_file), "serve",
             "--model", str(served_ws.merged), "--port", str(port)],
            env=cli_env(ws_path, password=False), cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    model_id = served_ws.merged.name
    try:
        wait_for_health(url, process, log)
        models = get(url, "/v1/models", key=key)
        assert models.status == 200, models.raw
        assert {m["id"] for m in models.json()["data"]} == {model_id}
        replies = {}
        for model in (model_id,):
            body = {"model": model, "messages": [{"role": "user", "content": "Chest pain since this morning."}],
                    "max_tokens": 8, "temperature": 0}
            reply = post(url, "/v1/chat/completions", body, key=key)
            assert reply.status == 200, reply.raw
            assert reply.json()["usage"]["completion_tokens"] >= 1
            replies[model] = reply.json()["choices"][0]["message"]["content"]
        classified = post(url, "/v1/classify", {"model": model_id, "input": "Chest pain since this morning."},
                          key=key)
        assert classified.status == 200, classified.raw
        assert classified.json()["model_version"] == served_ws.approval
        assert get(url, "/v1/models", key="ak-not-a-key").status == 401
        process.send_signal(stop_signal)
        assert process.wait(timeout=120) == 0, log.read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    output = log.read_text()
    assert "Traceback" not in output
    assert f"on http://127.0.0.1:{port}" in output
    assert key not in output  # the key is never logged

    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        assert [e.object_ids for e in ws.audit_entries(action="serve.start")] == [[model_id]]
        requests = [e.details for e in ws.audit_entries(action="serve.request")]
        assert ws.verify().ok
    chats = {d["model"]: d for d in requests if d["route"] == "/v1/chat/completions"}
    assert set(chats) == {model_id}
    for model, details in chats.items():
        assert details["key_name"] == "ehr" and details["status"] == 200
        assert details["response_sha256"] == hashlib.sha256(replies[model].encode()).hexdigest()
    assert [(d["route"], d["status"], d["key_name"]) for d in requests if d["route"] == "/v1/models"] == [
        ("/v1/models", 200, "ehr"), ("/v1/models", 401, "")]


def test_serve_command_refuses_a_missing_export_directory(ws_path: Path, tmp_path: Path, monkeypatch,
                                                          capsys) -> None:
    for name, value in cli_env(ws_path).items():
        monkeypatch.setenv(name, value)
    missing = tmp_path / "no-such-export"
    assert main(["serve", "--model", str(missing), "--port", str(free_port())]) == EXIT_INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("appliance: ") and str(missing) in err
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        assert not list(ws.audit_entries(action="serve.start"))  # nothing started, nothing recorded


def test_serve_command_refuses_a_wrong_password(exports, ws_path: Path, monkeypatch, capsys) -> None:
    for name, value in cli_env(ws_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APPLIANCE_PASSWORD", "wrong-password")
    assert main(["serve", "--model", str(exports.merged), "--port", str(free_port())]) == EXIT_AUTH
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "authentication failed" in err
