"""Base models registered in a workspace: each an encrypted blob checked against the manifest.

This module alone holds the SQL of the ``base_models`` table. Checking a file against the manifest,
storing it and converting it are ``appliance.base_models``'s; this is the record.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.catalog.base import Source, reader, writer
from appliance.store.db import Connection


@dataclass(frozen=True)
class BaseModel:
    model_id: str
    blob_id: str  # the file (or directory) as registered
    file_name: str
    format: str
    sha256: str  # of the file, or the manifest digest of a directory
    size: int
    added: str
    added_by: str


def list_models(source: Source) -> dict[str, BaseModel]:
    """Every registered model by id, in id order."""
    rows = reader(source).execute("SELECT model_id, blob_id, file_name, format, sha256, size, added, added_by"
                                  " FROM base_models ORDER BY model_id")
    return {r[0]: BaseModel(*r) for r in rows}


def hf_blob(source: Source, model_id: str) -> str | None:
    """The blob of the model's Hugging Face directory, once converted (or registered as one)."""
    row = reader(source).execute("SELECT hf_blob FROM base_models WHERE model_id = ?", (model_id,)).fetchone()
    return row[0] if row and row[0] else None


def add(tx: Connection, model: BaseModel, hf_blob: str | None = None) -> None:
    """Register ``model`` (its ``added`` is set by the database, now, in UTC)."""
    writer(tx, "base models").execute(
        "INSERT INTO base_models (model_id, blob_id, file_name, format, sha256, size, added, added_by, hf_blob)"
        " VALUES (?,?,?,?,?,?,datetime('now'),?,?)",
        (model.model_id, model.blob_id, model.file_name, model.format, model.sha256, model.size, model.added_by,
         hf_blob))


def set_hf_blob(tx: Connection, model_id: str, blob_id: str) -> None:
    writer(tx, "base models").execute("UPDATE base_models SET hf_blob = ? WHERE model_id = ?", (blob_id, model_id))
