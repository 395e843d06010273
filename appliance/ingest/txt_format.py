"""Plain text: one note per file, usually a folder of them.

- note id: the file stem (``P0042_discharge.txt`` -> ``P0042_discharge``);
- patient id: `ImportOptions.txt_patient_regex` searched in the stem (default: the part before the
  first underscore, ``P0042``), else `ImportOptions.txt_patient_default`, else the file is rejected;
- date and note type: none (a file name or a file time is not a trustworthy clinical date).

The whole note is held in memory (a Record carries its text), up to `ImportOptions.max_record_bytes`;
a larger file is rejected after reading at most that much.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from appliance.ingest.base import ImportOptions, Record, Rejected
from appliance.ingest.normalise import clean_text
from appliance.ingest.progress import ByteMeter
from appliance.ingest.registry import CLAIM_BY_EXTENSION, NO_CLAIM, register
from appliance.ingest.textio import reading_encoding

_EXTENSIONS = (".txt", ".text")


def patient_from_name(path: Path, options: ImportOptions) -> str | None:
    """The patient id the options give for a TXT file name, or None if they give none."""
    match = options.txt_patient_pattern().search(path.stem)
    if match is not None:
        group = "patient_id" if "patient_id" in match.re.groupindex else 1
        found = match.group(group)
        if found and found.strip():
            return found.strip()
    return options.txt_patient_default


@register
class TxtImporter:
    name = "txt"

    def claims(self, path: Path, head: bytes) -> int:
        return CLAIM_BY_EXTENSION if path.suffix.lower() in _EXTENSIONS else NO_CLAIM

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Record | Rejected]:
        patient_id = patient_from_name(path, options)
        if patient_id is None:
            yield Rejected(
                str(path),
                "file",
                "file name gives no patient id (txt_patient_regex did not match); rename the file or set "
                "txt_patient_default",
            )
            return
        with meter.open(path) as stream:
            data = stream.read(options.max_record_bytes + 1)
        if len(data) > options.max_record_bytes:
            yield Rejected(str(path), "file", "note larger than max_record_bytes")
            return
        try:
            text = clean_text(data.decode(reading_encoding(options.encoding)))
        except UnicodeDecodeError as exc:
            yield Rejected(str(path), "file", f"bytes not valid in {options.encoding} at byte {exc.start}")
            return
        if not text:
            yield Rejected(str(path), "file", "file holds no text")
            return
        yield Record(
            note_id=path.stem,
            patient_id=patient_id,
            source=path.name,
            date=None,
            note_type=None,
            text=text,
            metadata={},
        )
