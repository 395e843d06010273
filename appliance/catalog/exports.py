"""Exports: the delivered copies of approved runs, each with its ``export.json`` manifest.

This module alone holds the SQL of the ``exports`` table. Who may export what, and the parity check
that must pass first, are ``appliance.export.service``'s.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, NewType

from appliance.catalog.base import Source, loads, reader, writer
from appliance.catalog.runs import RunId
from appliance.store.db import Connection

ExportId = NewType("ExportId", str)
_SELECT = "SELECT export_id, run_id, format, path, status, created, created_by, manifest FROM exports ORDER BY created"


@dataclass(frozen=True)
class Export:
    export_id: ExportId  # <run id>-<format>-<6 random hex digits>
    run_id: RunId
    format: str
    path: str  # where the files were written (outside the workspace)
    status: str
    created: str
    created_by: str


def list_exports(source: Source) -> list[Export]:
    """Every export, oldest first."""
    return [export for export, _ in manifests(source)]


def create(tx: Connection, run_id: str, fmt: str, path: str, manifest: dict[str, Any], created: str,
           created_by: str) -> Export:
    """Record a delivered export (status ``done``) in the caller's transaction; its id is new."""
    writer(tx, "exports")
    export = Export(ExportId(f"{run_id}-{fmt}-{secrets.token_hex(3)}"), RunId(run_id), fmt, path, "done", created,
                    created_by)
    tx.execute("INSERT INTO exports (export_id, run_id, format, path, status, manifest, created, created_by)"
               " VALUES (?,?,?,?,?,?,?,?)", (export.export_id, export.run_id, fmt, path, export.status,
                                             json.dumps(manifest, default=str), created, created_by))
    return export


def manifests(source: Source) -> list[tuple[Export, dict[str, Any]]]:
    """Every export with the ``export.json`` recorded when it was delivered (what its files must match),
    oldest first."""
    return [(Export(ExportId(r[0]), RunId(r[1]), r[2], r[3], r[4], r[5], r[6]), loads(r[7]) or {})
            for r in reader(source).execute(_SELECT)]
