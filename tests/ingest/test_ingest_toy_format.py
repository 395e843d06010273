"""Adding an import format is one module: the toy importer in `toy_format.py` reaches format detection,
`read_path` and the CLI without any other file knowing its name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from appliance.ingest import IMPORTERS, Record, Rejected, detect_format, read_path


@pytest.fixture()
def toy_importer():
    module = importlib.import_module("tests.ingest.toy_format")  # importing the file registers the importer
    yield module.NoteFileImporter
    IMPORTERS.pop("toy-note", None)  # the table is process-wide: leave it as other tests expect it
    sys.modules.pop(module.__name__, None)


def test_an_import_format_module_is_detected_read_and_offered(toy_importer, tmp_path: Path) -> None:
    from appliance.cli import build_parser

    (tmp_path / "a.note").write_text("patient: P1\nid: n-1\ntype: discharge\n\nSeen today, stable.\n")
    (tmp_path / "b.note").write_text("id: n-2\n\nNo header patient.\n")
    assert detect_format(tmp_path / "a.note") == "toy-note"
    items = list(read_path(tmp_path))
    records = [i for i in items if isinstance(i, Record)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert [(r.note_id, r.patient_id, r.note_type, r.text) for r in records] == [
        ("n-1", "P1", "discharge", "Seen today, stable.")]
    assert len(rejected) == 1 and "patient" in rejected[0].reason
    args = build_parser().parse_args(["import", str(tmp_path), "--dataset", "d", "--format", "toy-note"])
    assert args.format == "toy-note"


def test_without_the_module_the_format_is_unknown(tmp_path: Path) -> None:
    from appliance.cli import build_parser

    assert "toy-note" not in IMPORTERS
    with pytest.raises(SystemExit):
        build_parser().parse_args(["import", str(tmp_path), "--dataset", "d", "--format", "toy-note"])
