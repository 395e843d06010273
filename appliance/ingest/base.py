"""The values every importer produces and the options that steer them.

An importer turns one source file into a stream of `Record` (a note that parsed), `Rejected`
(a location that did not, with a reason) and `Skipped` (a location that holds no note, with a reason).
All are plain values: nothing here touches the store.

PHI hazard: `Record.text`, `Record.patient_id`, `Record.date` and `Record.metadata` are PHI. `Record.source`
and everything in `Rejected` are locations and reasons only, so they may be shown, logged and stored
outside the encrypted store. Keep it that way: never build a reason or an exception message from field
values.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from appliance.errors import UsageError
from appliance.fieldhelp import help_of

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(bytes_done, bytes_total)``, at most a few times per second."""

# Bumped if the canonical form changes, so hashes from different forms never compare equal.
_HASH_FORM = "appliance.ingest.record/1"


@dataclass(frozen=True, repr=False)
class Record:
    """One clinical note as found in a source file.

    `source` says where the note came from (``"notes.csv:line 12"``, ``"feed.hl7:message 3"``) and is
    the only field that is not part of the note's identity: the same note read from two files, or
    twice from one, has the same `content_hash`.

    `repr()` shows only the note id, the source and the text length, so a Record that ends up in a log
    line or a traceback does not leak PHI.
    """

    note_id: str
    patient_id: str
    source: str
    date: str | None
    note_type: str | None
    text: str
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)

    def __repr__(self) -> str:
        return f"Record(note_id={self.note_id!r}, source={self.source!r}, text_chars={len(self.text)})"

    def canonical_json(self) -> str:
        """The identity of the note as compact JSON with sorted keys (what `content_hash` hashes).

        Raises TypeError if `metadata` holds something JSON cannot represent; importers only put
        JSON values there.
        """
        identity = {
            "form": _HASH_FORM,
            "patient_id": self.patient_id,
            "note_id": self.note_id,
            "date": self.date,
            "note_type": self.note_type,
            "text": self.text,
            "metadata": self.metadata,
        }
        return json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def content_hash(self) -> str:
        """SHA-256 hex of `canonical_json()`: equal for duplicates, independent of `source`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rejected:
    """A part of a source file that could not become a Record.

    `location` is ``"line 17"``, ``"message 3"``, ``"entry 5"`` or ``"file"``; `reason` is one line that
    never quotes the file's content (it may name columns, fields and segments).
    """

    file: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} {self.location}: {self.reason}"


@dataclass(frozen=True)
class Skipped:
    """A part of a source file that holds no note and is not an error (a Patient resource, an ADT message
    without report text). Reported in the import summary; never makes ``--strict`` refuse an import.

    `location` and `reason` follow the same rule as in `Rejected`: locations, types and field names only.
    """

    file: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} {self.location}: {self.reason}"


def _opt(default: Any, help_text: str) -> Any:
    # Typed Any so that `field: str = _opt(...)` type-checks like a plain default.
    return field(default=default, metadata={"help": help_text})


@dataclass
class ImportOptions:
    """How source files map onto Records. Every field has a default and help text (``metadata["help"]``).

    Raises UsageError from construction when a value cannot work, so a bad flag fails before any file
    is opened.
    """

    text_col: str = _opt("text", "CSV column / JSON key holding the note text.")
    patient_col: str = _opt(
        "patient_id", "CSV column / JSON key holding the patient id (a file without one: see patient_per_note)."
    )
    patient_per_note: bool = _opt(
        False,
        "CSV / JSONL without a patient column: every note counts as its own patient (its note id is the "
        "patient id). Splits then keep notes apart, not patients: two notes of one patient may land in "
        "training and test, so held-out scores can be optimistic.",
    )
    id_col: str = _opt(
        "note_id",
        "CSV column / JSON key holding the note id; rows without one get '<file stem>-<line>'.",
    )
    date_col: str = _opt("date", "CSV column / JSON key holding the note date (optional).")
    type_col: str = _opt("note_type", "CSV column / JSON key holding the note type (optional).")
    encoding: str = _opt(
        "utf-8",
        "Character encoding of CSV, JSONL, TXT and HL7 files (FHIR JSON is always UTF-8). A UTF-8 byte "
        "order mark is skipped. HL7 and JSONL need an ASCII-compatible encoding.",
    )
    delimiter: str | None = _opt(None, "CSV field delimiter; default: tab for .tsv files, comma otherwise.")
    txt_patient_regex: str = _opt(
        r"^(?P<patient_id>[^_]+)_",
        "For TXT files: regular expression searched in the file stem; its group 'patient_id' (or its "
        "first group) is the patient id. Default: the part before the first underscore, as in "
        "'P0042_discharge.txt'.",
    )
    txt_patient_default: str | None = _opt(
        None,
        "For TXT files: patient id used when txt_patient_regex does not match; if unset, such files are rejected.",
    )
    date_formats: tuple[str, ...] = _opt(
        (),
        "Extra strptime formats tried for dates that are neither ISO 8601 nor HL7 timestamps, e.g. "
        "'%d/%m/%Y'. Dates no format reads are kept as found.",
    )
    max_record_bytes: int = _opt(
        16 * 1024 * 1024,
        "Largest CSV field, JSONL line, TXT file, HL7 message or FHIR entry accepted; larger ones "
        "are rejected. Bounds memory use on malformed input.",
    )
    reject_unsupported: bool = _opt(
        False,
        "Report HL7 messages and FHIR resources that carry no importable note (e.g. an ADT message "
        "without report text, a Patient) as rejected instead of skipped.",
    )

    def __post_init__(self) -> None:
        columns = {
            "text_col": self.text_col,
            "patient_col": self.patient_col,
            "id_col": self.id_col,
            "date_col": self.date_col,
            "type_col": self.type_col,
        }
        for name, value in columns.items():
            if not value.strip():
                raise UsageError(f"{name} must name a column; got an empty name")
        if len(set(columns.values())) != len(columns):
            raise UsageError("text_col, patient_col, id_col, date_col and type_col must all differ")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise UsageError(f"unknown encoding '{self.encoding}'; use a Python codec name such as utf-8") from None
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise UsageError("delimiter must be a single character")
        try:
            pattern = re.compile(self.txt_patient_regex)
        except re.error as exc:
            raise UsageError(f"txt_patient_regex is not a valid regular expression: {exc}") from None
        if pattern.groups < 1:
            raise UsageError("txt_patient_regex needs a group that captures the patient id")
        if self.txt_patient_default is not None and not self.txt_patient_default.strip():
            raise UsageError("txt_patient_default must not be empty; leave it unset instead")
        if self.max_record_bytes < 1024:
            raise UsageError("max_record_bytes must be at least 1024")
        self.date_formats = tuple(self.date_formats)

    @classmethod
    def help_text(cls) -> dict[str, str]:
        """Field name -> help text, in declaration order (for CLI flags and GUI tooltips)."""
        return help_of(cls)

    def txt_patient_pattern(self) -> re.Pattern[str]:
        return re.compile(self.txt_patient_regex)
