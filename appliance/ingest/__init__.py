"""Source files to Records: CSV/TSV, JSON Lines, plain text, HL7 v2 and FHIR R4.

Use `read_path` to read a file or a folder and `detect_format` to name its format. Each format lives in
one module named `<name>_format.py` that registers an importer in `IMPORTERS`; importing this package
imports every such module, so adding a format is adding one module.
Nothing here touches the store: callers decide what to keep, de-duplicating by `Record.content_hash`.
"""

import importlib
import pkgutil

from appliance.ingest.base import ImportOptions, ProgressFn, Record, Rejected, Skipped
from appliance.ingest.registry import IMPORTERS, Importer, detect_format, list_sources, read_path, register

# Every `*_format` module registers its importer when imported (name order; fhir imports jsonl first).
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_format")):
    importlib.import_module(f"{__name__}.{_module}")

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
