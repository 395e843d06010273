"""Looking inside a dataset: the values of each field, counted, and its records one page at a time.

Both read the newest complete de-identified version, never the imported originals, so what they show
is what tuning sees. The one exception is ``browse(..., original=True)``: the imported text beside the
de-identified one, for the roles that review de-identification (``ORIGINAL_ROLES``); every such
reading is audited with the record ids (never the text).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from appliance.catalog import datasets as dataset_records
from appliance.catalog import deid_versions
from appliance.errors import InvalidInput
from appliance.workspace import Role, Workspace

ORIGINAL_ROLES: tuple[Role, ...] = ("admin", "reviewer")  # who may read the imported originals here
CATEGORICAL_MAX = 50  # a field with more distinct values is free text (or an identifier): no values listed
SHOWN_VALUES = 12


@dataclass(frozen=True)
class FieldCount:
    """One field of a dataset's records, counted over the de-identified version."""

    name: str
    records: int  # records with a value in this field
    distinct: int
    values: list[tuple[str, int]] = field(default_factory=list)  # most common first; empty for free text

    @property
    def categorical(self) -> bool:
        return 0 < self.distinct <= CATEGORICAL_MAX


def _version(ws: Workspace, dataset: str) -> str:
    if not dataset_records.exists(ws, dataset):
        raise InvalidInput(f"no dataset '{dataset}'")
    version = deid_versions.latest_complete(ws, dataset)
    if version is None:
        raise InvalidInput(f"dataset '{dataset}' has no de-identified version yet; de-identify it first")
    return version.version_id


def _value(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def field_counts(ws: Workspace, dataset: str) -> list[FieldCount]:
    """Every field of the dataset's de-identified records (and the note type), by name, with its values
    counted when it has at most ``CATEGORICAL_MAX`` distinct ones (the candidates for a label)."""
    version = _version(ws, dataset)
    counts: dict[str, Counter[str]] = {}
    for record in deid_versions.version_records(ws, version):
        stored = dataset_records.get_record(ws, record.record_id)
        fields = dict(record.metadata or {})
        if stored is not None and stored.note_type:
            fields.setdefault("note_type", stored.note_type)
        for name, raw in fields.items():
            value = _value(raw)
            if value is not None:
                counts.setdefault(name, Counter())[value] += 1
    out = []
    for name in sorted(counts):
        counter = counts[name]
        distinct = len(counter)
        shown = counter.most_common(SHOWN_VALUES) if distinct <= CATEGORICAL_MAX else []
        out.append(FieldCount(name, sum(counter.values()), distinct, shown))
    return out


def label_fields(ws: Workspace, dataset: str) -> list[FieldCount]:
    """The fields a classifier could learn: categorical, with at least two values."""
    return [f for f in field_counts(ws, dataset) if f.categorical and f.distinct >= 2]


def browse(ws: Workspace, dataset: str, offset: int = 0, limit: int = 100,
           original: bool = False) -> dict[str, Any]:
    """One page of the dataset's records: id, note type, de-identified fields and text; with
    ``original`` also the imported text (``ORIGINAL_ROLES`` only; audited). JSON-ready."""
    if offset < 0 or limit < 1:
        raise InvalidInput("offset must be >= 0 and limit >= 1")
    if original:
        ws.require(*ORIGINAL_ROLES)
    version = _version(ws, dataset)
    records = deid_versions.version_records(ws, version)
    page = records[offset:offset + limit]
    rows = []
    for record in page:
        stored = dataset_records.get_record(ws, record.record_id)
        row: dict[str, Any] = {"record_id": record.record_id, "note_type": stored.note_type if stored else None,
                               "fields": {k: v for k, v in (record.metadata or {}).items() if _value(v) is not None},
                               "text": record.text}
        if original and stored is not None:
            row["original"] = stored.text
        rows.append(row)
    if original and rows:
        with ws.transaction("data.originals_viewed", [version], {"records": [r["record_id"] for r in rows]}):
            pass
    return {"dataset": dataset, "version": version, "total": len(records), "offset": offset, "records": rows}
