"""The runs catalog: typed rows, ids allocated inside the write transaction, the one state machine."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.catalog import runs
from appliance.catalog.runs import STATES, STATUSES, IllegalTransition, Run, RunId
from appliance.errors import InvalidInput
from appliance.store.db import Connection
from appliance.workspace import Workspace
from tests.catalog.conftest import SNAPSHOT, interleaved
from tests.conftest import PASSWORDS, REPO


def _create(tx: Connection, method: str = "lora", result: dict[str, object] | None = None) -> Run:
    return runs.create(tx, method=method, task="classify", base_model="tiny-chat",
                       snapshot_id=SNAPSHOT, config={"request": {"method": method}}, created_by="ivy",
                       result=result)


def test_create_get_list_and_typed_fields(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("tune.start") as tx:
            tuned = _create(tx)
        with ws.transaction("baseline.run") as tx:
            baseline = _create(tx, "icl", result={"k": 0})
        assert tuned.run_id == "run-0001-lora" and baseline.run_id == "run-0002-icl"
        assert (tuned.status, tuned.state, tuned.result, tuned.ended) == ("running", "candidate", None, None)
        assert (baseline.status, baseline.state, baseline.result) == ("done", "trained", {"k": 0})
        assert baseline.ended == baseline.created
        assert runs.get(ws, tuned.run_id) == tuned and runs.get(ws.read(), baseline.run_id) == baseline
        assert [r.run_id for r in runs.list_runs(ws)] == [tuned.run_id, baseline.run_id]
        assert runs.list_runs(ws, evaluated=True) == []
        with pytest.raises(InvalidInput, match="no run 'run-0404-x' in this workspace"):
            runs.get(ws, "run-0404-x")


def test_writes_refuse_to_run_outside_a_transaction(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with pytest.raises(RuntimeError, match="inside Workspace.transaction"):
            _create(ws.read())
        assert runs.list_runs(ws) == []


def test_a_failed_transaction_leaves_no_run_and_frees_the_number(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with pytest.raises(ZeroDivisionError), ws.transaction("tune.start") as tx:
            _create(tx)
            1 / 0  # noqa: B018
        assert runs.list_runs(ws) == []
        with ws.transaction("tune.start") as tx:
            assert _create(tx).run_id == "run-0001-lora"


def test_two_connections_interleaved_take_distinct_ids(snap_ws: Path) -> None:
    """B asks for an id while A's insert is not yet committed: B waits for A and counts A's run.

    Counting before the transaction (as runs were numbered before) gives both 'run-0001-lora' here,
    and B's insert then fails on the primary key.
    """
    got = interleaved(snap_ws, "ivy", "tune.start", lambda tx: _create(tx).run_id)
    assert got == {"a": "run-0001-lora", "b": "run-0002-lora"}


_CREATOR = """
import json, sys
from appliance.catalog import runs
from appliance.workspace import Workspace
root, password, method, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ids = []
with Workspace.open(root, "ivy", password) as ws:
    print("open", flush=True)
    sys.stdin.readline()  # start together
    for _ in range(n):
        with ws.transaction("tune.start", []) as tx:
            ids.append(runs.create(tx, method=method, task="classify", base_model="tiny-chat",
                                   snapshot_id="ward@v1", config={}, created_by="ivy").run_id)
