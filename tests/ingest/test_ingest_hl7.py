"""HL7 v2: line endings, MLLP framing, escapes, message types, framing errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from ingest_samples import ADT, NOTES, SECRET, hl7_file, mdm, oru

from appliance.ingest import ImportOptions, Record, Rejected, read_path

EXPECTED_IDS = ["N1", "N2", "N3"]
MESSAGES = [oru(NOTES[0], "M1"), oru(NOTES[1], "M2"), mdm(NOTES[2], "M3")]


def read(path: Path, **options: object) -> list[Record | Rejected]:
    return list(read_path(path, options=ImportOptions(**options)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ending", "mllp"),
    [("\r", False), ("\n", False), ("\r\n", False), ("\r", True), ("\n", True)],
    ids=["cr", "lf", "crlf", "mllp-cr", "mllp-lf"],
)
def test_line_endings_and_mllp_framing(tmp_path: Path, ending: str, mllp: bool) -> None:
    path = tmp_path / "feed.hl7"
    path.write_bytes(hl7_file(MESSAGES, ending=ending, mllp=mllp))
    items = read(path)
    assert all(isinstance(i, Record) for i in items)
    assert [i.note_id for i in items if isinstance(i, Record)] == EXPECTED_IDS
    assert [i.text for i in items if isinstance(i, Record)] == [n.text for n in NOTES]


def test_oru_and_mdm_fields(tmp_path: Path) -> None:
    path = tmp_path / "feed.hl7"
    path.write_bytes(hl7_file(MESSAGES))
    oru_record, _, mdm_record = read(path)
    assert isinstance(oru_record, Record) and isinstance(mdm_record, Record)
    assert (oru_record.patient_id, oru_record.date, oru_record.note_type) == (
        "P001",
        "2024-01-05T12:00:00+00:00",
        "Discharge summary",
    )
    assert oru_record.metadata == {"message_type": "ORU^R01", "source_ids": ["M1 OBR 1"]}
    assert mdm_record.metadata == {"message_type": "MDM^T02", "document_status": "AU", "source_ids": ["M3"]}
    assert mdm_record.source == "feed.hl7:message 3"


def test_escapes_repetitions_and_formatting(tmp_path: Path) -> None:
    message = [
        "MSH|^~\\&|RIS|HOSP|EHR|HOSP|20240601083000||ORU^R01|M9|P|2.5",
        "PID|1||P5^^^HOSP^MR",
        "OBR|1||||||",
        "OBX|1|FT|x||Pipe \\F\\ caret \\S\\ amp \\T\\ tilde \\R\\ esc \\E\\.\\.br\\\\H\\Bold\\N\\ text",
        "OBX|2|TX|x||rep one~rep two",
        "OBX|3|NM|x||5",
        "OBX|4|ST|x||short text",
        "OBX|5|TX|x||unescaped ^ caret",
    ]
    path = tmp_path / "esc.hl7"
    path.write_bytes(hl7_file([message]))
    [record] = read(path)
    assert isinstance(record, Record)
    assert record.text == (
        "Pipe | caret ^ amp & tilde ~ esc \\.\nBold text\nrep one\nrep two\nshort text\nunescaped ^ caret"
    )
    # No OBR-3, OBR-7 or OBR-4: fall back to MSH-10, MSH-7 and the first text OBX's OBX-3.
    assert (record.note_id, record.date, record.note_type) == ("M9", "2024-06-01T08:30:00", "x")


def test_unsupported_messages_are_skipped_or_rejected(tmp_path: Path) -> None:
    path = tmp_path / "mixed.hl7"
    path.write_bytes(hl7_file([ADT, oru(NOTES[0], "M1")]))
    assert [i.note_id for i in read(path) if isinstance(i, Record)] == ["N1"]
    items = read(path, reject_unsupported=True)
    assert isinstance(items[0], Rejected)
    assert items[0].location == "message 1" and "ADT^A01" in items[0].reason


def test_batch_envelopes_and_stray_segments(tmp_path: Path) -> None:
    body = "FHS|^~\\&|RIS\rBHS|^~\\&|RIS\r" + "\r".join(oru(NOTES[0], "M1")) + "\rBTS|1\rFTS|1\r"
    path = tmp_path / "batch.hl7"
    path.write_bytes(("PID|1||P0^^^H^MR\r" + body).encode())
    first, second = read(path)
    assert isinstance(first, Rejected) and first.location == "before message 1"
    assert isinstance(second, Record) and second.source == "batch.hl7:message 1"


def test_malformed_messages(tmp_path: Path) -> None:
    empty_patient = [s if not s.startswith("PID") else "PID|1||" for s in oru(NOTES[0], "B1")]
    not_hl7 = ["MSH"]
    undecodable = oru(NOTES[1], "B3")
    path = tmp_path / "bad.hl7"
    data = (
        hl7_file([empty_patient, not_hl7])
        + hl7_file([undecodable]).replace(b"CT head", b"CT \xff" + SECRET.encode())
        + hl7_file([oru(NOTES[2], "M4")])
    )
    path.write_bytes(data)
    items = read(path)
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [(r.location, r.reason.split(" ")[0]) for r in rejected] == [
        ("message 1", "PID-3"),
        ("message 2", "not"),
        ("message 3", "bytes"),
    ]
    assert all(SECRET not in r.reason for r in rejected)
    assert isinstance(items[-1], Record) and items[-1].note_id == "N3"
    latin = read(path, encoding="latin-1")
    assert [i.note_id for i in latin if isinstance(i, Record)] == ["N2", "N3"]


def test_oversize_message_is_rejected(tmp_path: Path) -> None:
    big = oru(NOTES[0], "M1") + [f"OBX|9|TX|x||{'z' * 3000}"]
    path = tmp_path / "big.hl7"
    path.write_bytes(hl7_file([big, oru(NOTES[1], "M2")]))
    first, second = read(path, max_record_bytes=1024)
    assert isinstance(first, Rejected) and "max_record_bytes" in first.reason
    assert isinstance(second, Record) and second.note_id == "N2"


def test_segment_longer_than_the_limit_without_any_line_break(tmp_path: Path) -> None:
    path = tmp_path / "runaway.hl7"
    runaway = hl7_file([oru(NOTES[1], "M2")[:3]]) + b"OBX|1|TX|x||" + b"q" * 300_000
    path.write_bytes(hl7_file([oru(NOTES[0], "M1")]) + runaway)
    first, second = read(path, max_record_bytes=4096)
    assert isinstance(first, Record)
    assert isinstance(second, Rejected) and second.location == "message 2"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # python-hl7 calls Logger.warn
def test_python_hl7_logs_nothing_from_note_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # \Cxxxx\ is an escape python-hl7 does not implement; it logs the whole field when it meets one.
    message = oru(NOTES[0], "M1") + [f"OBX|9|TX|x||{SECRET} \\C2842\\ tail"]
    path = tmp_path / "log.hl7"
    path.write_bytes(hl7_file([message]))
    with caplog.at_level(logging.DEBUG):
        [record] = read(path)
    assert isinstance(record, Record) and SECRET in record.text
    assert SECRET not in caplog.text
