"""Importing into the workspace: one transaction per import, de-duplication, --strict, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.errors import PermissionDenied
from appliance.ingest.service import ImportRefused, datasets, import_path
from appliance.workspace import Workspace
from tests.conftest import PASSWORDS

GOOD = "note_id,patient_id,date,note_type,text,label\n" \
       "n1,p1,2021-03-04,progress,Patient seen for chest pain.,cardiology\n" \
       "n2,p2,2021-03-05,progress,Cough and fever for three days.,pulmonology\n"
BAD_ROW = "n3,,2021-03-05,progress,No patient id here.,x\n"


def _csv(tmp_path: Path, body: str, name: str = "notes.csv") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_import_and_reimport_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = _csv(tmp_path, GOOD)
    first = import_path(ws, path, "clinic")
    assert (first.imported, first.duplicates, first.rejected) == (2, 0, [])
    again = import_path(ws, path, "clinic")
    assert (again.imported, again.duplicates) == (0, 2)
    info = datasets(ws)[0]
    assert (info.name, info.records, info.patients) == ("clinic", 2, 2)
    rows = ws.read().execute("SELECT note_id, patient_id, metadata FROM records ORDER BY note_id").fetchall()
    assert rows[0][0] == "n1" and json.loads(rows[0][2]) == {"label": "cardiology"}
    entries = list(ws.audit_entries(action="data.import"))
    assert [e.details["imported"] for e in entries] == [2, 0]
    assert entries[0].details["records_hash"] == first.records_hash


def test_bad_rows_listed_good_rows_kept(ws: Workspace, tmp_path: Path) -> None:
    summary = import_path(ws, _csv(tmp_path, GOOD + BAD_ROW), "clinic")
    assert summary.imported == 2 and len(summary.rejected) == 1
    assert summary.rejected[0].location == "line 4"
    assert "No patient id here" not in summary.rejected[0].reason  # never quotes note text


def test_strict_imports_nothing(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportRefused) as exc:
        import_path(ws, _csv(tmp_path, GOOD + BAD_ROW), "clinic", strict=True)
    assert exc.value.exit_code == 5 and len(exc.value.summary.rejected) == 1
    assert ws.read().execute("SELECT count(*) FROM records").fetchone()[0] == 0
    assert datasets(ws) == []
    assert list(ws.audit_entries(action="data.import")) == []


def test_a_file_whose_every_row_is_rejected_imports_nothing_and_fails(ws: Workspace, tmp_path: Path) -> None:
    labelled = _csv(tmp_path, "text,label\nChest pain.,cardiology\nCough.,pulmonology\n")  # no patient column
    with pytest.raises(ImportRefused, match="every row/message was rejected") as exc:
        import_path(ws, labelled, "clinic")
    assert exc.value.exit_code == 5 and exc.value.strict is False
    assert "patient_per_note" in exc.value.summary.rejected[0].reason
    assert datasets(ws) == [] and list(ws.audit_entries(action="data.import")) == []
    # A re-import of notes already there rejects nothing new and stays a success.
    import_path(ws, _csv(tmp_path, GOOD, "good.csv"), "clinic")
    assert import_path(ws, _csv(tmp_path, GOOD, "good.csv"), "clinic").duplicates == 2


def test_reviewer_cannot_import(ws_path: Path, tmp_path: Path) -> None:
    with Workspace.open(ws_path, "rex", PASSWORDS["rex"]) as ws, pytest.raises(PermissionDenied):
        import_path(ws, _csv(tmp_path, GOOD), "clinic")


def test_cli_import(ws_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("APPLIANCE_WORKSPACE", str(ws_path))
    monkeypatch.setenv("APPLIANCE_USER", "ivy")
    monkeypatch.setenv("APPLIANCE_PASSWORD", PASSWORDS["ivy"])
    path = _csv(tmp_path, GOOD.replace("text", "body") + BAD_ROW)
    assert main(["import", str(path), "--dataset", "d1", "--text-col", "body", "--strict"]) == 5
    refused = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert refused["imported"] == 0 and len(refused["rejected"]) == 1
    assert main(["import", str(path), "--dataset", "d1", "--text-col", "body"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["imported"] == 2 and summary["rejected"][0]["location"] == "line 4"
    assert main(["datasets", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["records"] == 2
    assert main(["import", str(tmp_path / "missing.csv"), "--dataset", "d1"]) == 5
