"""The shapes real EHRs send: BOMs, line endings, MLLP, document Bundles, narrative-only reports,
HTML / RTF / PDF / Binary attachments, report text in ADT, ED documents in MDM, several reports per ORU,
MSH-18 character sets, PID-3 identifier types, and the same note sent twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_samples import SECRET
from real_shapes import (
    COMPOSITION_TEXT,
    HTML_NOTE,
    RTF_NOTE,
    b64,
    composition_bundle,
    doc_ref,
    narrative_report,
    tiny_pdf,
)

from appliance.ingest import ImportOptions, Record, Rejected, Skipped, detect_format, read_path


def read(path: Path, **options: object) -> list[Record | Rejected | Skipped]:
    return list(read_path(path, options=ImportOptions(**options)))  # type: ignore[arg-type]


def records(items: list[Record | Rejected | Skipped]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


# ---------------------------------------------------------------- HL7 v2

ORU = [
    "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240601083000||ORU^R01|C1|P|2.5",
    "PID|1||SSN-1^^^SSA^SS~MRN-42^^^HOSP^MR||DOE^JANE",
    "OBR|1||RAD-1|71020^Chest X-ray^C4|||20240601080000",
    "OBX|1|TX|71020||Lungs clear.||||||F",
    "OBX|2|TX|71020||No effusion.||||||F",
    "OBR|2||RAD-2|70450^CT head^C4|||20240601081500",
    "OBX|1|FT|70450||No bleed.\\.br\\No mass.||||||F",
    "OBR|3||LAB-3|2345-7^Glucose^LN|||20240601082000",
    "OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L|||||F",
    "OBR|4||PATH-4|88305^Biopsy^C4|||20240601083000",
    "OBX|1|ST|88305||Benign.||||||F",
]


def hl7_bytes(segments: list[str], ending: str = "\r") -> bytes:
    return ending.join(segments).encode()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bom", b"\xef\xbb\xbf" + hl7_bytes(ORU) + b"\r"),
        ("cr-no-final-terminator", hl7_bytes(ORU)),
        ("lf", hl7_bytes(ORU, "\n") + b"\n"),
        ("crlf", hl7_bytes(ORU, "\r\n") + b"\r\n"),
        ("mllp", b"\x0b" + hl7_bytes(ORU) + b"\r\x1c\r"),
        ("mllp-bom", b"\x0b\xef\xbb\xbf" + hl7_bytes(ORU) + b"\r\x1c\r"),
    ],
)
def test_one_note_per_obr_in_every_framing(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / f"{name}.hl7"
    path.write_bytes(data)
    assert detect_format(path) == "hl7"
    items = read(path)
    # Three of the four OBR carry text (TX, FT, ST); the glucose OBR has only a number.
    assert [(r.note_id, r.text, r.note_type) for r in records(items)] == [
        ("RAD-1", "Lungs clear.\nNo effusion.", "Chest X-ray"),
        ("RAD-2", "No bleed.\nNo mass.", "CT head"),
        ("PATH-4", "Benign.", "Biopsy"),
    ]
    assert [r.source for r in records(items)] == [
        f"{name}.hl7:message 1 OBR 1", f"{name}.hl7:message 1 OBR 2", f"{name}.hl7:message 1 OBR 4"]
    assert {r.patient_id for r in records(items)} == {"MRN-42"}  # the MR identifier, not the first one
    assert records(items)[1].date == "2024-06-01T08:15:00"
    assert len(items) == 3


def test_adt_with_an_echocardiography_report(tmp_path: Path) -> None:
    adt = [
        "MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240602101000||ADT^A08|A1|P|2.5",
        "EVN|A08|20240602100000",
        "PID|1||P900^^^HOSP^MR||ROE^RICHARD",
        "PV1|1|I",
        "OBX|1|TX|ECHO^Echocardiography^L||Normal LV function.~Mild MR.||||||F",
    ]
    plain_adt = ["MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240602101000||ADT^A01|A2|P|2.5", "PID|1||P901^^^HOSP^MR"]
    path = tmp_path / "adt.hl7"
    path.write_bytes(hl7_bytes(adt) + b"\r" + hl7_bytes(plain_adt) + b"\r")
    first, second = read(path)
    assert isinstance(first, Record)
    assert (first.note_id, first.patient_id, first.date, first.note_type, first.text) == (
        "A1", "P900", "2024-06-02T10:00:00", "Echocardiography", "Normal LV function.\nMild MR.")
    assert isinstance(second, Skipped) and second.location == "message 2" and "ADT^A01" in second.reason
    assert isinstance(read(path, reject_unsupported=True)[1], Rejected)


@pytest.mark.parametrize(
    ("subtype", "encoding", "payload", "expected"),
    [
        ("PLAIN", "Base64", b64("Progress note.\nWalking well."), "Progress note.\nWalking well."),
        ("RTF", "Base64", b64(RTF_NOTE), "Operative note\nAppendix removed without complication.\nCafé diet tomorrow."),
        ("HTML", "Base64", b64(HTML_NOTE), "Consult\nShortness of breath & cough.\nStart inhaler\nReview in 2 weeks"),
        ("PDF", "Base64", b64(tiny_pdf(["Clinic letter", "Seen in clinic today."])),
         "Clinic letter\nSeen in clinic today."),
        ("PLAIN", "Hex", b"Hex note".hex(), "Hex note"),
    ],
)
def test_mdm_with_an_ed_document(tmp_path: Path, subtype: str, encoding: str, payload: str, expected: str) -> None:
    data_type = "AP" if subtype == "PDF" else "TEXT"
    mdm = [
        "MSH|^~\\&|DOC|HOSP|EHR|HOSP|20240603000000||MDM^T02|D1|P|2.5",
        "EVN|T02|20240603000000",
        "PID|1||P77^^^HOSP^MR",
        "TXA|1|CN^Consult note|TX|20240603091500||||||||DOC-9|||||AU",
        f"OBX|1|ED|CN||^{data_type}^{subtype}^{encoding}^{payload}||||||F",
    ]
    path = tmp_path / "mdm.hl7"
    path.write_bytes(hl7_bytes(mdm))
    [record] = read(path)
    assert isinstance(record, Record)
    assert (record.note_id, record.note_type, record.text) == ("DOC-9", "Consult note", expected)


def test_bad_ed_documents_are_rejected_without_content(tmp_path: Path) -> None:
    def mdm(control: str, value: str) -> list[str]:
        return [f"MSH|^~\\&|DOC|HOSP|EHR|HOSP|20240603000000||MDM^T02|{control}|P|2.5", "PID|1||P77^^^HOSP^MR",
                "TXA|1|CN|TX|20240603||||||||X", f"OBX|1|ED|CN||{value}"]

    path = tmp_path / "bad.hl7"
    path.write_bytes(hl7_bytes(mdm("B1", f"^IM^JPEG^Base64^{b64(SECRET)}")) + b"\r"
                     + hl7_bytes(mdm("B2", f"^AP^PDF^Base64^{b64(SECRET)}")) + b"\r"
                     + hl7_bytes(mdm("B3", "^TEXT^PLAIN^Base64^@@@not base64")))
    items = read(path)
    assert all(isinstance(i, Rejected) for i in items) and len(items) == 3
    assert "not a text document" in items[0].reason and "PDF header" in items[1].reason
    assert all(SECRET not in str(i) for i in items)


def test_msh18_character_set_is_honoured(tmp_path: Path) -> None:
    latin = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240601||ORU^R01|L1|P|2.5|||||| 8859/1\rPID|1||P1^^^H^MR\r" \
            "OBX|1|TX|x||Caf\xe9 au lait spots.\r"
    utf8 = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240601||ORU^R01|U1|P|2.5||||||UNICODE UTF-8\rPID|1||P2^^^H^MR\r" \
           "OBX|1|TX|x||Caf\xe9 au lait spots.\r"
    path = tmp_path / "charsets.hl7"
    path.write_bytes(latin.encode("latin-1") + utf8.encode("utf-8"))
    # The configured encoding (ascii) would reject both; MSH-18 names the right one for each message.
    assert [r.text for r in records(read(path, encoding="ascii"))] == ["Café au lait spots."] * 2


# ---------------------------------------------------------------- FHIR


def test_document_bundle_is_one_note_with_section_titles(tmp_path: Path) -> None:
    path = tmp_path / "discharge.json"
    path.write_text(json.dumps(composition_bundle()))
    items = read(path)
    [record] = records(items)
    assert record.text == COMPOSITION_TEXT
    assert (record.note_id, record.patient_id, record.note_type) == ("dc-1", "PT-77", "Discharge summary")
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [(s.location, s.reason) for s in skipped] == [
        ("entry 2", "resource type Patient carries no note"),
        ("entry 3", "resource type Observation carries no note"),
    ]


def test_narrative_only_diagnostic_report(tmp_path: Path) -> None:
    path = tmp_path / "echo.ndjson"
    path.write_text(json.dumps(narrative_report()) + "\n")
    [record] = read(path)
    assert isinstance(record, Record) and record.text == "Left ventricle normal size.\nEjection fraction 60%."
    without = narrative_report()
    del without["text"]
    path.write_text(json.dumps(without) + "\n")
    [rejected] = read(path)
    assert isinstance(rejected, Rejected) and "no narrative text" in rejected.reason


@pytest.mark.parametrize(
    ("content_type", "data", "expected"),
    [
        ("text/html; charset=utf-8", HTML_NOTE.encode(), "Consult\nShortness of breath & cough.\nStart inhaler\n"
                                                         "Review in 2 weeks"),
        ("text/rtf", RTF_NOTE.encode(), "Operative note\nAppendix removed without complication.\nCafé diet tomorrow."),
        ("application/rtf", RTF_NOTE.encode(), "Operative note\nAppendix removed without complication.\n"
                                               "Café diet tomorrow."),
        ("application/pdf", tiny_pdf(["Letter (final)", "Plan: review."]), "Letter (final)\nPlan: review."),
    ],
)
def test_html_rtf_and_pdf_attachments(tmp_path: Path, content_type: str, data: bytes, expected: str) -> None:
    path = tmp_path / "docs.ndjson"
    path.write_text(json.dumps(doc_ref("D1", "P1", {"contentType": content_type, "data": b64(data)})) + "\n")
    [record] = read(path)
    assert isinstance(record, Record) and record.text == expected


def test_binary_attachments_resolve_within_a_bundle(tmp_path: Path) -> None:
    binary_pdf = {"resourceType": "Binary", "id": "bin-1", "contentType": "application/pdf",
                  "data": b64(tiny_pdf(["Referral letter"]))}
    binary_txt = {"resourceType": "Binary", "id": "bin-2", "contentType": "text/plain", "data": b64("By fullUrl.")}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:aaaa", "resource": doc_ref("D1", "P1", {"contentType": "application/pdf",
                                                                        "url": "Binary/bin-1"})},
        {"fullUrl": "urn:uuid:bbbb", "resource": doc_ref("D2", "P1", {"contentType": "text/plain",
                                                                        "url": "urn:uuid:cccc"})},
        {"fullUrl": "urn:uuid:dddd", "resource": doc_ref("D3", "P1", {"contentType": "text/plain",
                                                                        "url": "Binary/missing"})},
        {"fullUrl": "http://example.org/fhir/Binary/bin-1", "resource": binary_pdf},
        {"fullUrl": "urn:uuid:cccc", "resource": binary_txt},
    ]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    d1, d2, d3, b1, b2 = read(path)
    assert isinstance(d1, Record) and d1.text == "Referral letter"
    assert isinstance(d2, Record) and d2.text == "By fullUrl."
    assert isinstance(d3, Rejected) and "Binary not found in this bundle or export" in d3.reason
    assert isinstance(b1, Skipped) and isinstance(b2, Skipped) and "attachment" in b1.reason


def test_binary_attachments_resolve_within_a_bulk_export(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "DocumentReference.000.ndjson").write_text(
        json.dumps(doc_ref("D1", "P1", {"contentType": "text/html",
                                        "url": "https://ehr.example.org/fhir/Binary/b7"})) + "\n")
    (export / "Binary.000.ndjson").write_text(
        json.dumps({"resourceType": "Binary", "id": "b7", "contentType": "text/html",
                    "data": b64("<p>Bulk <b>export</b> note.</p>")}) + "\n")
    items = read(export)
    assert [r.text for r in records(items)] == ["Bulk export note."]
    assert [type(i).__name__ for i in items] == ["Skipped", "Record"]  # files in name order: Binary first


def test_attachment_that_is_not_text_is_named_in_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "img.ndjson"
    path.write_text(json.dumps(doc_ref("D1", "P1", {"contentType": "image/png", "data": b64(SECRET)})) + "\n"
                    + json.dumps(doc_ref("D2", "P1", {"contentType": "application/pdf", "data": b64(SECRET)})) + "\n")
    first, second = read(path)
    assert isinstance(first, Rejected) and "image/png, inline" in first.reason
    assert isinstance(second, Rejected) and "PDF header" in second.reason
    assert SECRET not in str(first) + str(second)
