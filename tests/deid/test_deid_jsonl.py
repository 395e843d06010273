"""detect_jsonl / eval_jsonl: round trip, summaries, and one-line errors that never quote the text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from appliance.deid import detect_jsonl, eval_jsonl
from appliance.errors import EXIT_INVALID_INPUT, InvalidInput

from .deid_notes import MARKED_NOTES, parse_marked


def _write(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _gold_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, marked in enumerate(MARKED_NOTES):
        text, spans = parse_marked(marked)
        rows.append(
            {"id": f"n{i}", "text": text, "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in spans]}
        )
    return rows


def test_detect_round_trip(tmp_path: Path) -> None:
    rows = [{"id": r["id"], "text": r["text"]} for r in _gold_rows()]
    src = _write(tmp_path / "notes.jsonl", [*rows[:2], "", *rows[2:]])  # blank lines are skipped
    out = tmp_path / "spans.jsonl"
    summary = detect_jsonl(src, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in rows]
    assert summary["notes"] == len(rows)
    assert summary["spans"] == sum(len(line["spans"]) for line in lines) > 0
    assert sum(summary["by_label"].values()) == summary["spans"]
    for row, line in zip(rows, lines, strict=True):
        for span in line["spans"]:
            assert set(span) == {"start", "end", "label", "subtype", "confidence"}
            assert 0 <= span["start"] < span["end"] <= len(row["text"])
    assert "Okafor" not in out.read_text()  # offsets only, never text
    assert list(tmp_path.glob(".spans.jsonl.*")) == []  # no temporary file left behind


def test_eval_round_trip(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", _gold_rows())
    report = eval_jsonl(gold)
    assert report["notes"] == len(MARKED_NOTES)
    assert report["token"]["recall"] == 1.0
    assert json.loads(json.dumps(report)) == report  # JSON-able


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": 1, "text": "Dr. Secretname"', "not valid JSON"),
        ('["Dr. Secretname"]', "expected a JSON object"),
        ('{"text": "Dr. Secretname"}', 'missing "id"'),
        ('{"id": true, "text": "Dr. Secretname"}', 'missing "id"'),
        ('{"id": "a", "txt": "Dr. Secretname"}', 'missing "text"'),
        ('{"id": "a", "text": "Dr. Secretname"}', 'missing "spans"'),
        ('{"id": "a", "text": "Dr. Secretname", "spans": [{"start": 4, "end": 99, "label": "NAME"}]}', "out of range"),
        (
            '{"id": "a", "text": "Dr. Secretname", "spans": [{"start": 4, "end": 14, "label": "PERSON"}]}',
            "unknown label",
        ),
        ('{"id": "a", "text": "Dr. Secretname", "spans": [{"start": "4", "end": 14, "label": "NAME"}]}', "integer"),
        ('{"id": "a", "text": "Dr. Secretname", "spans": [7]}', "not an object"),
    ],
)
def test_bad_gold_lines(tmp_path: Path, line: str, message: str) -> None:
    good = json.dumps({"id": "ok", "text": "Fine.", "spans": []})
    path = _write(tmp_path / "gold.jsonl", [good, line])
    with pytest.raises(InvalidInput) as info:
        eval_jsonl(path)
    text = str(info.value)
    assert message in text
    assert f"{path}:2:" in text  # names the file and the line
    assert "Secretname" not in text and "\n" not in text  # one line, no note text
    assert info.value.exit_code == EXIT_INVALID_INPUT


def test_bad_detect_input_leaves_no_output(tmp_path: Path) -> None:
    src = _write(tmp_path / "notes.jsonl", [{"id": "a", "text": "Seen by Dr. Okonkwo."}, "{not json"])
    out = tmp_path / "out.jsonl"
    out.write_text("previous contents\n")
    with pytest.raises(InvalidInput, match=r"notes\.jsonl:2: not valid JSON"):
        detect_jsonl(src, out)
    assert out.read_text() == "previous contents\n"  # untouched: nothing half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.jsonl", "out.jsonl"]


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot open"):
        detect_jsonl(tmp_path / "missing.jsonl", tmp_path / "out.jsonl")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"id": 1, "text": "\xff\xfe"}\n')
    with pytest.raises(InvalidInput, match="not UTF-8"):
        detect_jsonl(binary, tmp_path / "out.jsonl")
