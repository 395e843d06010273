"""SIGKILL at chosen moments during import and a de-identification job, while another process (a 24/7
server) holds the workspace open: nothing half-written, no job left 'running', no plaintext scratch left,
and the whole workspace still verifies (chain, signatures, security tables, pages, blobs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance import jobs, synthetic
from appliance.catalog import jobs as job_records
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

REPO = Path(__file__).resolve().parents[2]
DELAYS = (0.4, 0.9, 1.6, 2.6)


def _cli(root: Path, user: str, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "APPLIANCE_PASSWORD": PASSWORDS[user]}
    return subprocess.Popen([sys.executable, "-m", "appliance.cli", "--workspace", str(root), "--user", user, *argv],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _kill_after(process: subprocess.Popen[str], delay: float) -> None:
    time.sleep(delay)
    try:  # the whole group: a job runs in a child of the CLI
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    if process.stderr:
        process.stderr.close()


def _running_jobs(server: Workspace) -> list[job_records.Job]:
    return [j for j in job_records.list_jobs(server) if j.status == "running" and j.pid]


def _kill_job_after(process: subprocess.Popen[str], server: Workspace, delay: float) -> None:
    """Kill the job's own process (it is started in a session of its own, to outlive its launcher)
    `delay` seconds after it recorded itself as running: counted from the launcher's start instead, a
    loaded machine still importing libraries would let the job start after the kill and run on."""
    deadline = time.monotonic() + 300
    while not _running_jobs(server) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(delay)
    for job in _running_jobs(server):
        if job.pid:
            try:
                os.kill(job.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    _kill_after(process, 0)


def _check(root: Path, server: Workspace) -> None:
    """What must hold after each kill, checked while ``server`` keeps the workspace open."""
    with Workspace.open(root, "admin", PASSWORDS["admin"]) as ws:  # a shared open: no exclusive housekeeping
        jobs.reap_dead_jobs(ws)
        assert [j.job_id for j in job_records.list_jobs(ws) if j.status == "running"] == []
        assert [p.name for p in (root / "scratch").iterdir()] == [], "plaintext scratch outlived a killed process"
        report = ws.verify()
        assert report.ok, report.problems()
        conn = ws.read()
        imports = {e.object_ids[0]: e.details for e in ws.audit_entries(action="data.import")}
        for dataset, count in conn.execute("SELECT dataset, count(*) FROM records GROUP BY dataset"):
            assert dataset in imports, f"dataset {dataset} has records but no import entry"
            assert count == sum(d["imported"] for e in ws.audit_entries(action="data.import")
                                if e.object_ids[0] == dataset for d in [e.details])
    assert server.read().execute("SELECT count(*) FROM users").fetchone()[0] == 3  # the server still reads


@pytest.mark.slow
def test_sigkill_during_import_and_deid_run(ws_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "notes.jsonl"
    synthetic.write_jsonl(synthetic.generate(300, seed=11), source)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as server:
        for n, delay in enumerate(DELAYS):
            _kill_after(_cli(ws_path, "ivy", "import", str(source), "--dataset", f"batch{n}"), delay)
            _check(ws_path, server)
        done = _cli(ws_path, "ivy", "import", str(source), "--dataset", "ward")
        assert done.wait(timeout=600) == 0, done.stderr.read() if done.stderr else ""
        if done.stderr:
            done.stderr.close()
        for delay in DELAYS:
            _kill_job_after(_cli(ws_path, "ivy", "deid", "run", "--dataset", "ward"), server, delay)
            _check(ws_path, server)
        finished = _cli(ws_path, "ivy", "deid", "run", "--dataset", "ward")
        assert finished.wait(timeout=900) == 0, finished.stderr.read() if finished.stderr else ""
        if finished.stderr:
            finished.stderr.close()
        _check(ws_path, server)
        with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
            statuses = [r[0] for r in ws.read().execute("SELECT status FROM deid_versions ORDER BY created")]
        assert statuses[-1] == "complete" and "running" not in statuses
        killed = [j for j in job_records.list_jobs(server) if j.kind == "deid" and j.status == "failed"]
        assert killed, "no de-identification job was caught mid-way; the delays are too long for this machine"
