"""A toy import format defined in one file: ``.note`` files with a header of ``key: value`` lines,
a blank line, then the note.

It exists to show that an import format is one module: importing this file registers the importer,
and from then on format detection, `read_path` and the CLI's `--format` choices know it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from appliance.ingest.base import ImportOptions, Record, Rejected
from appliance.ingest.normalise import clean_text
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_EXTENSION, NO_CLAIM, register


@register
class NoteFileImporter:
    name = "toy-note"

    def claims(self, path: Path, head: bytes) -> int:
        return CLAIM_BY_EXTENSION if path.suffix.lower() == ".note" else NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Record | Rejected]:
        with meter.open(path) as stream:
            head, _, body = stream.read().decode("utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
        if "patient" not in fields:
            yield Rejected(str(path), "file", "header has no 'patient:' line")
            return
        yield Record(note_id=fields.get("id", path.stem), patient_id=fields["patient"], source=path.name,
                     date=fields.get("date"), note_type=fields.get("type"), text=clean_text(body), metadata={})
