"""De-identification on the workspace: versions, review queue, corrections, review marking, jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance import jobs, synthetic
from appliance.cli import main
from appliance.deid import DeidConfig
from appliance.deid.service import correct, latest_version, mark_reviewed, review_queue, review_record, run_deid
from appliance.errors import ApplianceError, InvalidInput, PermissionDenied
from appliance.ingest.service import import_path
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


def test_run_keeps_originals_and_replaces_phi(notes_ws: Path) -> None:
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        before = ws.read().execute("SELECT group_concat(text, '|') FROM records").fetchone()[0]
        summary = run_deid(ws, "ward")
        assert summary["records"] == 24 and summary["spans"] > 100
        assert set(summary["labels"]) >= {"NAME", "DATE", "ID"}
        assert ws.read().execute("SELECT group_concat(text, '|') FROM records").fetchone()[0] == before
        version = latest_version(ws, "ward")
        assert version == summary["version"] == "ward@deid1"
        actions = [e.action for e in ws.audit_entries()][-2:]
        assert actions == ["deid.start", "deid.complete"]
        masked = run_deid(ws, "ward", DeidConfig(mode="mask"))
        text = review_record(ws, masked["version"], 1)["deidentified"]
        assert "[NAME]" in text
    with Workspace.open(notes_ws, "rex", PASSWORDS["rex"]) as ws:  # a reviewer reads the original
        record = review_record(ws, version, 1)
        names = [record["original"][s["start"]:s["end"]] for s in record["spans"] if s["label"] == "NAME"]
        assert names
        for original in names:
            if len(original) > 3:
                assert original not in record["deidentified"]


def test_review_correct_and_mark(notes_ws: Path) -> None:
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        version = run_deid(ws, "ward")["version"]
        with pytest.raises(PermissionDenied):
            correct(ws, version, 1, add=[(0, 3, "NAME")])
    with Workspace.open(notes_ws, "rex", PASSWORDS["rex"]) as ws:
        queue = review_queue(ws, version, limit=50)
        assert len(queue) == 24
        assert [q["risk"] for q in queue] == sorted((q["risk"] for q in queue), reverse=True)
        record = review_record(ws, version, queue[0]["record_id"])
        first = record["spans"][0]
        # Remove a detected span: the original text comes back at that place.
        correct(ws, version, record["record_id"], remove=[(first["start"], first["end"], first["label"])])
        after = review_record(ws, version, record["record_id"])
        assert after["corrected"] and len(after["spans"]) == len(record["spans"]) - 1
        assert record["original"][first["start"]:first["end"]] in after["deidentified"]
        # Add a missed span: a word of the note that was left alone is now replaced.
        word_start = after["original"].index(after["original"].split()[0])
        word = after["original"].split()[0]
        correct(ws, version, record["record_id"], add=[(word_start, word_start + len(word), "NAME")])
        assert review_record(ws, version, record["record_id"])["deidentified"].split()[0] != word
        with pytest.raises(InvalidInput):
            correct(ws, version, record["record_id"], add=[(5, 2, "NAME")])
        with pytest.raises(InvalidInput):
            correct(ws, version, record["record_id"], remove=[(0, 1, "AGE")])
        assert review_queue(ws, version, limit=50)[-1]["corrected"]
        digest = mark_reviewed(ws, version).content_hash
        assert len(digest) == 64
        with pytest.raises(ApplianceError, match="already marked reviewed"):
            correct(ws, version, 1, add=[(0, 2, "NAME")])
        corrections = list(ws.audit_entries(action="deid.correct"))
        assert len(corrections) == 2 and "text" not in json.dumps(corrections[0].details)


def test_deid_job_and_cli(notes_ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    final = jobs.run(notes_ws, "ivy", PASSWORDS["ivy"], "deid", {"dataset": "ward"})
    assert final["event"] == "done" and final["result"]["records"] == 24
    missing = jobs.run(notes_ws, "ivy", PASSWORDS["ivy"], "deid", {"dataset": "nope"})
    assert missing["event"] == "failed" and missing["exit_code"] == 5
    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(notes_ws))
    monkeypatch.setenv("APPLIANCE_USER", "rex")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["rex"])
    assert main(["deid", "review", "--dataset", "ward", "--json", "--limit", "3"]) == 0
    queue = json.loads(capsys.readouterr().out)
    assert len(queue) == 3
    assert main(["deid", "review", "--dataset", "ward", "--mark-reviewed"]) == 0
    monkeypatch.setenv("APPLIANCE_USER", "ivy")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["ivy"])
    assert main(["deid", "run", "--dataset", "ward", "--mode", "mask", "--json"]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "started" and events[-1]["event"] == "done"
    assert events[-1]["result"]["version"] == "ward@deid2"


def test_stateless_detect_and_eval_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = synthetic.generate(10, seed=11)
    gold = tmp_path / "gold.jsonl"
    synthetic.write_gold_jsonl(notes, gold)
    out = tmp_path / "pred.jsonl"
    assert main(["deid", "detect", "--input", str(gold), "--output", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 10 and all({"id", "spans"} <= set(x) for x in lines)
    capsys.readouterr()
    assert main(["deid", "eval", "--gold", str(gold)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["token"]["recall"] > 0.9
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    assert main(["deid", "detect", "--input", str(bad), "--output", str(out)]) == 5


def test_cancelled_job_leaves_a_failed_version_and_audit(ws_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "many.jsonl"
    synthetic.write_jsonl(synthetic.generate(450, seed=5, target_chars=300), source)
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        import_path(ws, source, "big")
    handle = jobs.start(ws_path, "ivy", PASSWORDS["ivy"], "deid", {"dataset": "big"})
    final = None
    for event in handle.events():
        if event["event"] == "progress":
            handle.cancel()
        if event["event"] in ("done", "cancelled", "failed"):
            final = event
    assert final is not None and final["event"] == "cancelled"
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        status = ws.read().execute("SELECT status FROM deid_versions WHERE version_id = 'big@deid1'").fetchone()[0]
        assert status == "running"
        assert [j.status for j in jobs.list_jobs(ws)] == ["cancelled"]
        with pytest.raises(InvalidInput, match="no de-identified version"):
            latest_version(ws, "big")
        # The next run closes the abandoned version, with its own audit entry.
        run_deid(ws, "big", DeidConfig(mode="mask"))
        rows = dict(ws.read().execute("SELECT version_id, status FROM deid_versions").fetchall())
        assert rows == {"big@deid1": "failed", "big@deid2": "complete"}


def test_other_fields_are_deidentified_with_the_note(ws_path: Path, tmp_path: Path) -> None:
    """A reference summary or an extraction target is trained on like the note: it must not carry PHI."""
    from appliance.data.snapshots import SnapshotSpec, create_snapshot, load_split

    rows = [{"note_id": f"n{i}", "patient_id": f"p{i}", "text": f"Seen today by Dr. Alvarez for review {i}.",
             "summary": "Mrs. Henrietta Oyelaran (MRN 7734521) admitted 03/14/2025 with pneumonia.",
             "sex": "F", "age": 93, "specialty": "pulmonology", "codes": ["J18.9"]} for i in range(6)]
    source = tmp_path / "notes.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with Workspace.open(ws_path, "ivy", PASSWORDS["ivy"]) as ws:
        import_path(ws, source, "fields")
        summary = run_deid(ws, "fields")
        assert summary["field_spans"] >= 6 * 4  # name, MRN, date and the age over 89, in every record
        stored = [json.loads(m) for (m,) in ws.read().execute(
            "SELECT metadata FROM deid_records WHERE version_id = ?", (summary["version"],))]
        assert len(stored) == 6
        for fields in stored:
            assert "Oyelaran" not in fields["summary"] and "7734521" not in fields["summary"]
            assert "03/14/2025" not in fields["summary"] and "pneumonia" in fields["summary"]
            assert fields["age"] == "90+"  # Safe Harbor: ages over 89 are one group
            # Codes and categories are not identifiers and reach training unchanged.
            assert (fields["sex"], fields["specialty"], fields["codes"]) == ("F", "pulmonology", ["J18.9"])
        snapshot = create_snapshot(ws, SnapshotSpec("fields", fractions=(0.5, 0.0, 0.5), allow_unreviewed=True))
        loaded = [r for split in ("train", "test") for r in load_split(ws, snapshot.snapshot_id, split)]
        assert sorted(r["summary"] for r in loaded) == sorted(f["summary"] for f in stored)
        # A version made before the fields were de-identified cannot feed a new snapshot.
        ws.read().execute("UPDATE deid_records SET metadata = NULL WHERE version_id = ?", (summary["version"],))
        with pytest.raises(InvalidInput, match="predates de-identification"):
            create_snapshot(ws, SnapshotSpec("fields", seed=2, allow_unreviewed=True))
