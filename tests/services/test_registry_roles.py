"""Roles as the README's table says them, enforced by the core and explained by ``registry.actions``;
the baseline gate and its audited override."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from appliance import registry
from appliance.catalog import runs
from appliance.catalog.runs import Run, RunId
from appliance.errors import ApplianceError, PermissionDenied
from appliance.workspace import User, UserName, Workspace
from tests.conftest import PASSWORDS

ADMIN, IVY, REX = (User(UserName("admin"), "admin", ""), User(UserName("ivy"), "informaticist", ""),
                   User(UserName("rex"), "reviewer", ""))
TRAINED = Run(RunId("run-0001-lora"), "lora", "classify", "tiny-chat", "ward@s1", {}, "done", "trained", "", "ivy",
              "", {}, "blob-1", None)

# (run, user) -> the expected sentence for each action ("" = allowed); one row per role and state.
CASES = [
    (TRAINED, IVY, {"evaluate": "", "approve": "Only reviewers and admins approve models",
                    "reject": "Only reviewers and admins reject runs",
                    "export": "Only approved runs are exported; a reviewer must approve it first"}),
    (TRAINED, REX, {"evaluate": "", "approve": "Evaluate the run first", "reject": "",
                    "export": "Only informaticists and admins export models"}),
    (replace(TRAINED, state="evaluated"), REX, {"evaluate": "", "approve": "", "reject": "",
                                                "export": "Only informaticists and admins export models"}),
    (replace(TRAINED, state="evaluated"), ADMIN, {"evaluate": "", "approve": "", "reject": "",
                                                  "export": "Only approved runs are exported; a reviewer must "
                                                            "approve it first"}),
    (replace(TRAINED, state="approved"), IVY, {"evaluate": "", "approve": "Only reviewers and admins approve models",
                                               "reject": "Only reviewers and admins reject runs", "export": ""}),
    (replace(TRAINED, state="approved"), REX, {"evaluate": "", "approve": "Already approved as ward v1",
                                               "reject": "", "export": "Only informaticists and admins export "
                                                                       "models"}),
    (replace(TRAINED, state="evaluated", created_by="rex"), REX, {
        "evaluate": "", "approve": "You trained run-0001-lora; another reviewer must approve it", "reject": "",
        "export": "Only informaticists and admins export models"}),
    (replace(TRAINED, state="rejected"), ADMIN, {"evaluate": "", "approve": "The run is rejected",
                                                 "reject": "The run is already rejected",
                                                 "export": "Only approved runs are exported; a reviewer must "
                                                           "approve it first"}),
    (replace(TRAINED, status="running", state="candidate"), ADMIN, {
        "evaluate": "The run is running; only finished runs can be evaluated", "approve": "Evaluate the run first",
        "reject": "", "export": "Only approved runs are exported; a reviewer must approve it first"}),
    (replace(TRAINED, method="tfidf", artifact_blob=None), IVY, {
        "evaluate": "Baselines are evaluated by the comparison that made them",
        "approve": "Only reviewers and admins approve models",
        "reject": "Only reviewers and admins reject runs", "export": "Baselines have no trained weights to export"}),
]


@pytest.mark.parametrize(("run", "user", "expected"), CASES)
def test_actions_say_what_each_role_may_do(run: Run, user: User, expected: dict[str, str]) -> None:
    approved_as = "ward v1" if run.state == "approved" else None
    assert registry.actions(run, user, approved_as) == expected


def test_role_table_is_the_readme_table() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {"export": "`appliance export RUN", "serve": "`appliance serve --model", "approve": "`appliance approve RUN",
            "evaluate": "`appliance evaluate RUN"}
    for action, start in rows.items():
        line = next(line for line in readme.splitlines() if line.startswith(f"| {start}"))
        who = line.split(" | ")[1]
        named = {role for role in ("admin", "informaticist", "reviewer") if role in who}
        assert named == set(registry.ACTION_ROLES[action]), (action, who)
    from appliance.serve.served import SERVE_ROLES

    assert set(SERVE_ROLES) == set(registry.ACTION_ROLES["serve"])  # what `appliance serve` itself requires


def test_reviewer_may_not_export_or_serve(ws_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from appliance.cli import main
    from appliance.export.service import export_run

    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws, pytest.raises(PermissionDenied, match="reviewer"):
        export_run(ws, "run-0001-lora", "merged", tmp_path / "out")
    (tmp_path / "export").mkdir()
    password = tmp_path / "pw"
    password.write_text(PASSWORDS["rex"])
    code = main(["--workspace", str(ws_path), "--user", "rex", "--password-file", str(password),
                 "serve", "--model", str(tmp_path / "export")])
    assert code == 3
    assert "this needs admin or informaticist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _baseline(ws: Workspace, snapshot: str, score: float, records: int) -> str:
    with ws.transaction("baseline.run", [], {}) as tx:
        run = runs.create(tx, method="tfidf", task="classify", base_model="scikit-learn", snapshot_id=snapshot,
                          config={"request": {"task_config": {"label_field": "triage"}}}, created_by=ws.user.name,
                          result={})
    registry.record_evaluation(ws, run.run_id, {"primary_metric": score, "metric_name": "macro_f1",
                                                "records": records, "exposure": {"measured": False}})
    return run.run_id


def test_baseline_gate_refuses_a_run_below_the_best_baseline_unless_overridden(tiny_ws: Path) -> None:
    from tests.services.test_registry import GOOD, _trained_runs

    low, close = _trained_runs(tiny_ws, 2)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        snapshot = runs.get(ws, low).snapshot_id
        _baseline(ws, snapshot, 0.8, 40)
        best = _baseline(ws, snapshot, 0.9, 40)
        registry.record_evaluation(ws, low, {**GOOD, "primary_metric": 0.5, "records": 3})
        registry.record_evaluation(ws, close, {**GOOD, "primary_metric": 0.85, "records": 40})
    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        summary = registry.baseline_comparison(ws, low)
        assert summary["best"]["run_id"] == best and [b["score"] for b in summary["baselines"]] == [0.9, 0.8]
        assert summary["run"]["records"] == 3 and summary["run"]["interval"][1] < 0.9  # 0.5 on 3: up to 0.87
        assert "below the best baseline (tfidf, 0.900)" in summary["failure"]
        with pytest.raises(ApplianceError, match="baseline gate.*override"):
            registry.approve(ws, low, "checked")
        # 0.85 on 40 records: the baseline's 0.9 lies inside the run's interval (up to 0.93), so it passes.
        assert registry.baseline_comparison(ws, close)["failure"] == ""
        assert registry.approve(ws, close, "checked", name="ward-triage")["version"] == 1
        approved = registry.approve(ws, low, "the board accepted the lower score", name="ward-triage",
                                    override_baseline=True)
        assert approved["version"] == 2
        entries = list(ws.audit_entries(action="registry.approve"))
        assert "baseline_override" not in entries[0].details
        assert "below the best baseline" in entries[1].details["baseline_override"]
    with Workspace.open(tiny_ws, "admin", PASSWORDS["admin"]) as ws:
        registry.set_gates(ws, registry.Gates(baseline_margin=None))
        assert registry.baseline_comparison(ws, low)["failure"] == ""
