"""Record identity, ImportOptions validation and date/text normalisation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from ingest_samples import NOTES, write_good_csv, write_good_jsonl

from appliance.errors import UsageError
from appliance.ingest import ImportOptions, Record, read_path
from appliance.ingest.normalise import clean_text, normalise_date


def make_record(**changes: object) -> Record:
    record = Record(
        note_id="N1",
        patient_id="P001",
        source="notes.csv:line 2",
        date="2024-01-05",
        note_type="Progress note",
        text="Seen today.",
        metadata={"label": "a", "score": 3},
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def test_content_hash_ignores_source() -> None:
    assert make_record().content_hash() == make_record(source="other.jsonl:line 9").content_hash()


@pytest.mark.parametrize(
    "change",
    [
        {"note_id": "N2"},
        {"patient_id": "P002"},
        {"date": None},
        {"note_type": None},
        {"text": "Seen today!"},
        {"metadata": {"label": "b", "score": 3}},
    ],
    ids=lambda change: next(iter(change)),
)
def test_content_hash_covers_every_identity_field(change: dict[str, object]) -> None:
    assert make_record(**change).content_hash() != make_record().content_hash()


def test_content_hash_does_not_depend_on_metadata_key_order() -> None:
    assert make_record(metadata={"score": 3, "label": "a"}).content_hash() == make_record().content_hash()


def test_canonical_json_is_json_with_every_identity_field() -> None:
    identity = json.loads(make_record().canonical_json())
    assert {"patient_id", "note_id", "date", "note_type", "text", "metadata"} <= identity.keys()
    assert "source" not in identity


def test_repr_does_not_show_phi() -> None:
    text = repr(make_record(text="Jane Doe has diabetes", patient_id="MRN-123456"))
    assert "Jane" not in text and "MRN-123456" not in text and "N1" in text


def test_record_is_hashable_and_comparable() -> None:
    assert make_record() == make_record()
    assert len({make_record(), make_record()}) == 1


def test_duplicate_rows_give_identical_hashes(tmp_path: Path) -> None:
    path = write_good_csv(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + lines[1:]))  # every note twice
    records = [r for r in read_path(path) if isinstance(r, Record)]
    hashes = [r.content_hash() for r in records]
    assert len(records) == 2 * len(NOTES)
    assert hashes[: len(NOTES)] == hashes[len(NOTES) :]
    assert records[0].source != records[len(NOTES)].source


def test_same_note_in_csv_and_jsonl_has_the_same_hash(tmp_path: Path) -> None:
    from_csv = [r.content_hash() for r in read_path(write_good_csv(tmp_path)) if isinstance(r, Record)]
    from_jsonl = [r.content_hash() for r in read_path(write_good_jsonl(tmp_path)) if isinstance(r, Record)]
    assert from_csv == from_jsonl


@pytest.mark.parametrize(
    "kwargs",
    [
        {"encoding": "no-such-codec"},
        {"text_col": "note", "patient_col": "note"},
        {"text_col": " "},
        {"delimiter": ";;"},
        {"txt_patient_regex": "^[A-Z]+_"},
        {"txt_patient_regex": "(unclosed"},
        {"txt_patient_default": ""},
        {"max_record_bytes": 10},
    ],
)
def test_options_refuse_values_that_cannot_work(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        ImportOptions(**kwargs)  # type: ignore[arg-type]


def test_every_option_has_help_text() -> None:
    help_text = ImportOptions.help_text()
    assert set(help_text) == {f.name for f in dataclasses.fields(ImportOptions)}
    assert all(len(text) > 20 for text in help_text.values())


def test_options_accept_a_list_of_date_formats() -> None:
    assert ImportOptions(date_formats=["%d/%m/%Y"]).date_formats == ("%d/%m/%Y",)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-05", "2024-01-05"),
        (" 2024-01-05 ", "2024-01-05"),
        ("2024-01-05T12:30:00Z", "2024-01-05T12:30:00+00:00"),
        ("2024-01-05 12:30", "2024-01-05T12:30:00"),
        ("2024", "2024"),
        ("2024-03", "2024-03"),
        ("20240105", "2024-01-05"),
        ("202401", "2024-01"),
        ("2024010512", "2024-01-05T12"),
        ("202401051230", "2024-01-05T12:30"),
        ("20240105123045", "2024-01-05T12:30:45"),
        ("20240105123045.5", "2024-01-05T12:30:45.500000"),
        ("20240105123045-0500", "2024-01-05T12:30:45-05:00"),
        ("20241305", "20241305"),  # month 13: kept as found, not guessed
        ("05/01/2024", "05/01/2024"),  # day/month order unknown: kept as found
        ("", None),
        ("   ", None),
    ],
)
def test_normalise_date(raw: str, expected: str | None) -> None:
    assert normalise_date(raw) == expected


def test_normalise_date_with_extra_formats() -> None:
    assert normalise_date("05/01/2024", ["%d/%m/%Y"]) == "2024-01-05"
    assert normalise_date("05/01/2024 14:10", ["%d/%m/%Y", "%d/%m/%Y %H:%M"]) == "2024-01-05T14:10:00"


def test_clean_text_normalises_line_endings_and_edges() -> None:
    assert clean_text("\r\n  a\r\nb\rc\n\n") == "a\nb\nc"
