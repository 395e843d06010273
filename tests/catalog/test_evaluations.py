"""The evaluations view: typed figures over the JSON stored with a run, stored only through ``record``."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import registry
from appliance.catalog import evaluations, runs
from appliance.errors import InvalidInput
from appliance.workspace import Workspace
from tests.catalog.conftest import SNAPSHOT
from tests.conftest import PASSWORDS

STORED = {"run_id": "x", "metric_name": "macro_f1", "primary_metric": 0.75, "records": 4,
          "metrics": {"macro_f1": 0.75, "n": 4},
          "forgetting": {"before": 10.0, "after": 11.0}, "exposure": {"measured": True, "max": 2.5},
          "slices": {"note_type": {}}, "seconds": 1.5}


def test_record_get_list_and_the_audited_summary(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("baseline.run") as tx:
            baseline = runs.create(tx, method="icl", task="classify", base_model="tiny-chat", snapshot_id=SNAPSHOT,
                                   config={}, created_by="ivy", result={"k": 0})
            tuned = runs.create(tx, method="lora", task="classify", base_model="tiny-chat", snapshot_id=SNAPSHOT,
                                config={}, created_by="ivy")
        assert evaluations.of(baseline) is None and evaluations.get(ws, tuned.run_id) is None
        with pytest.raises(InvalidInput, match="no run 'run-0404-x'"):
            evaluations.get(ws, "run-0404-x")
        with pytest.raises(RuntimeError, match="inside Workspace.transaction"):
            evaluations.record(ws.read(), baseline.run_id, STORED)
        registry.record_evaluation(ws, baseline.run_id, STORED)
        found = evaluations.get(ws, baseline.run_id)
        assert found is not None and found.run_id == baseline.run_id
        assert (found.metric_name, found.primary_metric, found.records, found.metrics["n"]) == ("macro_f1", 0.75, 4, 4)
        assert (found.forgetting["after"], found.exposure["max"], found.stored) == (11.0, 2.5, STORED)
        assert runs.get(ws, baseline.run_id).state == "evaluated"
        assert evaluations.list_evaluations(ws) == [found]
        entry = list(ws.audit_entries(action="run.evaluated"))[-1]
        assert entry.details == found.summary() == {k: STORED[k] for k in ("primary_metric", "metric_name",
                                                                           "exposure", "forgetting")}
        bare = evaluations.Evaluation.from_json("r", {"metric_name": "rougeL"})
        assert (bare.primary_metric, bare.records, bare.metrics) == (None, 0, {})
        assert (bare.forgetting, bare.exposure) == ({}, {})
