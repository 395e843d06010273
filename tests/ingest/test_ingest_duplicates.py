"""One record per note per patient: the same note reached through two resources is folded, and the
import summary says, per file, what was imported, folded, skipped and rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_samples import b64

from appliance.ingest.service import ImportRefused, datasets, import_path
from appliance.workspace import Workspace

NOTE_TEXTS = [
    "\n2019-02-01\n\n# Chief Complaint\n- Cough\n\n# Plan\nRest and fluids.\n",
    "\n2020-03-04\n\n# Chief Complaint\nNo complaints.\n\n# Plan\nAnnual review.\n",
    "\n2021-05-06\n\n# Chief Complaint\n- Fever\n\n# Plan\nParacetamol.\n",
]


def synthea_style_bundle(patient_uuid: str = "0f3c9a8e-1111-4aaa-8bbb-222233334444") -> dict[str, object]:
    """Like a Synthea patient bundle: every note is a DiagnosticReport presentedForm and a DocumentReference
    attachment with identical text; subjects are the Patient's urn:uuid fullUrl."""
    subject = {"reference": f"urn:uuid:{patient_uuid}"}
    entries: list[dict[str, object]] = [
        {"fullUrl": f"urn:uuid:{patient_uuid}", "resource": {"resourceType": "Patient", "id": patient_uuid}}]
    for n, text in enumerate(NOTE_TEXTS, start=1):
        data = b64(text)
        entries.append({"fullUrl": f"urn:uuid:enc-{n}", "resource": {"resourceType": "Encounter", "id": f"enc-{n}",
                                                                     "status": "finished", "class": {"code": "AMB"}}})
        entries.append({"fullUrl": f"urn:uuid:dr-{n}", "resource": {
            "resourceType": "DiagnosticReport", "id": f"dr-{n}", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "34117-2",
                                 "display": "History and physical note"}]},
            "subject": subject, "effectiveDateTime": f"20{19 + n - 1}-01-01T10:00:00-05:00",
            "presentedForm": [{"contentType": "text/plain; charset=utf-8", "data": data}]}})
        entries.append({"fullUrl": f"urn:uuid:doc-{n}", "resource": {
            "resourceType": "DocumentReference", "id": f"doc-{n}", "status": "superseded",
            "type": {"coding": [{"system": "http://loinc.org", "code": "34117-2",
                                 "display": "History and physical note"}]},
            "subject": subject, "date": f"20{19 + n - 1}-01-01T10:00:00.5-05:00",
            "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": data}}]}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def test_each_note_twice_is_imported_once_naming_both_resources(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(synthea_style_bundle()))
    summary = import_path(ws, path, "synthea")
    assert (summary.imported, summary.duplicates, summary.rejected) == (3, 3, [])
    assert summary.skipped == 4  # the Patient and three Encounters
    rows = ws.read().execute("SELECT note_id, patient_id, metadata, text FROM records ORDER BY record_id").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(f"dr-{n}", "0f3c9a8e-1111-4aaa-8bbb-222233334444") for n in (1, 2, 3)]
    assert [json.loads(r[2])["source_ids"] for r in rows] == [
        [f"DiagnosticReport/dr-{n}", f"DocumentReference/doc-{n}"] for n in (1, 2, 3)]
    assert [r[3] for r in rows] == [t.strip() for t in NOTE_TEXTS]

    [report] = summary.to_json()["files"]
    assert report["file"] == "patient.json"
    assert report["imported"] == ["entry 3", "entry 6", "entry 9"]
    assert report["duplicates"] == [{"location": f"entry {n}", "of": f"patient.json:entry {n - 1}"} for n in (4, 7, 10)]
    assert report["skipped"] == [
        {"reason": "resource type Patient carries no note", "count": 1, "locations": ["entry 1"]},
        {"reason": "resource type Encounter carries no note", "count": 3,
         "locations": ["entry 2", "entry 5", "entry 8"]},
    ]
    audit = list(ws.audit_entries(action="data.import"))[-1].details
    assert (audit["imported"], audit["duplicates"], audit["skipped"]) == (3, 3, 4)

    again = import_path(ws, path, "synthea")
    assert (again.imported, again.duplicates) == (0, 6)
    assert datasets(ws)[0].records == 3


def test_same_text_differing_in_spacing_and_case_is_one_note(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("note_id,patient_id,text\nn1,p1,Chest pain  at rest.\nn2,p1,chest pain at rest.\n"
                    "n3,p2,Chest pain at rest.\n")
    summary = import_path(ws, path, "clinic")
    assert (summary.imported, summary.duplicates) == (2, 1)  # p2's identical note is p2's own
    assert summary.to_json()["files"][0]["duplicates"] == [{"location": "line 3", "of": "notes.csv:line 2"}]


def test_strict_refuses_when_anything_is_bad_but_not_for_skips(ws: Workspace, tmp_path: Path) -> None:
    bundle = synthea_style_bundle()
    path = tmp_path / "good.json"
    path.write_text(json.dumps(bundle))
    assert import_path(ws, path, "strict-ok", strict=True).imported == 3  # skipped resources are not bad
    entries = bundle["entry"]
    assert isinstance(entries, list)
    entries[2]["resource"]["presentedForm"] = [{"contentType": "image/png", "data": b64("x")}]
    entries[3]["resource"]["content"] = [{"attachment": {"contentType": "text/plain", "url": "http://x/y"}}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle))
    with pytest.raises(ImportRefused) as exc:
        import_path(ws, bad, "strict-bad", strict=True)
    assert exc.value.exit_code == 5
    assert [r.location for r in exc.value.summary.rejected] == ["entry 3", "entry 4"]
    assert "external URL" in exc.value.summary.rejected[1].reason
    assert [d.name for d in datasets(ws)] == ["strict-ok"]
