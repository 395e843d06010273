"""A cancelled comparison stops scoring between batches: the phase's first progress call after the job is
asked to stop ends it, and the half-scored method registers no run."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.compare.request import PhaseProgress, PhaseStopped
from tests.conftest import PASSWORDS
from tests.services.conftest import notes_ws, tiny_ws  # noqa: F401  (fixtures used below)


def test_phase_progress_raises_only_once_asked_to_stop() -> None:
    events: list[tuple[str, dict]] = []
    stop = [False]
    phase = PhaseProgress(lambda name, **f: events.append((name, f)), "lora", "evaluating", should_stop=lambda: stop[0])
    phase(1, 4)
    stop[0] = True
    with pytest.raises(PhaseStopped, match="lora: evaluating stopped at 2 of 4"):
        phase(2, 4)
    assert [f["step"] for name, f in events if name == "progress"] == [1, 2]
    PhaseProgress(lambda name, **f: None, "icl", "scoring")(1, 4)  # no should_stop: never raises


@pytest.mark.parametrize("method", ["lora-head", "icl"])
def test_scoring_stops_at_the_next_batch_and_registers_nothing(tiny_ws: Path, method: str) -> None:  # noqa: F811
    from appliance.catalog import runs
    from appliance.compare import CompareRequest, run_comparison
    from appliance.workspace import Workspace

    request = CompareRequest(dataset="ward", methods=[method], base="tiny-chat", budget_seconds=600, shots=[0],
                             overrides={"max_steps": 1, "max_seq_len": 32, "batch_size": 1},
                             task_config={"label_field": "triage"}, split_seed=1)
    scoring: list[dict] = []

    def event(name: str, **fields: object) -> None:
        if name == "progress" and str(fields.get("phase", "")).startswith(("evaluating", "scoring")):
            scoring.append(fields)

    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        outcome = run_comparison(ws, request, event=event, should_stop=lambda: bool(scoring))
        registered = [r for r in runs.list_runs(ws) if r.method.startswith(method)]
    assert outcome["cancelled"] and outcome["runs"] == [] and registered == []
    assert len(scoring) == 1 and scoring[0]["step"] == 1 < scoring[0]["total"]
