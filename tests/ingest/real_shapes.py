"""Source files in the shapes real EHRs send, written by the tests (no real PHI; names and ids made up)."""

from __future__ import annotations

import base64
from typing import Any


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` in Helvetica, with a correct cross-reference table."""
    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def b64(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


RTF_NOTE = (
    r"{\rtf1\ansi\deff0{\fonttbl{\f0 Times New Roman;}}"
    r"\f0\fs24 Operative note\par Appendix removed without complication.\par Caf\'e9 diet tomorrow.}"
)
HTML_NOTE = (
    "<html><head><style>p {color: red}</style></head><body><h1>Consult</h1>"
    "<p>Shortness of breath &amp; cough.</p><ul><li>Start inhaler</li><li>Review in 2&nbsp;weeks</li></ul>"
    "</body></html>"
)


def doc_ref(resource_id: str, patient: str, attachment: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": resource_id,
        "status": "current",
        "type": {"text": "Clinical note"},
        "subject": {"reference": f"Patient/{patient}"},
        "date": "2024-04-01T10:00:00Z",
        "content": [{"attachment": attachment}],
        **extra,
    }


def composition_bundle() -> dict[str, Any]:
    """A FHIR document (Bundle.type document) whose text is only in Composition sections."""
    div = '<div xmlns="http://www.w3.org/1999/xhtml">{}</div>'
    return {
        "resourceType": "Bundle",
        "id": "discharge-doc",
        "type": "document",
        "timestamp": "2024-05-02T09:00:00Z",
        "entry": [
            {
                "fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111",
                "resource": {
                    "resourceType": "Composition",
                    "id": "dc-1",
                    "status": "final",
                    "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5",
                                         "display": "Discharge summary"}]},
                    "subject": {"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"},
                    "date": "2024-05-02T09:00:00Z",
                    "author": [{"display": "Ward 3"}],
                    "title": "Discharge Summary",
                    "section": [
                        {"title": "Reason for admission",
                         "text": {"status": "generated", "div": div.format("<p>Community acquired pneumonia.</p>")}},
                        {"title": "Hospital course",
                         "text": {"status": "generated",
                                  "div": div.format("IV antibiotics for 3 days.<br/>Switched to oral on day 4.")},
                         "section": [{"title": "Medications",
                                      "text": {"status": "generated",
                                               "div": div.format("<ul><li>Amoxicillin 500 mg</li></ul>")}}]},
                        {"title": "Empty section", "emptyReason": {"text": "nil known"}},
                    ],
                },
            },
            {
                "fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
                "resource": {"resourceType": "Patient", "id": "PT-77"},
            },
            {
                "fullUrl": "urn:uuid:33333333-3333-4333-8333-333333333333",
                "resource": {"resourceType": "Observation", "id": "obs-1", "status": "final",
                             "code": {"text": "Temperature"}},
            },
        ],
    }


COMPOSITION_TEXT = (
    "Discharge Summary\n\n"
    "Reason for admission\nCommunity acquired pneumonia.\n\n"
    "Hospital course\nIV antibiotics for 3 days.\nSwitched to oral on day 4.\n\n"
    "Medications\nAmoxicillin 500 mg"
)


def narrative_report() -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": "echo-1",
        "status": "final",
        "code": {"text": "Echocardiography report"},
        "subject": {"reference": "Patient/PT-5"},
        "effectiveDateTime": "2024-03-03",
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Left ventricle normal size.</p>'
                   "<p>Ejection fraction 60%.</p></div>",
        },
    }
