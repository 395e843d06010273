"""FHIR R4: Bundle and NDJSON, single resources, unsupported types, attachments, broken JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ingest_samples import (
    NOTES,
    PATIENT,
    SECRET,
    b64,
    bundle,
    diagnostic_report,
    document_reference,
    good_resources,
)

from appliance.ingest import ImportOptions, Record, Rejected, Skipped, detect_format, read_path


def read(path: Path, **options: object) -> list[Record | Rejected]:
    return list(read_path(path, options=ImportOptions(**options)))  # type: ignore[arg-type]


def ndjson(resources: Sequence[object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in resources)


def test_bundle_and_ndjson_give_the_same_notes(tmp_path: Path) -> None:
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(json.dumps(bundle(good_resources())))
    ndjson_path = tmp_path / "export.ndjson"
    ndjson_path.write_text(ndjson(good_resources()))

    from_bundle = read(bundle_path)
    from_ndjson = read(ndjson_path)
    assert [r.source for r in from_bundle if isinstance(r, Record)] == [
        "bundle.json:entry 1",
        "bundle.json:entry 3",
        "bundle.json:entry 4",
    ]
    assert [r.source for r in from_ndjson if isinstance(r, Record)] == [
        "export.ndjson:line 1",
        "export.ndjson:line 3",
        "export.ndjson:line 4",
    ]
    hashes = [r.content_hash() for r in from_bundle if isinstance(r, Record)]
    assert hashes == [r.content_hash() for r in from_ndjson if isinstance(r, Record)]
    assert detect_format(bundle_path) == detect_format(ndjson_path) == "fhir"


def test_diagnostic_report_fields(tmp_path: Path) -> None:
    path = tmp_path / "dr.ndjson"
    path.write_text(ndjson([diagnostic_report(NOTES[1])]))
    [record] = read(path)
    assert isinstance(record, Record)
    assert (record.note_id, record.patient_id, record.date, record.note_type) == (
        "N2",
        "P002",
        "2024-02-10T08:30:00+00:00",
        "Radiology report",
    )
    assert record.metadata == {
        "resource_type": "DiagnosticReport",
        "status": "final",
        "source_ids": ["DiagnosticReport/N2"],
    }


def test_date_fallbacks_and_partial_dates(tmp_path: Path) -> None:
    period = diagnostic_report(NOTES[0], id="A", effectivePeriod={"start": "2024-05-01"})
    del period["effectiveDateTime"]
    issued = diagnostic_report(NOTES[0], id="B")
    del issued["effectiveDateTime"]
    partial = diagnostic_report(NOTES[0], id="C", effectiveDateTime="2024-03")
    undated = document_reference(NOTES[0], id="D")
    del undated["date"]
    path = tmp_path / "dates.ndjson"
    path.write_text(ndjson([period, issued, partial, undated]))
    assert [r.date for r in read(path) if isinstance(r, Record)] == [
        "2024-05-01",
        "2024-06-01T00:00:00+00:00",
        "2024-03",
        None,
    ]


def test_single_resource_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document_reference(NOTES[0])))
    [record] = read(path)
    assert isinstance(record, Record) and record.source == "doc.json:file" and record.note_id == "N1"


def test_unsupported_resources_are_skipped_or_rejected(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle([PATIENT, document_reference(NOTES[0])])))
    assert [i.note_id for i in read(path) if isinstance(i, Record)] == ["N1"]
    first, _ = read(path, reject_unsupported=True)
    assert isinstance(first, Rejected) and first.location == "entry 1" and "Patient" in first.reason

    single = tmp_path / "patient.json"
    single.write_text(json.dumps(PATIENT))
    assert read(single) == [Skipped(str(single), "file", "resource type Patient carries no note")]


def test_attachment_choice_charset_and_ids(tmp_path: Path) -> None:
    doc = document_reference(
        NOTES[0],
        content=[
            {"attachment": {"contentType": "image/png", "data": b64("not text")}},
            {"attachment": {"contentType": "text/plain", "url": "http://example.org/remote.txt"}},
            {
                "attachment": {
                    "contentType": "text/plain; charset=ISO-8859-1",
                    "data": b64("Café one", "latin-1"),
                }
            },
            {"attachment": {"contentType": "TEXT/PLAIN", "data": b64("Part two")}},
        ],
        subject={"identifier": {"system": "urn:mrn", "value": "MRN-9"}},
        masterIdentifier={"value": "DOC-77"},
        type={"text": "Consult note", "coding": [{"display": "ignored"}]},
    )
    del doc["id"]
    path = tmp_path / "doc.ndjson"
    path.write_text(ndjson([doc]))
    [record] = read(path)
    assert isinstance(record, Record)
    assert record.text == "Café one\n\nPart two"
    assert (record.note_id, record.patient_id, record.note_type) == ("DOC-77", "MRN-9", "Consult note")


def test_invalid_resources_report_no_values(tmp_path: Path) -> None:
    resources: list[object] = [
        document_reference(NOTES[0], id="X1", date=f"not-a-date {SECRET}"),
        document_reference(NOTES[0], id="X2", unknownField=SECRET),
        document_reference(NOTES[0], id="X3", content=[{"attachment": {"contentType": "text/plain"}}]),
        {"id": "X4", "text": SECRET},
        "just a string",
        document_reference(
            NOTES[0],
            id="X6",
            content=[{"attachment": {"contentType": "text/plain; charset=utf-8", "data": b64(SECRET, "utf-16")}}],
        ),
    ]
    path = tmp_path / "bad.ndjson"
    path.write_text(ndjson(resources) + "{not json " + SECRET + "\n")
    items = read(path)
    assert all(isinstance(i, Rejected) for i in items)
    assert [i.location for i in items if isinstance(i, Rejected)] == [f"line {n}" for n in range(1, 8)]
    for item in items:
        assert SECRET not in str(item)


def test_broken_bundle_keeps_entries_read_before_the_error(tmp_path: Path) -> None:
    text = json.dumps(bundle([document_reference(NOTES[0]), document_reference(NOTES[1])]))
    cut = text.index('"resource"', text.index('"N2"') - 400)
    path = tmp_path / "broken.json"
    path.write_text(text[:cut] + '"resource": {"text": "' + SECRET + '" oops')
    items = read(path)
    assert isinstance(items[0], Record) and items[0].note_id == "N1"
    assert isinstance(items[-1], Rejected) and items[-1].location == "entry 2"
    assert SECRET not in items[-1].reason


def test_large_bundle_entries_over_the_limit(tmp_path: Path) -> None:
    huge = document_reference(
        NOTES[0],
        id="BIG",
        content=[{"attachment": {"contentType": "text/plain", "data": b64("w" * 400_000)}}],
    )
    path = tmp_path / "large.json"
    path.write_text(json.dumps(bundle([huge, document_reference(NOTES[1])])))
    first, second = read(path, max_record_bytes=64 * 1024)
    assert isinstance(first, Rejected) and first.location == "entry 1" and "max_record_bytes" in first.reason
    assert isinstance(second, Record) and second.note_id == "N2"


def test_json_without_resource_type_is_not_fhir(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"a": 1}')
    [item] = read_path(path, "fhir")
    assert isinstance(item, Rejected) and "resourceType" in item.reason


def test_bundle_with_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(bundle([document_reference(NOTES[0])])).encode())
    assert detect_format(path) == "fhir"
    [record] = read(path)
    assert isinstance(record, Record) and record.note_id == "N1"


def test_one_line_bundle_with_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.fhir"
    path.write_text(json.dumps(bundle([PATIENT, document_reference(NOTES[0])])) + "\n")
    [record] = [item for item in read(path) if isinstance(item, Record)]
    assert isinstance(record, Record) and record.source == "export.fhir:line 1 entry 2"
    pretty = tmp_path / "pretty.fhir"
    pretty.write_text(json.dumps(bundle([PATIENT, document_reference(NOTES[0])]), indent=1))
    [record] = [item for item in read(pretty) if isinstance(item, Record)]
    assert isinstance(record, Record) and record.source == "pretty.fhir:entry 2"
