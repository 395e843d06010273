"""Source files to Records: CSV/TSV, JSON Lines, plain text, HL7 v2 and FHIR R4.

Use `read_path` to read a file or a folder and `detect_format` to name its format. Each format lives in
one module that registers an importer in `IMPORTERS`; importing this package registers them all.
Nothing here touches the store: callers decide what to keep, de-duplicating by `Record.content_hash`.
"""

from appliance.ingest import csv_format, fhir_format, hl7_format, jsonl_format, txt_format  # noqa: F401 - register
from appliance.ingest.base import ImportOptions, ProgressFn, Record, Rejected, Skipped
from appliance.ingest.registry import IMPORTERS, Importer, detect_format, list_sources, read_path, register

__all__ = [
    "IMPORTERS",
    "ImportOptions",
    "Importer",
    "ProgressFn",
    "Record",
    "Rejected",
    "Skipped",
    "detect_format",
    "list_sources",
    "read_path",
    "register",
]
