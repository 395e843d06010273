"""The de-identified versions catalog: ids counted inside the write transaction, killed versions closed,
batches committed on their own, review reads and writes typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.catalog import datasets, deid_versions
from appliance.errors import InvalidInput
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


def test_versions_records_and_review(ws_path: Path) -> None:
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("data.import") as tx:
            datasets.ensure(tx, "ward", "t", "ivy")
            ids = [datasets.add_record(tx, "ward", note_id=f"n{i}", patient_id="p1", source="s", date=None,
                                       note_type=None, text=f"Note {i} of Ann.", metadata={}, content_hash=f"h{i}",
                                       imported="t") for i in (1, 2)]
        with pytest.raises(RuntimeError, match="inside Workspace.transaction"):
            deid_versions.start(ws.read(), "ward", "{}", "t1", "ivy")
        with ws.transaction("deid.start") as tx:
            killed = deid_versions.start(tx, "ward", "{}", "t1", "ivy")
        with pytest.raises(ZeroDivisionError), ws.transaction("deid.start") as tx:
            deid_versions.start(tx, "ward", "{}", "t2", "ivy")
            1 / 0  # noqa: B018
        with ws.transaction("deid.start") as tx:
            version = deid_versions.start(tx, "ward", '{"mode": "x"}', "t2", "ivy")
        assert (killed.version_id, version.version_id) == ("ward@deid1", "ward@deid2")
        assert deid_versions.find(ws, "ward@deid1").status == "failed"  # type: ignore[union-attr]
        with pytest.raises(RuntimeError, match="outside another transaction"), ws.transaction("x") as tx:
            deid_versions.write_batch(tx, version.version_id, [])
        deid_versions.write_batch(ws.read(), version.version_id,
                                  [(ids[0], "Note 1 of [NAME].", '[{"start": 10, "end": 13}]', 0.9, "{}"),
                                   (ids[1], "Note 2 of [NAME].", "[]", 0.1, "{}")])
        assert deid_versions.latest_complete(ws, "ward") is None
        with ws.transaction("deid.complete") as tx:
            deid_versions.complete(tx, version.version_id, 2, 1, "c1")
        latest = deid_versions.latest_complete(ws, "ward")
        assert latest is not None and (latest.version_id, latest.config, latest.records, latest.spans,
                                       latest.content_hash) == ("ward@deid2", '{"mode": "x"}', 2, 1, "c1")
        assert [v.version_id for v in deid_versions.list_versions(ws, "ward")] == ["ward@deid2", "ward@deid1"]
        assert [r[0] for r in deid_versions.stored_records(ws, "ward@deid2")] == ids
        assert [e.record_id for e in deid_versions.review_queue(ws, "ward@deid2", 5)] == ids  # riskiest first
        seen = deid_versions.review_record(ws, "ward@deid2", ids[0])
        assert (seen.original, seen.deidentified, seen.spans) == ("Note 1 of Ann.", "Note 1 of [NAME].",
                                                                  [{"start": 10, "end": 13}])
        with pytest.raises(InvalidInput, match="record 999 is not in version 'ward@deid2'"):
            deid_versions.review_record(ws, "ward@deid2", 999)
        with ws.transaction("deid.correct") as tx:
            deid_versions.correct(tx, "ward@deid2", ids[0], "Note 1 of Ann.", "[]", 0.0)
            deid_versions.note_opened(tx, "ward@deid2", ids[1], "rex", "t3")
            deid_versions.note_opened(tx, "ward@deid2", ids[1], "rex", "t4")  # a later opening changes nothing
        assert [e.record_id for e in deid_versions.review_queue(ws, "ward@deid2", 5)] == [ids[1], ids[0]]
        assert deid_versions.opened(ws, "ward@deid2", ids[1], "rex")
        assert not deid_versions.opened(ws, "ward@deid2", ids[0], "rex")
        assert deid_versions.coverage(ws, "ward@deid2") == (2, 1)
        assert deid_versions.scored_records(ws, "ward@deid2")[1] == ("n2", "Note 2 of Ann.", [])
        with ws.transaction("deid.reviewed") as tx:
            deid_versions.mark_reviewed(tx, "ward@deid2", "rex", "t5", "c2")
        done = deid_versions.find(ws, "ward@deid2")
        assert done is not None and (done.reviewed, done.reviewed_by, done.content_hash) == (True, "rex", "c2")
