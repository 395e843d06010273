"""The datasets and snapshots catalogs: typed rows, writes only in a transaction, snapshot ids counted inside it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from appliance.catalog import datasets, snapshots
from appliance.errors import InvalidInput
from appliance.store.db import Connection
from appliance.workspace import Workspace
from tests.catalog.conftest import SNAPSHOT, interleaved
from tests.conftest import PASSWORDS


def _add(tx: Connection, note_id: str, patient: str, text: str, content_hash: str, note_type: str | None = None) -> int:
    return datasets.add_record(tx, "ward", note_id=note_id, patient_id=patient, source=f"f.csv:{note_id}",
                               date=None, note_type=note_type, text=text, metadata={"b": 1, "a": [2]},
                               content_hash=content_hash, imported="t")


def test_datasets_and_records(ws_path: Path) -> None:
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        with pytest.raises(RuntimeError, match="inside Workspace.transaction"):
            datasets.ensure(ws.read(), "ward", "t", "ivy")
        assert not datasets.exists(ws, "ward") and datasets.list_datasets(ws) == []
        with ws.transaction("data.import") as tx:
            datasets.ensure(tx, "ward", "t0", "ivy")
            datasets.ensure(tx, "ward", "t1", "rex")  # an existing dataset keeps its creation
            first = _add(tx, "n1", "p1", "Seen today.", "h1", "progress")
            second = _add(tx, "n2", "p1", "Discharged.", "h2")
            third = _add(tx, "n3", "p2", "Admitted.", "h3", "progress")
            datasets.set_metadata(tx, second, {"source_ids": ["x"]}, "h2b")
        assert datasets.exists(ws, "ward") and datasets.record_count(ws, "ward") == 3
        assert datasets.list_datasets(ws) == [datasets.Dataset("ward", 3, 2, {"progress": 2, "?": 1}, "t0", "ivy")]
        assert datasets.patient_notes(ws, "ward", "p1") == [(first, "f.csv:n1", "Seen today."),
                                                            (second, "f.csv:n2", "Discharged.")]
        assert datasets.with_hash(ws, "ward", "h2b") == (second, "f.csv:n2")
        assert datasets.with_hash(ws, "ward", "h2") is None and datasets.with_hash(ws, "other", "h1") is None
        assert datasets.content_hashes(ws, [third, first]) == {first: "h1", third: "h3"}
        stored = datasets.get_record(ws, second)
        assert stored is not None and (stored.metadata, stored.content_hash) == ({"source_ids": ["x"]}, "h2b")
        assert datasets.get_record(ws, 999) is None
        assert [r.record_id for r in datasets.records_after(ws, "ward", first, 1)] == [second]
        assert [r.record_id for r in datasets.records_after(ws, "ward", third, 10)] == []


def _snapshot(tx: Connection, content_hash: str, splits: list[tuple[int, str]] | None = None) -> snapshots.Snapshot:
    return snapshots.create(tx, dataset="ward", deid_version="ward-d1", config={"seed": 1}, report={"short": 2},
                            counts={"train": 1, "validation": 0, "test": 0}, content_hash=content_hash,
                            unreviewed_override=True, created_by="ivy", splits=splits or [])


def test_snapshots_typed_and_numbered_inside_the_transaction(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("test.fixture") as tx:
            tx.execute("INSERT INTO records (record_id, dataset, note_id, patient_id, source, text, metadata,"
                       " content_hash, imported) VALUES (1, 'ward', 'n1', 'p1', 's', 'Seen.', '{\"a\": 1}', 'r1', 't')")
            tx.execute("INSERT INTO deid_records (version_id, record_id, text, spans, risk, metadata)"
                       " VALUES ('ward-d1', 1, 'Seen [x].', '[]', 0, '{\"a\": 2}')")
        with pytest.raises(RuntimeError, match="inside Workspace.transaction"):
            _snapshot(ws.read(), "h2")
        with pytest.raises(ZeroDivisionError), ws.transaction("data.snapshot") as tx:
            _snapshot(tx, "h2")
            1 / 0  # noqa: B018
        assert snapshots.with_hash(ws, "h2") is None
        with ws.transaction("data.snapshot") as tx:
            made = _snapshot(tx, "h2", [(1, "train")])
        assert made.snapshot_id == "ward@v2"  # the fixture's ward@v1 counted; the rolled-back one freed its number
        assert snapshots.get(ws, "ward@v2") == made == snapshots.with_hash(ws.read(), "h2")
        assert (made.config, made.report, made.unreviewed_override) == ({"seed": 1}, {"short": 2}, True)
        assert snapshots.split_records(ws, made, "train") == [snapshots.SplitRecord(1, "p1", "Seen [x].", {"a": 2},
                                                                                    None)]
        assert snapshots.split_records(ws, made, "test") == []
        assert snapshots.get(ws, SNAPSHOT).config == {}
        with pytest.raises(InvalidInput, match="no snapshot 'ward@v9'"):
            snapshots.get(ws, "ward@v9")


def test_a_second_creator_waits_and_counts_the_first_snapshot(snap_ws: Path) -> None:
    """B asks for a number while A's snapshot is not yet committed: B waits for A's lock and takes the next one."""
    got = interleaved(snap_ws, "ivy", "data.snapshot",
                      lambda tx: _snapshot(tx, f"hash-{threading.get_ident()}").snapshot_id)
    assert got == {"a": "ward@v2", "b": "ward@v3"}
