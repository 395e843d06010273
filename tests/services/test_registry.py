"""Registry: gates block approval, self-approval is refused, versions and rollback, model cards."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import registry
from appliance.catalog import runs
from appliance.errors import ApplianceError, PermissionDenied
from appliance.tune.service import TuneRequest, run_tune, start_run
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

GOOD = {"primary_metric": 0.8, "metric_name": "macro_f1", "metrics": {"accuracy": 0.8},
        "exposure": {"max": 2.0, "mean": 1.0, "flagged": False}, "forgetting": {"before": 10.0, "after": 11.0}}


def _trained_runs(root: Path, n: int) -> list[str]:
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        ids = []
        for _ in range(n):
            run_id = start_run(ws, TuneRequest(dataset="ward", method="lora", base="tiny-chat", split_seed=1,
                                               overrides={"max_steps": 1, "max_seq_len": 128},
                                               task_config={"label_field": "triage"}))
            run_tune(ws, run_id)
            ids.append(run_id)
    return ids


@pytest.mark.slow  # three tuning runs, then evaluations and approvals
def test_approval_rules_versions_and_rollback(tiny_ws: Path) -> None:
    first, second, third = _trained_runs(tiny_ws, 3)
    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        with pytest.raises(ApplianceError, match="evaluate it first"):
            registry.approve(ws, first, "checked")
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        registry.record_evaluation(ws, first, GOOD)
        registry.record_evaluation(ws, second, {**GOOD, "exposure": {"max": 15.0, "mean": 9.0, "flagged": True}})
        with pytest.raises(PermissionDenied):
            registry.approve(ws, first, "my own run")  # an informaticist, and the trainer
    with Workspace.open(tiny_ws, "admin", PASSWORDS["admin"]) as ws:
        ws.add_user("ivy2", "reviewer", "ivy2-copper-meadow")
    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        with pytest.raises(ApplianceError, match="release gates.*exposure"):
            registry.approve(ws, second, "checked")
        v1 = registry.approve(ws, first, "checked against 40 notes", name="ward-triage")
        assert v1["version"] == 1 and "ward-triage v1" in v1["model_card"]
        assert "Approval note" in registry.model_card_text(ws, "ward-triage")
    with Workspace.open(tiny_ws, "admin", PASSWORDS["admin"]) as ws:
        registry.set_gates(ws, registry.Gates(max_exposure=None, min_metric=0.5, max_forgetting=None))
        registry.record_evaluation(ws, second, {**GOOD, "exposure": {"max": 15.0, "mean": 9.0, "flagged": False}})
        v2 = registry.approve(ws, second, "exposure accepted by the board", name="ward-triage")
        assert v2["version"] == 2 and registry.current(ws, "ward-triage")["run_id"] == second
        back = registry.rollback(ws, "ward-triage")
        assert back["version"] == 1 and registry.current(ws, "ward-triage")["run_id"] == first
        with pytest.raises(ApplianceError, match="nothing to roll back"):
            registry.rollback(ws, "ward-triage")
        registry.set_gates(ws, registry.Gates(min_metric=0.9))
        registry.record_evaluation(ws, third, GOOD)
        with pytest.raises(ApplianceError, match="below the gate"):
            registry.approve(ws, third, "again", name="ward-triage")
        assert [a["version"] for a in registry.approvals(ws)] == [1, 2]
        actions = [e.action for e in ws.audit_entries(action="registry.*")]
        assert actions == ["registry.approve", "registry.gates", "registry.approve", "registry.rollback",
                           "registry.gates"]


@pytest.mark.slow  # a tuning run, then an evaluation job in a child process
def test_evaluate_then_approve(tiny_ws: Path) -> None:
    from appliance import jobs

    (run_id,) = _trained_runs(tiny_ws, 1)
    final = jobs.run(tiny_ws, "ivy", PASSWORDS["ivy"], "evaluate", {"run": run_id})
    assert final["event"] == "done", final
    result = final["result"]
    assert result["metric_name"] == "macro_f1" and 0.0 <= result["primary_metric"] <= 1.0
    assert result["records"] > 0 and result["forgetting"]["before"] > 0 and result["forgetting"]["after"] > 0
    assert set(result["metrics"]) >= {"accuracy", "macro_f1", "confusion"}
    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        assert runs.get(ws, run_id).state == "evaluated"
        approved = registry.approve(ws, run_id, "held-out macro-F1 reviewed")
        assert approved["name"] == "ward-triage" and approved["version"] == 1
