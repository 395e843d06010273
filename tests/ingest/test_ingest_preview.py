"""`ingest.preview`: what the import wizard shows before importing, and the column guess behind it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from ingest_samples import SECRET

from appliance.errors import InvalidInput, UsageError
from appliance.ingest import (
    ImportOptions,
    Record,
    dataset_name_for,
    guess_mapping,
    options_from_mapping,
    preview,
    read_path,
)


def test_guess_mapping_by_column_names() -> None:
    assert guess_mapping(["MRN", "Note_Text", "when"]) == {
        "text_col": "Note_Text", "patient_col": "MRN", "id_col": None, "date_col": None, "type_col": None}
    assert options_from_mapping(guess_mapping(["MRN", "Note_Text"])).patient_per_note is False


def test_each_column_is_guessed_for_one_role_only() -> None:
    # Names first: "id" is the id column, so the text falls back to a column no role names.
    mapping = guess_mapping(["id", "free_text_field"])
    assert mapping == {"text_col": "free_text_field", "patient_col": None, "id_col": "id", "date_col": None,
                       "type_col": None}
    assert guess_mapping(["id", "narrative"])["text_col"] == "narrative"
    mapping = guess_mapping(["id"])  # its only column is named as an id: the user chooses the text column
    assert mapping["text_col"] is None and mapping["id_col"] == "id"
    mapping = guess_mapping(["Body", "note_id", "ID"])
    assert (mapping["text_col"], mapping["id_col"]) == ("Body", "note_id")


def test_a_file_without_a_patient_column_imports_each_note_as_its_own_patient() -> None:
    mapping = guess_mapping(["report_body", "finding"])
    assert mapping["text_col"] == "report_body" and mapping["patient_col"] is None
    options = options_from_mapping(mapping)
    assert options.patient_per_note is True
    assert options.text_col == "report_body" and options.id_col not in ("report_body", "finding")


def test_a_column_mapped_twice_is_refused() -> None:
    with pytest.raises(UsageError, match="one role only"):
        options_from_mapping({"text_col": "body", "patient_col": "body"})


def test_preview_of_a_csv_guesses_a_mapping_that_imports(tmp_path: Path) -> None:
    path = tmp_path / "Clinic notes 2024.csv"
    lines = ["MRN,document_id,service_date,category,note_text"]
    lines += [f"P{i},D{i},2024-01-0{i},Progress,note {i}" for i in range(1, 8)]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    seen = preview(path)
    assert (seen.fmt, seen.files, seen.sample_rows, seen.is_tabular) == ("csv", 1, 5, True)
    assert seen.header == ["MRN", "document_id", "service_date", "category", "note_text"]  # BOM skipped
    assert seen.rows[0] == ["P1", "D1", "2024-01-01", "Progress", "note 1"]
    assert seen.mapping == {"text_col": "note_text", "patient_col": "MRN", "id_col": "document_id",
                            "date_col": "service_date", "type_col": "category"}
    assert "note 1" not in repr(seen)  # rows are PHI: kept out of reprs and tracebacks
    records = [r for r in read_path(path, options=options_from_mapping(seen.mapping)) if isinstance(r, Record)]
    assert [(r.patient_id, r.note_id, r.note_type, r.text) for r in records[:1]] == [("P1", "D1", "Progress", "note 1")]
    assert len(records) == 7
    assert dataset_name_for(path) == "Clinic-notes-2024"


def test_preview_of_a_tsv_a_folder_and_other_formats(tmp_path: Path) -> None:
    tsv = tmp_path / "ward.tsv"
    tsv.write_text("\n\npatient_id\ttext\nP1\tfirst\n\nP2\tsecond\n", encoding="utf-8")
    seen = preview(tsv, ImportOptions(), rows=1)
    assert (seen.header, seen.rows, seen.mapping["text_col"]) == (["patient_id", "text"], [["P1", "first"]], "text")
    folder = tmp_path / "feed"
    folder.mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        (folder / name).write_text('{"patient_id": "P1", "text": "x"}\n', encoding="utf-8")
    seen = preview(folder)
    assert (seen.fmt, seen.files, seen.header, seen.mapping, seen.is_tabular) == ("jsonl", 2, [], {}, False)
    odd = tmp_path / "***.csv"
    odd.write_text("text\nx\n", encoding="utf-8")
    assert dataset_name_for(folder) == "feed" and dataset_name_for(odd) == "notes"


def test_preview_errors_name_the_path_never_the_notes(tmp_path: Path) -> None:
    unknown = tmp_path / "x.bin"
    unknown.write_bytes(b"\x00\x01")
    with pytest.raises(InvalidInput, match="unknown file format"):
        preview(unknown)
    big = tmp_path / "big.csv"
    big.write_text(f"patient_id,text\nP1,{SECRET} " + "y" * 2000 + "\n", encoding="utf-8")
    old_limit = csv.field_size_limit(1024)  # process-wide; preview only ever raises it to max_record_bytes
    try:
        with pytest.raises(InvalidInput) as caught:
            preview(big, ImportOptions(max_record_bytes=1024))
    finally:
        csv.field_size_limit(old_limit)
    message = str(caught.value)
    assert "big.csv: line 2: malformed CSV" in message and SECRET not in message
