"""`evaluate_run` asks the method table how a run is scored: a method registered with an `evaluator` is
scored by it (the run it is given is the stored run), and the shared artifact path is not entered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from appliance.tune.methods.registry import METHODS, Method, register, unregister
from tests.catalog.conftest import SNAPSHOT, snap_ws  # noqa: F401  (fixture used below)
from tests.conftest import PASSWORDS


@pytest.fixture
def scored_method():
    """A toy baseline whose evaluator records what it was called with."""
    calls: list[dict[str, Any]] = []

    def evaluator(ws: Any, run: Any, *, limit: int | None = None, progress: Any = None) -> dict[str, Any]:
        calls.append({"run_id": run.run_id, "method": run.method, "limit": limit, "progress": progress})
        return {"run_id": run.run_id, "primary_metric": 0.25, "by": "toy evaluator"}

    register(Method(name="toy-scored", label="toy", title="Toy", description="a toy", kind="classical",
                    cost_rank=9, runner=lambda *a, **k: None, evaluator=evaluator))
    yield calls
    unregister("toy-scored")


def test_a_registered_evaluator_is_what_evaluate_run_uses(snap_ws: Path, scored_method) -> None:  # noqa: F811
    from appliance.catalog import runs
    from appliance.evaluate.service import evaluate_head_run, evaluate_run
    from appliance.tune.methods.registry import resolve
    from appliance.workspace import Workspace

    def progress(done: int, total: int, **_: Any) -> None:
        pass

    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("test.run") as tx:
            run = runs.create(tx, method="toy-scored", task="classify", base_model="b", snapshot_id=SNAPSHOT,
                              config={}, created_by="ivy", result={"steps": 0})
        result = evaluate_run(ws, run.run_id, limit=3, progress=progress)
    assert result == {"run_id": run.run_id, "primary_metric": 0.25, "by": "toy evaluator"}
    assert scored_method == [{"run_id": run.run_id, "method": "toy-scored", "limit": 3, "progress": progress}]
    # The classifier-head method names its evaluator in its registration, by path; a tuned method names none.
    assert resolve(METHODS["lora-head"].evaluator or "") is evaluate_head_run
    assert METHODS["lora"].evaluator is None


def test_without_an_evaluator_a_run_with_no_artifact_is_refused(snap_ws: Path) -> None:  # noqa: F811
    from appliance.catalog import runs
    from appliance.errors import ApplianceError
    from appliance.evaluate.service import evaluate_run
    from appliance.workspace import Workspace

    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("test.run") as tx:
            run = runs.create(tx, method="tfidf", task="classify", base_model="scikit-learn", snapshot_id=SNAPSHOT,
                              config={}, created_by="ivy", result={"steps": 0})
        with pytest.raises(ApplianceError, match="baseline with no trained weights"):
            evaluate_run(ws, run.run_id)
