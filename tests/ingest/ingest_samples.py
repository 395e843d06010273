"""Synthetic source files for the ingest tests: the same three notes in every format, plus broken ones.

No real PHI: names, ids and dates are made up. Text meant to be rejected carries the marker SECRET so
tests can check that no rejection reason quotes it.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECRET = "SECRET-PHI-MARKER"


@dataclass(frozen=True)
class Note:
    note_id: str
    patient_id: str
    date: str  # as every format should normalise it
    note_type: str
    text: str
    label: str


NOTES = [
    Note(
        "N1",
        "P001",
        "2024-01-05T12:00:00+00:00",
        "Discharge summary",
        "Patient seen for chest pain.\nDischarged home, stable.",
        "cardiac",
    ),
    Note(
        "N2",
        "P002",
        "2024-02-10T08:30:00+00:00",
        "Radiology report",
        'CT head: no acute findings, "normal" study.',
        "normal",
    ),
    Note("N3", "P001", "2024-03-01T16:45:00+00:00", "Progress note", "Follow-up in 2 weeks.", "routine"),
]


# ---------------------------------------------------------------- CSV and JSONL


def csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def note_row(note: Note) -> dict[str, str]:
    return {
        "note_id": note.note_id,
        "patient_id": note.patient_id,
        "date": note.date,
        "note_type": note.note_type,
        "text": note.text,
        "label": note.label,
    }


COLUMNS = ["note_id", "patient_id", "date", "note_type", "text", "label"]


def write_good_csv(tmp: Path) -> Path:
    path = tmp / "notes.csv"
    path.write_text(csv_text([note_row(n) for n in NOTES], COLUMNS), encoding="utf-8")
    return path


def write_bad_csv(tmp: Path) -> Path:
    # line 1 header; N1 spans lines 2-3; line 4 too few fields; line 5 no text; line 6 N2 (one line);
    # line 7 undecodable byte; line 8 no patient; line 9 N3.
    n1, n2, n3 = (note_row(n) for n in NOTES)
    body = csv_text([n1], COLUMNS).encode()
    body += f"X1,P009,2024-01-01,{SECRET}\n".encode()
    body += b"X2,P009,2024-01-01,Progress note,,x\n"
    body += csv_text([n2], COLUMNS).split("\n", 1)[1].encode()
    body += b"X3,P009,2024-01-01,Progress note,bad \xff byte " + SECRET.encode() + b",x\n"
    body += f"X4,,2024-01-01,Progress note,{SECRET},x\n".encode()
    body += csv_text([n3], COLUMNS).split("\n", 1)[1].encode()
    path = tmp / "bad.csv"
    path.write_bytes(body)
    return path


def write_good_jsonl(tmp: Path) -> Path:
    path = tmp / "notes.jsonl"
    path.write_text("".join(json.dumps(note_row(n)) + "\n" for n in NOTES), encoding="utf-8")
    return path


def write_bad_jsonl(tmp: Path) -> Path:
    n1, n2, n3 = (json.dumps(note_row(n)).encode() for n in NOTES)
    lines = [
        n1,
        b'{"patient_id": "P009", "text": "' + SECRET.encode() + b'"',  # line 2: unterminated
        b'{"patient_id": "P009", "note_id": "X2"}',  # line 3: no text
        b"",  # line 4: blank, skipped
        b'["' + SECRET.encode() + b'"]',  # line 5: not an object
        n2,
        b'{"patient_id": "P009", "text": "bad \xff byte ' + SECRET.encode() + b'"}',  # line 7
        b'{"patient_id": true, "text": "' + SECRET.encode() + b'"}',  # line 8: bad id type
        n3,
    ]
    path = tmp / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


# ---------------------------------------------------------------- TXT


def write_good_txt(tmp: Path) -> Path:
    folder = tmp / "notes"
    folder.mkdir()
    for note in NOTES:
        (folder / f"{note.patient_id}_{note.note_id}.txt").write_text(note.text + "\n", encoding="utf-8")
    (folder / ".hidden.txt").write_text("ignored", encoding="utf-8")
    return folder


def write_bad_txt(tmp: Path) -> Path:
    folder = write_good_txt(tmp)
    (folder / "nopatient.txt").write_text(SECRET, encoding="utf-8")
    (folder / "P009_empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "P009_latin.txt").write_bytes(b"caf\xe9 " + SECRET.encode())
    return folder


# ---------------------------------------------------------------- HL7 v2


def hl7_ts(iso: str) -> str:
    """2024-01-05T12:00:00+00:00 -> 20240105120000+0000"""
    return iso[:19].replace("-", "").replace("T", "").replace(":", "") + iso[19:].replace(":", "")


def escape_hl7(text: str) -> str:
    return text.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\").replace("~", "\\R\\")


def oru(note: Note, control_id: str) -> list[str]:
    lines = note.text.split("\n")
    return [
        f"MSH|^~\\&|RIS|HOSP|EHR|HOSP|20240601000000||ORU^R01|{control_id}|P|2.5",
        f"PID|1||{note.patient_id}^^^HOSP^MR||DOE^JANE",
        f"OBR|1|PLACER1|{note.note_id}|11111-1^{note.note_type}^LN|||{hl7_ts(note.date)}",
        *(f"OBX|{i}|TX|11111-1^Report^LN||{escape_hl7(line)}||||||F" for i, line in enumerate(lines, 1)),
    ]


def mdm(note: Note, control_id: str) -> list[str]:
    return [
        f"MSH|^~\\&|DOC|HOSP|EHR|HOSP|20240601000000||MDM^T02|{control_id}|P|2.5",
        "EVN|T02|20240601000000",
        f"PID|1||{note.patient_id}^^^HOSP^MR||DOE^JANE",
        "PV1|1|I",
        f"TXA|1|PN^{note.note_type}|TX|{hl7_ts(note.date)}||||||||{note.note_id}|||||AU",
        *(f"OBX|{i}|FT|PN||{escape_hl7(line)}||||||F" for i, line in enumerate(note.text.split("\n"), 1)),
    ]


ADT = ["MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240601000000||ADT^A01|ADT1|P|2.5", "PID|1||P777^^^HOSP^MR||DOE^JOHN"]


def hl7_file(messages: list[list[str]], ending: str = "\r", mllp: bool = False) -> bytes:
    out = []
    for message in messages:
        body = ending.join(message) + ending
        out.append(f"\x0b{body}\x1c\r" if mllp else body)
    return "".join(out).encode()


def write_good_hl7(tmp: Path) -> Path:
    path = tmp / "feed.hl7"
    path.write_bytes(hl7_file([oru(NOTES[0], "M1"), oru(NOTES[1], "M2"), ADT, mdm(NOTES[2], "M4")]))
    return path


def write_bad_hl7(tmp: Path) -> Path:
    no_pid = [s for s in oru(NOTES[0], "B2") if not s.startswith("PID")]
    no_pid.append(f"OBX|9|TX|x||{SECRET}")
    no_text = [s for s in oru(NOTES[0], "B3") if not s.startswith("OBX")] + ["OBX|1|NM|x||5"]
    no_txa = [s for s in mdm(NOTES[0], "B5") if not s.startswith("TXA")] + [f"OBX|9|TX|x||{SECRET}"]
    broken_field = oru(NOTES[0], "B6") + ["OBX|9|TX|x||first half", f"{SECRET} second half"]
    messages = [
        oru(NOTES[0], "M1"),
        no_pid,
        no_text,
        oru(NOTES[1], "M2"),
        no_txa,
        broken_field,
        mdm(NOTES[2], "M4"),
    ]
    path = tmp / "bad.hl7"
    path.write_bytes(hl7_file(messages))
    return path


# ---------------------------------------------------------------- FHIR R4


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


def document_reference(note: Note, **overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": note.note_id,
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5", "display": note.note_type}]},
        "subject": {"reference": f"Patient/{note.patient_id}"},
        "date": note.date,
        "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": b64(note.text)}}],
    }
    resource.update(overrides)
    return resource


def diagnostic_report(note: Note, **overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": note.note_id,
        "status": "final",
        "code": {"text": note.note_type},
        "subject": {"reference": f"http://example.org/fhir/Patient/{note.patient_id}/_history/2"},
        "effectiveDateTime": note.date,
        "issued": "2024-06-01T00:00:00+00:00",
        "presentedForm": [{"contentType": "text/plain", "data": b64(note.text)}],
    }
    resource.update(overrides)
    return resource


PATIENT = {"resourceType": "Patient", "id": "P001", "name": [{"family": "Doe"}]}


def good_resources() -> list[dict[str, Any]]:
    return [document_reference(NOTES[0]), PATIENT, diagnostic_report(NOTES[1]), document_reference(NOTES[2])]


def bundle(resources: list[Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(resources)],
    }


def note_for(note_id: str) -> Note:
    """The sample note a record id stands for ("P001_N1" from a TXT file name means N1)."""
    return next(n for n in NOTES if n.note_id == note_id.rsplit("_", 1)[-1])


def write_good_fhir(tmp: Path) -> Path:
    path = tmp / "bundle.json"
    path.write_text(json.dumps(bundle(good_resources()), indent=2), encoding="utf-8")
    return path


def write_bad_fhir(tmp: Path) -> Path:
    secret = [{"contentType": "text/plain", "data": b64(SECRET)}]
    resources: list[Any] = [
        document_reference(NOTES[0]),
        document_reference(NOTES[0], id="X2", status={"bad": SECRET}),  # entry 2: invalid field
        diagnostic_report(NOTES[0], id="X3", presentedForm=[{"contentType": "application/pdf", "data": b64(SECRET)}]),
        diagnostic_report(NOTES[1]),
        document_reference(NOTES[0], id="X5", content=[{"attachment": secret[0]}]),  # subject removed below
        document_reference(NOTES[2]),
    ]
    data = bundle(resources)
    data["entry"][4]["resource"].pop("subject")
    data["entry"].insert(4, {"fullUrl": "urn:uuid:none"})  # entry 5: no resource
    path = tmp / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class FormatCase:
    fmt: str
    write_good: Callable[[Path], Path]
    write_bad: Callable[[Path], Path]
    note_ids: list[str]
    bad_note_ids: list[str]
    bad_locations: list[str]
    has_dates: bool = True
    has_types: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)  # expected subset of the first record's metadata


CASES = [
    FormatCase(
        "csv",
        write_good_csv,
        write_bad_csv,
        ["N1", "N2", "N3"],
        ["N1", "N2", "N3"],
        ["line 4", "line 5", "line 7", "line 8"],
        metadata={"label": "cardiac"},
    ),
    FormatCase(
        "jsonl",
        write_good_jsonl,
        write_bad_jsonl,
        ["N1", "N2", "N3"],
        ["N1", "N2", "N3"],
        ["line 2", "line 3", "line 5", "line 7", "line 8"],
        metadata={"label": "cardiac"},
    ),
    # TXT folders are read in file-name order.
    FormatCase(
        "txt",
        write_good_txt,
        write_bad_txt,
        ["P001_N1", "P001_N3", "P002_N2"],
        ["P001_N1", "P001_N3", "P002_N2"],
        ["file", "file", "file"],
        has_dates=False,
        has_types=False,
    ),
    FormatCase(
        "hl7",
        write_good_hl7,
        write_bad_hl7,
        ["N1", "N2", "N3"],
        ["N1", "N2", "N3"],
        ["message 2", "message 3", "message 5", "message 6"],
        metadata={"message_type": "ORU^R01"},
    ),
    FormatCase(
        "fhir",
        write_good_fhir,
        write_bad_fhir,
        ["N1", "N2", "N3"],
        ["N1", "N2", "N3"],
        ["entry 2", "entry 3", "entry 5", "entry 6"],
        metadata={"resource_type": "DocumentReference", "status": "current"},
    ),
]