print(json.dumps(ids))
"""


def test_two_processes_creating_runs_together_take_distinct_ids(snap_ws: Path) -> None:
    n = 15
    procs = [subprocess.Popen([sys.executable, "-c", _CREATOR, str(snap_ws), PASSWORDS["ivy"], method, str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=REPO) for method in ("lora", "full")]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
    for proc in procs:  # both are open before either creates a run
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err[-2000:] for _, err in outputs]
    made = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    numbers = sorted(int(run_id.split("-")[1]) for ids in made for run_id in ids)
    assert numbers == list(range(1, 2 * n + 1))  # no number taken twice, none skipped
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        assert sorted(r.run_id for r in runs.list_runs(ws)) == sorted(made[0] + made[1])


# -- the state machine ---------------------------------------------------------------------------

LEGAL = {
    # (status, state) -> targets transition() accepts
    ("running", "candidate"): {"running", "done", "cancelled", "failed", "rejected"},
    ("failed", "candidate"): {"running", "rejected"},
    ("cancelled", "candidate"): {"running", "rejected"},
    ("running", "rejected"): {"running", "done", "cancelled", "failed", "rejected"},
    ("done", "candidate"): {"evaluated", "rejected"},
    ("done", "trained"): {"evaluated", "rejected"},
    ("done", "evaluated"): {"evaluated", "approved", "rejected"},
    ("done", "approved"): {"exported", "rejected"},
    ("done", "exported"): {"exported", "rejected"},
    ("done", "rejected"): {"rejected"},
}


def _run(status: str, state: str) -> Run:
    return Run(RunId("run-0001-lora"), "lora", "classify", "tiny-chat", SNAPSHOT, {}, status, state,  # type: ignore[arg-type]
               "t", "ivy", None, None, None, None)


@pytest.mark.parametrize(("status", "state"), sorted(LEGAL))
def test_transition_table(status: str, state: str) -> None:
    run = _run(status, state)
    for to in STATUSES + STATES:
        if to in LEGAL[(status, state)]:
            moved = runs.transition(run, to)
            assert to in (moved.status, moved.state)
        else:
            with pytest.raises(IllegalTransition, match=f"run 'run-0001-lora' is .*; it cannot become {to}"):
                runs.transition(run, to)


def test_done_trains_a_candidate_but_keeps_a_rejection() -> None:
    assert runs.transition(_run("running", "candidate"), "done").state == "trained"
    assert runs.transition(_run("running", "rejected"), "done").state == "rejected"
    with pytest.raises(IllegalTransition, match="not a run status"):
        runs.transition(_run("running", "candidate"), "deployed")


def test_writes_follow_the_state_machine(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("tune.start") as tx:
            run_id = _create(tx).run_id
        with pytest.raises(IllegalTransition, match="is candidate \\(status running\\); it cannot become approved"):
            with ws.transaction("registry.approve") as tx:
                runs.move(tx, run_id, "approved")
        with ws.transaction("tune.cancelled") as tx:
            runs.cancel(tx, run_id, {"steps": 2})
        with ws.transaction("tune.failed") as tx:
            assert runs.fail(tx, run_id).status == "cancelled"  # only a running run is marked failed
        with ws.transaction("tune.resume") as tx:
            runs.resume(tx, run_id)
        with ws.transaction("tune.config") as tx:
            runs.set_config(tx, run_id, {"request": {}, "tune": {"lr": 1e-4}})
        with ws.transaction("tune.complete") as tx:
            done = runs.complete(tx, run_id, {"steps": 4}, None)  # type: ignore[arg-type]
        assert (done.status, done.state, done.result) == ("done", "trained", {"steps": 4})
        with pytest.raises(IllegalTransition, match="is done; it cannot become running"), \
                ws.transaction("tune.resume") as tx:
            runs.resume(tx, run_id)
        with ws.transaction("run.evaluated") as tx:
            runs.record_evaluation(tx, run_id, {"primary_metric": 0.5})
        for to in ("approved", "exported", "exported", "rejected"):
            with ws.transaction("registry.move") as tx:
                runs.move(tx, run_id, to)
        with ws.transaction("run.evaluated") as tx:
            runs.record_evaluation(tx, run_id, {"primary_metric": 0.6})
        stored = runs.get(ws, run_id)
        assert stored == dataclasses.replace(done, state="rejected", evaluation={"primary_metric": 0.6},
                                             config={"request": {}, "tune": {"lr": 1e-4}})
        assert [e.action for e in ws.audit_entries(action="tune.*")][-1] == "tune.complete"
