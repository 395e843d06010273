"""Snapshots: patient-level splits, review gate with audited override, content hash, reuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from appliance.data.snapshots import SnapshotSpec, create_snapshot, load_split, snapshot_info
from appliance.deid.service import mark_reviewed, run_deid
from appliance.errors import InvalidInput
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


@pytest.fixture
def reviewed_ws(notes_ws: Path) -> Path:
    """The notes workspace with 'ward' de-identified by ivy and that version marked reviewed by rex."""
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        version = run_deid(ws, "ward")["version"]
    with Workspace.open(notes_ws, "rex", PASSWORDS["rex"]) as ws:
        mark_reviewed(ws, version)
    return notes_ws


def assert_patients_disjoint(splits: dict[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
    """No patient in two splits; returns each split's patients."""
    patients = {name: {r["patient"] for r in rows} for name, rows in splits.items()}
    assert not (patients["train"] & patients["validation"] or patients["train"] & patients["test"]
                or patients["validation"] & patients["test"])
    return patients


def test_unreviewed_refused_then_override_audited(notes_ws: Path) -> None:
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with pytest.raises(InvalidInput, match="no de-identified version"):
            create_snapshot(ws, SnapshotSpec("ward"))
        run_deid(ws, "ward")
        with pytest.raises(InvalidInput, match="not reviewed"):
            create_snapshot(ws, SnapshotSpec("ward"))
        info = create_snapshot(ws, SnapshotSpec("ward", allow_unreviewed=True))
        assert info.unreviewed_override and info.created
        entry = list(ws.audit_entries(action="data.snapshot*"))[-1]
        assert entry.action == "data.snapshot.unreviewed-override" and entry.details["unreviewed_override"]


def test_reviewed_snapshot_splits_and_hash(reviewed_ws: Path) -> None:
    with Workspace.open(reviewed_ws, "ivy", PASSWORDS["ivy"]) as ws:
        info = create_snapshot(ws, SnapshotSpec("ward", seed=1, fractions=(0.5, 0.25, 0.25)))
        assert not info.unreviewed_override and info.snapshot_id == "ward@v1"
        assert sum(info.counts.values()) == 24 - sum(info.report.values())
        splits = {name: load_split(ws, info.snapshot_id, name) for name in ("train", "validation", "test")}
        assert all(splits.values())
        assert_patients_disjoint(splits)
        originals = dict(ws.read().execute("SELECT record_id, text FROM records").fetchall())
        for row in splits["train"]:
            assert row["text"] != originals[row["record_id"]]  # de-identified text, not the original
            assert {"specialty", "triage", "summary"} <= set(row)
        again = create_snapshot(ws, SnapshotSpec("ward", seed=1, fractions=(0.5, 0.25, 0.25)))
        assert not again.created and again.snapshot_id == info.snapshot_id
        other = create_snapshot(ws, SnapshotSpec("ward", seed=2, fractions=(0.5, 0.25, 0.25)))
        assert other.content_hash != info.content_hash and other.snapshot_id == "ward@v2"
        assert snapshot_info(ws, info.snapshot_id)["content_hash"] == info.content_hash


def test_stratified_snapshot_keeps_patients_whole_and_classes_in_test(reviewed_ws: Path) -> None:
    from collections import Counter

    from appliance.data.splits import patient_majority_labels

    with Workspace.open(reviewed_ws, "ivy", PASSWORDS["ivy"]) as ws:
        plain = create_snapshot(ws, SnapshotSpec("ward", seed=1, fractions=(0.5, 0.25, 0.25)))
        info = create_snapshot(ws, SnapshotSpec("ward", seed=1, fractions=(0.5, 0.25, 0.25), stratify_field="triage"))
        assert info.created and info.content_hash != plain.content_hash
        assert snapshot_info(ws, info.snapshot_id)["config"]["stratify_field"] == "triage"
        assert "stratify_field" not in snapshot_info(ws, plain.snapshot_id)["config"]
        splits = {name: load_split(ws, info.snapshot_id, name) for name in ("train", "validation", "test")}
        again = create_snapshot(ws, SnapshotSpec("ward", seed=1, fractions=(0.5, 0.25, 0.25), stratify_field="triage"))
        assert not again.created and again.snapshot_id == info.snapshot_id
        with pytest.raises(InvalidInput, match="no record of 'ward' has a value in column 'nope'"):
            create_snapshot(ws, SnapshotSpec("ward", stratify_field="nope"))
    patients = assert_patients_disjoint(splits)
    every = [{**r, "patient_id": r["patient"]} for rows in splits.values() for r in rows]
    labels = patient_majority_labels(every, "triage")
    enough = {y for y, n in Counter(labels.values()).items() if n >= 3}
    assert enough and enough <= {labels[p] for p in patients["test"]}
