"""The approvals and exports catalogs: versions allocated inside the write transaction, typed rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.catalog import approvals, exports, runs
from appliance.workspace import Workspace
from tests.catalog.conftest import SNAPSHOT, interleaved
from tests.conftest import PASSWORDS


def _run(ws: Workspace) -> str:
    with ws.transaction("baseline.run") as tx:
        return runs.create(tx, method="icl", task="classify", base_model="tiny-chat", snapshot_id=SNAPSHOT,
                           config={}, created_by="ivy", result={}).run_id


def _publish(ws: Workspace, run_id: str, name: str = "ward-triage") -> approvals.Approval:
    with ws.transaction("registry.approve") as tx:
        return approvals.publish(tx, name, run_id, "rex", "t", "checked", lambda v: f"# {name} v{v}")


def test_publish_versions_current_and_rollback(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        first, second = _run(ws), _run(ws)
        one, two = _publish(ws, first), _publish(ws, second)
        other = _publish(ws, second, "ward-urgency")
        assert (one.version, two.version, other.version) == (1, 2, 1)
        assert two.label == "ward-triage@v2" and two.model_card == "# ward-triage v2" and two.current
        assert approvals.current(ws, "ward-triage") == two
        assert [a.current for a in approvals.versions(ws, "ward-triage")] == [False, True]
        assert approvals.latest_for_run(ws, second) == two  # the highest version naming the run
        with ws.transaction("registry.rollback") as tx:
            approvals.make_current(tx, "ward-triage", 1)
        assert approvals.current(ws, "ward-triage") == approvals.find(ws, "ward-triage", 1)
        assert approvals.find(ws, "ward-triage", 9) is None and approvals.current(ws, "nothing") is None
        assert [a.label for a in approvals.list_approvals(ws)] == ["ward-triage@v1", "ward-triage@v2",
                                                                   "ward-urgency@v1"]
        with pytest.raises(RuntimeError, match="inside Workspace.transaction"):
            approvals.publish(ws.read(), "x", first, "rex", "t", "n", str)


def test_two_reviewers_publishing_together_take_distinct_versions(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        run_id = _run(ws)
    got = interleaved(snap_ws, "rex", "registry.approve",
                      lambda tx: approvals.publish(tx, "ward-triage", run_id, "rex", "t", "n", str).version)
    assert got == {"a": 1, "b": 2}


def test_exports_are_recorded_with_new_ids(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        run_id = _run(ws)
        with ws.transaction("export.done") as tx:
            made = exports.create(tx, run_id, "merged", "/out/a", {"format": "merged"}, "t1", "ivy")
        with ws.transaction("export.done") as tx:
            again = exports.create(tx, run_id, "merged", "/out/b", {"format": "merged"}, "t2", "ivy")
        assert made.export_id.startswith(f"{run_id}-merged-") and made.export_id != again.export_id
        assert exports.list_exports(ws) == [made, again] and made.status == "done"
        with pytest.raises(RuntimeError, match="inside Workspace.transaction"):
            exports.create(ws.read(), run_id, "merged", "/out/c", {}, "t3", "ivy")
