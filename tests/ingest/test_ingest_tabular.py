"""CSV, JSONL and TXT details beyond the shared table."""

from __future__ import annotations

from pathlib import Path

from ingest_samples import SECRET

from appliance.ingest import ImportOptions, Record, Rejected, read_path


def read(path: Path, **options: object) -> list[Record | Rejected]:
    return list(read_path(path, options=ImportOptions(**options)))  # type: ignore[arg-type]


def test_csv_multiline_fields_report_their_starting_line(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_bytes(
        b"patient_id,text\r\n"
        b'P1,"first line\r\nsecond line\r\nthird, with comma"\r\n'
        b'P2,"quoted ""word"" and\nunix newline"\r\n'
        b"P3\r\n"
        b"P4,last\r\n"
    )
    items = read(path)
    assert [i.source if isinstance(i, Record) else i.location for i in items] == [
        "multi.csv:line 2",
        "multi.csv:line 5",
        "line 7",  # rejected: one field
        "multi.csv:line 8",
    ]
    first, second = items[0], items[1]
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.text == "first line\nsecond line\nthird, with comma"
    assert second.text == 'quoted "word" and\nunix newline'
    assert first.note_id == "multi-2"  # derived: file stem and line


def test_csv_unmapped_columns_go_to_metadata_and_mapping_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text("mrn,body,when,kind,doc,label,summary\nM1,Hello,2024-01-05,PN,D1,yes,short\n")
    [record] = read(path, patient_col="mrn", text_col="body", date_col="when", type_col="kind", id_col="doc")
    assert isinstance(record, Record)
    assert (record.patient_id, record.text, record.date, record.note_type, record.note_id) == (
        "M1",
        "Hello",
        "2024-01-05",
        "PN",
        "D1",
    )
    assert record.metadata == {"label": "yes", "summary": "short"}


def test_csv_header_without_text_column_rejects_the_file_once(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("patient_id,body\nP1,hello\nP2,world\n")
    [item] = read(path)
    assert isinstance(item, Rejected)
    assert item.location == "line 1"
    assert "'text'" in item.reason and "body" in item.reason and "text_col" in item.reason


def test_csv_without_patient_column_needs_patient_per_note(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    path.write_text("body,finding,patient_id_guess\nfirst note,fracture,\nsecond note,normal,\n")
    [item] = read(path, text_col="body", patient_col="mrn")
    assert isinstance(item, Rejected) and item.location == "line 1"
    assert "'mrn'" in item.reason and "patient_per_note" in item.reason
    first, second = read(path, text_col="body", patient_col="mrn", patient_per_note=True)
    assert isinstance(first, Record) and isinstance(second, Record)
    # Each note is its own patient, keyed by its (derived) note id; the label stays in metadata.
    assert (first.note_id, first.patient_id) == ("labelled-2", "labelled-2")
    assert (second.note_id, second.patient_id) == ("labelled-3", "labelled-3")
    assert first.metadata == {"finding": "fracture", "patient_id_guess": ""}


def test_patient_per_note_uses_a_given_note_id_and_ignores_a_patient_column(tmp_path: Path) -> None:
    csv_path = tmp_path / "ids.csv"
    csv_path.write_text("note_id,patient_id,text\nD7,P1,hello\n")
    [record] = read(csv_path, patient_per_note=True)
    assert isinstance(record, Record) and (record.note_id, record.patient_id) == ("D7", "D7")
    assert record.metadata == {"patient_id": "P1"}  # kept, but not used to group notes
    jsonl_path = tmp_path / "notes.jsonl"
    jsonl_path.write_text('{"text": "a note", "label": "x"}\n')
    [record] = read(jsonl_path, patient_per_note=True)
    assert isinstance(record, Record) and record.patient_id == record.note_id == "notes-1"


def test_csv_empty_file_and_blank_rows(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    [item] = read(empty)
    assert isinstance(item, Rejected) and "empty" in item.reason

    blanks = tmp_path / "blanks.csv"
    blanks.write_text("\npatient_id,text,label\n\nP1,hello,\n,,\n\nP2,world,x\n")
    items = read(blanks)
    assert [i.source for i in items if isinstance(i, Record)] == ["blanks.csv:line 4", "blanks.csv:line 7"]
    assert not [i for i in items if isinstance(i, Rejected)]


def test_csv_duplicate_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("patient_id,text,text\nP1,a,b\n")
    [item] = read(path)
    assert isinstance(item, Rejected) and "twice" in item.reason


def test_csv_utf8_bom_and_other_encodings(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffpatient_id,text\nP1,café\n".encode())
    [record] = read(bom)
    assert isinstance(record, Record) and record.text == "café"

    latin = tmp_path / "latin.csv"
    latin.write_bytes("patient_id,text\nP1,café\n".encode("latin-1"))
    [rejected] = read(latin)
    assert isinstance(rejected, Rejected) and "utf-8" in rejected.reason
    [record] = read(latin, encoding="latin-1")
    assert isinstance(record, Record) and record.text == "café"


def test_tsv_uses_tab_and_delimiter_option(tmp_path: Path) -> None:
    tsv = tmp_path / "notes.tsv"
    tsv.write_text("patient_id\ttext\nP1\thello, world\n")
    [record] = read(tsv)
    assert isinstance(record, Record) and record.text == "hello, world"

    semicolon = tmp_path / "semi.csv"
    semicolon.write_text("patient_id;text\nP1;hello, world\n")
    [record] = read(semicolon, delimiter=";")
    assert isinstance(record, Record) and record.text == "hello, world"


def test_csv_field_over_the_limit_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(f'patient_id,text\nP1,"{SECRET * 200}"\nP2,small\n')
    items = read(path, max_record_bytes=2048)
    assert isinstance(items[0], Rejected) and items[0].location == "line 2"
    assert SECRET not in items[0].reason
    assert isinstance(items[-1], Record) and items[-1].text == "small"


def test_jsonl_values_ids_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(
        '{"patient_id": 42, "text": "a", "extra": {"nested": [1, 2]}, "score": 0.5}\r\n'
        '{"patient_id": "P1", "text": "b", "note_id": 7, "date": null}\n'
        '{"patient_id": "P1", "text": "c", "value": NaN}\n'
    )
    first, second, third = read(path)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert (first.patient_id, first.note_id, first.metadata) == (
        "42",
        "n-1",
        {"extra": {"nested": [1, 2]}, "score": 0.5},
    )
    assert (second.note_id, second.date) == ("7", None)
    assert isinstance(third, Rejected) and "NaN" in third.reason


def test_jsonl_line_over_the_limit_is_skipped_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text('{"patient_id": "P1", "text": "' + "x" * 10_000 + '"}\n{"patient_id": "P2", "text": "ok"}\n')
    first, second = read(path, max_record_bytes=1024)
    assert isinstance(first, Rejected) and first.location == "line 1"
    assert isinstance(second, Record) and second.source == "long.jsonl:line 2"


def test_txt_patient_from_regex_or_default(tmp_path: Path) -> None:
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "discharge-MRN0042-2024.txt").write_text("Note A\r\n")
    (folder / "loose.txt").write_text("Note B")
    items = read(folder, txt_patient_regex=r"MRN(\d+)", txt_patient_default="UNKNOWN")
    assert [(i.note_id, i.patient_id, i.text) for i in items if isinstance(i, Record)] == [
        ("discharge-MRN0042-2024", "0042", "Note A"),
        ("loose", "UNKNOWN", "Note B"),
    ]


def test_txt_note_over_the_limit_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "P1_big.txt"
    path.write_text("y" * 5000)
    [item] = read(path, max_record_bytes=1024)
    assert isinstance(item, Rejected) and "max_record_bytes" in item.reason
