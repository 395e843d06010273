"""SIGKILL during an export job and during serving (requests in flight, audit batches being written),
while another process keeps the workspace open: no job left 'running', no plaintext scratch, no half
export reported as done, and the workspace verifies (chain, signatures, security tables, pages, blobs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance import jobs
from appliance.catalog import jobs as job_records
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS
from tests.serve.client import get, post
from tests.serve.workspace_exports import build_served_workspace

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # a tuned, evaluated, approved and exported run, then kills


def _env(root: Path, user: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "APPLIANCE_WORKSPACE": str(root), "APPLIANCE_USER": user,
            "APPLIANCE_PASSWORD": PASSWORDS[user]}


def _check(root: Path) -> None:
    # A killed process holding a model lets go of its scratch lock only once the kernel has torn it down,
    # which may be after its job record says it is gone; each open sweeps what dead processes left.
    deadline = time.monotonic() + 60
    while [p.name for p in (root / "scratch").iterdir()] and time.monotonic() < deadline:
        with Workspace.open(root, "admin", PASSWORDS["admin"]):
            time.sleep(0.5)
    with Workspace.open(root, "admin", PASSWORDS["admin"]) as ws:  # shared: the test holds another open
        jobs.reap_dead_jobs(ws)
        assert [j.job_id for j in job_records.list_jobs(ws) if j.status == "running"] == []
        assert [p.name for p in (root / "scratch").iterdir()] == [], "plaintext scratch outlived a killed process"
        report = ws.verify()
        assert report.ok, report.problems()
        done = {e.details.get("out") for e in ws.audit_entries(action="export.done")}
        for row in ws.read().execute("SELECT path, status FROM exports"):
            assert row[1] != "running" or row[0] not in done


def _wait_gone(pid: int) -> None:
    """A killed process lets go of its files (and its scratch lock) when it has exited, which for a process
    holding a model takes a moment after the signal; a zombie has already let go."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        if "\nState:\tZ" in state:
            return
        time.sleep(0.1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigkill_during_export_and_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served = build_served_workspace(tmp_path / "ws", tmp_path, monkeypatch)
    root = served.root
    with Workspace.open(root, "admin", PASSWORDS["admin"]) as holder:
        for n, delay in enumerate((0.5, 2.0, 4.0)):
            out = tmp_path / f"export-{n}"
            cli = subprocess.Popen([sys.executable, "-m", "appliance.cli", "export", served.run_id, "--format",
                                    "merged", "--out", str(out)], env=_env(root, "ivy"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 300
            running: list[int] = []
            while not running and time.monotonic() < deadline and cli.poll() is None:
                running = [j.pid for j in job_records.list_jobs(holder) if j.status == "running" and j.pid]
                time.sleep(0.1)
            assert running, "the export job never started"
            time.sleep(delay)  # into the job: loading, merging, writing, sealing
            for pid in running:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
            for pid in running:
                _wait_gone(pid)
            _check(root)

        created = subprocess.run([sys.executable, "-m", "appliance.cli", "keys", "create", "--name", "ehr"],
                                 env=_env(root, "admin"), capture_output=True, text=True, timeout=300)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[-1]
        for _ in range(2):
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            server = subprocess.Popen([sys.executable, "-m", "appliance.cli", "serve", "--model", str(served.merged),
                                       "--port", str(port)], env=_env(root, "admin"),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    try:
                        if get(url, "/health", key=None, timeout=5).status == 200:
                            break
                    except OSError:
                        time.sleep(0.3)
                answered: list[int] = []

                def ask() -> None:
                    body = {"model": served.merged.name, "messages": [{"role": "user", "content": "Chest pain."}],
                            "max_tokens": 16, "temperature": 0}
                    for _ in range(20):
                        try:
                            answered.append(post(url, "/v1/chat/completions", body, key=key, timeout=30).status)
                        except OSError:
                            return  # the server is gone

                askers = [threading.Thread(target=ask) for _ in range(3)]
                for thread in askers:
                    thread.start()
                while len(answered) < 3:  # requests are being answered (and audited) when the kill comes
                    time.sleep(0.05)
                server.send_signal(signal.SIGKILL)
                server.wait()
                for thread in askers:
                    thread.join(60)
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()
            _check(root)
        with Workspace.open(root, "admin", PASSWORDS["admin"]) as ws:
            served_entries = [e for e in ws.audit_entries() if e.action.startswith("serve.")]
        assert served_entries, "no serving entry reached the chain before the kills"
