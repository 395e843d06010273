"""One test body per behaviour, run over every format in ingest_samples.CASES."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_samples import CASES, SECRET, FormatCase, note_for

from appliance.ingest import IMPORTERS, Record, Rejected, Skipped, detect_format, read_path

CASE_IDS = [case.fmt for case in CASES]


def split(items: list[Record | Rejected | Skipped]) -> tuple[list[Record], list[Rejected]]:
    """Records and rejections; the rest must be Skipped (resources and messages that carry no note)."""
    records = [item for item in items if isinstance(item, Record)]
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert all(isinstance(item, Skipped) for item in items if item not in records and item not in rejected)
    return records, rejected


def test_every_format_has_a_case() -> None:
    assert sorted(IMPORTERS) == sorted(CASE_IDS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_good_file_yields_expected_records(case: FormatCase, tmp_path: Path) -> None:
    path = case.write_good(tmp_path)
    records, rejected = split(list(read_path(path)))

    assert rejected == []
    assert [r.note_id for r in records] == case.note_ids
    for record in records:
        note = note_for(record.note_id)
        assert record.patient_id == note.patient_id
        assert record.text == note.text
        assert record.date == (note.date if case.has_dates else None)
        assert record.note_type == (note.note_type if case.has_types else None)
        assert record.source.startswith(Path(record.source.split(":")[0]).name)
        assert record.text not in record.source
        assert len(record.content_hash()) == 64
    assert case.metadata.items() <= records[0].metadata.items()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_explicit_format_reads_like_auto(case: FormatCase, tmp_path: Path) -> None:
    path = case.write_good(tmp_path)
    auto = [item.content_hash() for item in read_path(path) if isinstance(item, Record)]
    explicit = [item.content_hash() for item in read_path(path, case.fmt) if isinstance(item, Record)]
    assert auto == explicit


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_malformed_input_is_rejected_and_good_records_still_come_through(case: FormatCase, tmp_path: Path) -> None:
    path = case.write_bad(tmp_path)
    records, rejected = split(list(read_path(path)))

    assert [r.note_id for r in records] == case.bad_note_ids
    assert [r.location for r in rejected] == case.bad_locations
    for item in rejected:
        assert Path(item.file).parent == (path if path.is_dir() else path.parent)
        assert item.reason and "\n" not in item.reason
        assert SECRET not in item.reason and SECRET not in item.location and SECRET not in str(item)
    for record in records:
        assert SECRET not in record.text


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_detect_format(case: FormatCase, tmp_path: Path) -> None:
    path = case.write_good(tmp_path)
    assert detect_format(path) == case.fmt
    for item in path.iterdir() if path.is_dir() else [path]:
        if not item.name.startswith("."):
            assert detect_format(item) == case.fmt


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_progress_reaches_total(case: FormatCase, tmp_path: Path) -> None:
    path = case.write_good(tmp_path)
    calls: list[tuple[int, int]] = []
    list(read_path(path, progress=lambda done, total: calls.append((done, total))))

    total = (
        sum(p.stat().st_size for p in path.iterdir() if not p.name.startswith("."))
        if path.is_dir()
        else path.stat().st_size
    )
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_reading_twice_gives_identical_hashes(case: FormatCase, tmp_path: Path) -> None:
    path = case.write_good(tmp_path)
    first = [r.content_hash() for r in read_path(path) if isinstance(r, Record)]
    second = [r.content_hash() for r in read_path(path) if isinstance(r, Record)]
    assert first == second
    assert len(set(first)) == len(first)
