"""Public sample files (Synthea output; licences and trimming in tests/data/ingest/SOURCES.md) import with
the unique-note counts found by reading them independently of the importer."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from appliance.ingest.service import import_path
from appliance.workspace import Workspace

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
SYNTHEA = DATA / "synthea-sample-patient-trimmed.json"
BULK = DATA / "smart-bulk-DocumentReference.ndjson"


def _notes_by_hand(resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(patient reference, decoded text) for every note resource: json and base64 only, no importer code."""
    notes = []
    for resource in resources:
        if resource["resourceType"] == "DocumentReference":
            attachments = [content["attachment"] for content in resource["content"]]
        elif resource["resourceType"] == "DiagnosticReport":
            attachments = resource.get("presentedForm", [])
        else:
            continue
        text = "\n\n".join(base64.b64decode(a["data"]).decode("utf-8").strip() for a in attachments)
        notes.append((resource["subject"]["reference"].rsplit(":", 1)[-1].rsplit("/", 1)[-1], text))
    return notes


def test_synthea_bundle_each_note_once(ws: Workspace) -> None:
    resources = [entry["resource"] for entry in json.loads(SYNTHEA.read_text())["entry"]]
    by_hand = _notes_by_hand(resources)
    unique = len(set(by_hand))
    assert (len(by_hand), unique) == (2, 1)  # what reading the file gives; see SOURCES.md

    summary = import_path(ws, SYNTHEA, "synthea")
    assert (summary.imported, summary.duplicates, summary.rejected) == (unique, len(by_hand) - unique, [])
    [(patient_id, text, metadata)] = ws.read().execute("SELECT patient_id, text, metadata FROM records").fetchall()
    assert (patient_id, text) == by_hand[0]
    assert json.loads(metadata)["source_ids"] == [
        "DiagnosticReport/d96f0eb1-e968-03d9-fd4c-d38d5192c590",
        "DocumentReference/e7f6193d-3d3a-9f9a-ee20-e746902dba0b",
    ]


def test_bulk_export_ndjson(ws: Workspace) -> None:
    resources = [json.loads(line) for line in BULK.read_text().splitlines() if line.strip()]
    by_hand = _notes_by_hand(resources)
    assert (len(by_hand), len(set(by_hand)), len({p for p, _ in by_hand})) == (2, 2, 2)

    summary = import_path(ws, BULK, "bulk")
    assert (summary.imported, summary.duplicates, summary.rejected) == (2, 0, [])
    rows = ws.read().execute("SELECT patient_id, text FROM records ORDER BY record_id").fetchall()
    assert [tuple(row) for row in rows] == by_hand
