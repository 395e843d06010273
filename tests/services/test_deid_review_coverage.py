"""Which records of a de-identified version a reviewer opened: stored and audited on first opening,
counted when the version is marked reviewed (which still goes ahead), warned about by the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.deid.service import mark_reviewed, review_coverage, review_record, run_deid
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS


def test_opened_records_are_counted_and_audited(notes_ws: Path) -> None:
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        version = run_deid(ws, "ward")["version"]
        seen = review_record(ws, version, 1)  # an informaticist looking is not a review
        assert review_coverage(ws, version).opened == 0
        # nor a reading of the original: only reviewers and admins see imported originals (README roles)
        assert seen["original"] is None and seen["deidentified"] and seen["spans"]
    with Workspace.open(notes_ws, "rex", PASSWORDS["rex"]) as ws:
        coverage = review_coverage(ws, version)
        assert (coverage.records, coverage.opened, coverage.unopened) == (24, 0, 24)
        assert review_record(ws, version, 3)["original"]  # a reviewer does
        review_record(ws, version, 5)
        review_record(ws, version, 3)  # opened again: still one record, one audit entry
        assert review_coverage(ws, version).opened == 2
    with Workspace.open(notes_ws, "admin", PASSWORDS["admin"]) as ws:
        review_record(ws, version, 5)  # a second reviewer on the same record: stored, counted once
        review_record(ws, version, 8)
        assert review_coverage(ws, version).opened == 3
        opened = list(ws.audit_entries(action="deid.opened"))
        assert [(e.user, e.object_ids, e.details) for e in opened] == [
            ("rex", [version, "3"], {"record_id": 3}), ("rex", [version, "5"], {"record_id": 5}),
            ("admin", [version, "5"], {"record_id": 5}), ("admin", [version, "8"], {"record_id": 8})]
    with Workspace.open(notes_ws, "rex", PASSWORDS["rex"]) as ws:
        mark = mark_reviewed(ws, version)  # not blocked: reviewing a sample is allowed
        assert len(mark.content_hash) == 64
        assert (mark.coverage.records, mark.coverage.opened, mark.coverage.unopened) == (24, 3, 21)
        entry = list(ws.audit_entries(action="deid.reviewed"))[-1]
        assert entry.details == {"content_hash": mark.content_hash, "records": 24, "opened": 3}
        reviewed = ws.read().execute("SELECT reviewed, reviewed_by FROM deid_versions WHERE version_id = ?",
                                     (version,)).fetchone()
        assert tuple(reviewed) == (1, "rex")
        assert ws.verify().ok


def test_cli_warns_about_unopened_records_and_still_marks(notes_ws: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with Workspace.open(notes_ws, "ivy", PASSWORDS["ivy"]) as ws:
        version = run_deid(ws, "ward")["version"]
    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(notes_ws))
    monkeypatch.setenv("APPLIANCE_USER", "rex")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["rex"])
    assert main(["deid", "review", "--dataset", "ward", "--record", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["record_id"] == 2
    assert main(["deid", "review", "--dataset", "ward", "--mark-reviewed"]) == 0
    err = capsys.readouterr().err
    assert f"warning: 23 of the 24 records of {version} were never opened by a reviewer" in err
    assert f"version {version} marked reviewed by rex (1 of 24 records opened)" in err
    with Workspace.open(notes_ws, "rex", PASSWORDS["rex"]) as ws:
        assert list(ws.audit_entries(action="deid.reviewed"))[-1].details["opened"] == 1


def test_review_and_data_page_share_one_rule_for_originals() -> None:
    from appliance.data.browse import ORIGINAL_ROLES
    from appliance.deid.service import REVIEWER_ROLES

    assert set(REVIEWER_ROLES) == set(ORIGINAL_ROLES)
