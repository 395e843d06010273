"""Jobs: child processes with JSON-lines events, credentials on stdin, recorded and audited."""

from __future__ import annotations

from pathlib import Path

from appliance import jobs
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


def test_verify_job_runs_and_is_recorded(ws_path: Path, tmp_path: Path) -> None:
    src = tmp_path / "b.bin"
    src.write_bytes(b"z" * 3000)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        for _ in range(3):
            ws.put_blob(src, "test")
    events: list[dict] = []
    final = jobs.run(ws_path, "rex", PASSWORDS["rex"], "verify", {}, events.append)
    assert final["event"] == "done" and final["result"]["verified"] is True
    assert final["result"]["blobs_checked"] == 3
    assert events[0]["event"] == "started"
    assert any(e["event"] == "progress" and e["step"] == e["total"] == 3 for e in events)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        rows = jobs.list_jobs(ws)
        assert [(r.kind, r.status, r.user, r.alive) for r in rows] == [("verify", "done", "rex", False)]
        actions = [e.action for e in ws.audit_entries()][-2:]
        assert actions == ["job.start", "job.end"]


def test_job_failures_are_final_events(ws_path: Path) -> None:
    wrong = jobs.run(ws_path, "rex", "not-the-password", "verify", {})
    assert wrong["event"] == "failed" and wrong["exit_code"] == 3
    unknown = jobs.run(ws_path, "rex", PASSWORDS["rex"], "no-such-kind", {})
    assert unknown["event"] == "failed" and unknown["exit_code"] == 5


def test_job_outlives_its_reader(ws_path: Path) -> None:
    """A launcher that exits (GUI closed) must not kill the job: events are dropped, the job finishes."""
    import time

    handle = jobs.start(ws_path, "rex", PASSWORDS["rex"], "verify", {})
    assert handle.process.stdout is not None
    handle.process.stdout.close()
    handle.process.wait(timeout=120)
    with Workspace.open(ws_path, "admin", PASSWORDS["admin"]) as ws:
        for _ in range(50):
            rows = jobs.list_jobs(ws)
            if rows and rows[0].status != "running":
                break
            time.sleep(0.1)
        assert rows[0].status == "done"
        assert jobs.job_result(ws, rows[0].job_id)["verified"] is True
