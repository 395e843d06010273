"""Dispatch, folders, detection, eager errors and throttled progress."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from ingest_samples import (
    ADT,
    NOTES,
    bundle,
    document_reference,
    hl7_file,
    oru,
    write_good_csv,
    write_good_txt,
)

from appliance.errors import InvalidInput, UsageError
from appliance.ingest import IMPORTERS, Record, Rejected, detect_format, list_sources, read_path, register
from appliance.ingest import progress as progress_module


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("feed.txt", hl7_file([ADT]), "hl7"),  # HL7 content beats the .txt extension
        ("feed.dat", b"\x0b" + hl7_file([ADT]), "hl7"),
        ("note.txt", b"MSH is a word here", "txt"),
        ("export.ndjson", b'{"resourceType": "Patient", "id": "1"}\n', "fhir"),
        ("notes.ndjson", b'{"patient_id": "1", "text": "a"}\n', "jsonl"),
        ("bundle.fhir", json.dumps(bundle([])).encode(), "fhir"),
        ("notes.TSV", b"patient_id\ttext\n", "csv"),
        ("notes.text", b"hello", "txt"),
    ],
)
def test_detect_format_by_content_and_extension(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected


@pytest.mark.parametrize("name", ["report.pdf", "data.json", "archive.zip"])
def test_unknown_files_raise_invalid_input(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b'{"a": 1}' if name.endswith(".json") else b"\x00\x01binary")
    with pytest.raises(InvalidInput):
        detect_format(path)
    with pytest.raises(InvalidInput):
        read_path(path)


def test_missing_path_and_unknown_format_fail_before_iteration(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_path(tmp_path / "absent.csv")
    with pytest.raises(UsageError, match="unknown format"):
        read_path(write_good_csv(tmp_path), fmt="xml")


def test_folder_reads_recognised_files_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "b_notes.csv").write_text("patient_id,text\nP1,from csv\n")
    (folder / "a_feed.hl7").write_bytes(hl7_file([oru(NOTES[0], "M1")]))
    (folder / "c_doc.json").write_text(json.dumps(document_reference(NOTES[1])))
    (folder / "P9_note.txt").write_text("from txt")
    (folder / "readme.md").write_text("not a note")
    (folder / ".DS_Store").write_bytes(b"\x00")
    (folder / "sub").mkdir()
    (folder / "sub" / "P1_x.txt").write_text("not read: folders are not recursive")

    assert [(p.name, fmt) for p, fmt in list_sources(folder)] == [
        ("P9_note.txt", "txt"),
        ("a_feed.hl7", "hl7"),
        ("b_notes.csv", "csv"),
        ("c_doc.json", "fhir"),
    ]
    records = [r for r in read_path(folder) if isinstance(r, Record)]
    assert [r.source for r in records] == [
        "P9_note.txt",
        "a_feed.hl7:message 1",
        "b_notes.csv:line 2",
        "c_doc.json:file",
    ]
    with pytest.raises(InvalidInput, match="mixes formats"):
        detect_format(folder)


def test_folder_with_explicit_format_reads_every_visible_file(tmp_path: Path) -> None:
    folder = write_good_txt(tmp_path)
    (folder / "P7_extra.note").write_text("extension unknown but format given")
    assert detect_format(folder) == "txt"
    assert len([r for r in read_path(folder, "txt") if isinstance(r, Record)]) == len(NOTES) + 1
    assert len([r for r in read_path(folder) if isinstance(r, Record)]) == len(NOTES)


def test_empty_folder_raises(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("x")
    with pytest.raises(InvalidInput, match="no importable file"):
        read_path(tmp_path)


def test_file_deleted_between_planning_and_reading_is_rejected(tmp_path: Path) -> None:
    folder = write_good_txt(tmp_path)
    items = read_path(folder)
    (folder / "P001_N3.txt").unlink()
    results = list(items)
    rejected = [r for r in results if isinstance(r, Rejected)]
    assert [r.location for r in rejected] == ["file"] and "cannot read" in rejected[0].reason
    assert len([r for r in results if isinstance(r, Record)]) == len(NOTES) - 1


def test_register_refuses_a_second_importer_with_the_same_name() -> None:
    class Duplicate:
        name = "csv"

    with pytest.raises(ValueError, match="twice"):
        register(Duplicate)
    assert type(IMPORTERS["csv"]).__name__ == "CsvImporter"


def test_progress_is_throttled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "many.csv"
    with path.open("w") as stream:
        stream.write("patient_id,text\n")
        for i in range(40_000):
            stream.write(f"P{i},note number {i} {'x' * 40}\n")
    # A fake clock that advances 10 ms each time it is read: at most one report per 25 readings may pass.
    clock = iter(range(10**9))
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock) * 0.01)
    calls: list[tuple[int, int]] = []
    count = sum(1 for _ in read_path(path, progress=lambda done, total: calls.append((done, total))))
    readings = next(clock)
    size = path.stat().st_size
    assert count == 40_000
    assert readings > 100  # the meter did look at the clock while reading
    assert len(calls) <= readings / 25 + 3  # throttled, plus the start and end reports
    assert calls[0] == (0, size) and calls[-1] == (size, size)


def test_progress_is_not_called_per_row_in_real_time(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("patient_id,text\n" + "".join(f"P{i},t{i}\n" for i in range(20_000)))
    calls: list[float] = []
    start = time.monotonic()
    list(read_path(path, progress=lambda done, total: calls.append(time.monotonic())))
    elapsed = time.monotonic() - start
    assert len(calls) <= 2 + elapsed / 0.25 + 1
