"""Source files to Records: CSV/TSV, JSON Lines, plain text, HL7 v2 and FHIR R4.

Use `read_path` to read a file or a folder, `detect_format` to name its format and `preview` to see
what an import would read (format, CSV header and first rows, guessed column mapping). Each format lives in
one module named `<name>_format.py` that registers an importer in `IMPORTERS`; importing this package
imports every such module, so adding a format is adding one module.
Nothing here touches the store: callers decide what to keep, de-duplicating by `Record.content_hash`.
"""

import importlib
import pkgutil

from appliance.ingest.base import ImportOptions, ProgressFn, Record, Rejected, Skipped
from appliance.ingest.registry import IMPORTERS, Importer, detect_format, list_sources, read_path, register
from appliance.ingest.source_preview import (
    MAPPING_ROLES,
    ColumnMapping,
    Preview,
    dataset_name_for,
    guess_mapping,
    options_from_mapping,
    preview,
)

# Every `*_format` module registers its importer when imported (name order; fhir imports jsonl first).
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_format")):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "IMPORTERS",
    "MAPPING_ROLES",
    "ColumnMapping",
    "ImportOptions",
    "Importer",
    "Preview",
    "ProgressFn",
    "Record",
    "Rejected",
    "Skipped",
    "dataset_name_for",
    "detect_format",
    "guess_mapping",
    "list_sources",
    "options_from_mapping",
    "preview",
    "read_path",
    "register",
]
