"""What a workspace may serve: its own exports, unaltered, of runs that are still approved.

`check_export` is asked once per export directory when the server starts:
- the directory's ``export.json`` must be one this workspace recorded when it delivered an export
  (``appliance export``); a directory made elsewhere, or whose export.json was edited, is refused
  (``InvalidInput``, exit 5);
- every file must match the SHA-256 and size the *recorded* manifest lists, with no file added or
  missing (``IntegrityError``, exit 4): the recorded copy, not the directory's own export.json, which
  whoever altered the files could have rewritten to match;
- the run must still be approved (``ApplianceError``, exit 1).

`WorkspaceGate` is asked on every request: a run rejected, or an approval rolled back, by another
process is refused from the next request on (403 ``model_withdrawn``) and leaves ``/v1/models``. Like
`appliance.serve.workspace_keys.WorkspaceKeys` it re-reads the registry only when ``PRAGMA data_version``
says another connection committed, and shares the workspace connection under the same lock.

A classification run also gets its `TaskSpec` here (task settings, calibration, approval label), for
the task endpoint.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from appliance.catalog import approvals as approval_records
from appliance.catalog import exports as export_records
from appliance.catalog import runs
from appliance.data.tasks import TaskConfig
from appliance.errors import ApplianceError, IntegrityError, InvalidInput
from appliance.export.manifest import file_inventory
from appliance.serve.backends.loading import EXPORT_FILE, describe
from appliance.serve.protocols import RequestRecord
from appliance.serve.spool import DurableSpool
from appliance.serve.tasks import TaskSpec
from appliance.store import db
from appliance.workspace import Role, Workspace

SERVE_ROLES: tuple[Role, ...] = ("admin", "informaticist")
SERVED_STATES = ("approved", "exported")


@dataclass(frozen=True)
class ServedExport:
    path: Path
    model_id: str
    export_id: str
    run_id: str
    format: str
    version: str  # the approval served, "name@vN"
    task: TaskSpec | None  # set for a classification run: its task endpoint


def refusal(source: Any, run_id: str) -> str | None:
    """Why ``run_id`` may not be served now (rejected, never approved, rolled back), or None."""
    run = runs.find(source, run_id)
    if run is None:
        return f"run {run_id} no longer exists"
    if run.state not in SERVED_STATES:
        return f"run {run_id} is {run.state}, not approved"
    approval = approval_records.latest_for_run(source, run_id)
    if approval is None:
        return f"run {run_id} has no approval"
    current = approval_records.current(source, approval.name)
    if current is None or current.version < approval.version:
        return f"{approval.label} was rolled back"
    return None


def _read_export_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads((path / EXPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{path} is not an export of this workspace (no readable {EXPORT_FILE}); serve only "
                           "directories made by 'appliance export' in this workspace")
    return doc


def check_export(ws: Workspace, path: Path) -> ServedExport:
    """The export at ``path`` if this workspace may serve it; raises with a one-line reason otherwise."""
    path = Path(path)
    if not path.is_dir():
        raise InvalidInput(f"{path} is not an export directory ('appliance export RUN --out DIR' makes one)")
    doc = _read_export_json(path)
    found = next(((record, stored) for record, stored in export_records.manifests(ws)
                  if json.loads(json.dumps(stored, default=str)) == doc), None)
    if found is None:
        raise InvalidInput(f"{path} is not an export of this workspace (its {EXPORT_FILE} matches no recorded "
                           "export); serve only directories made by 'appliance export' in this workspace")
    record, stored = found
    expected = {name: {"sha256": info["sha256"], "size": info["size"]}
                for name, info in (stored.get("files") or {}).items()}
    actual = file_inventory(path)
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            raise IntegrityError(f"{path}: file {name} of export {record.export_id} is missing; re-export the run")
        if name not in expected:
            raise IntegrityError(f"{path}: file {name} is not part of export {record.export_id}; remove it or "
                                 "re-export the run")
        if actual[name] != expected[name]:
            raise IntegrityError(f"{path}: file {name} does not match its recorded SHA-256 (export "
                                 f"{record.export_id}); re-export the run")
    reason = refusal(ws, record.run_id)
    if reason is not None:
        raise ApplianceError(f"{path}: {reason}; only approved runs are served")
    run = runs.get(ws, record.run_id)
    approval = approval_records.latest_for_run(ws, record.run_id)
    version = approval.label if approval is not None else ""
    spec = None
    if run.task in ("classify", "extract"):
        evaluation = run.evaluation or {}
        spec = TaskSpec(model_id=describe(path).model_id, run_id=run.run_id, task=run.task,
                        task_config=TaskConfig.from_mapping(run.config.get("task") or {}),
                        calibrate=bool(evaluation.get("calibrated", False)), version=version)
    return ServedExport(path, describe(path).model_id, record.export_id, record.run_id, record.format, version, spec)


class WorkspaceGate:
    """`ServeGate` over the workspace registry: model id -> its run, refused once no longer approved."""

    def __init__(self, ws: Workspace, lock: threading.Lock, run_of: Mapping[str, str]) -> None:
        self._ws, self._lock = ws, lock
        self._run_of = dict(run_of)
        self._version: int | None = None
        self._refusals: dict[str, str | None] = {}

    def refusal(self, model_id: str) -> str | None:
        run_id = self._run_of.get(model_id)
        if run_id is None:
            return None  # not a workspace export (served by code that configured it itself)
        with self._lock:
            conn = self._ws.read()
            version = db.data_version(conn)
            if version != self._version:
                self._refusals = {m: refusal(conn, r) for m, r in self._run_of.items()}
                self._version = version
            return self._refusals.get(model_id)


class WorkspaceChainSink:
    """Writes request records into the workspace's audit chain, a batch per transaction, without waiting
    for a write lock held elsewhere: it gives up after ``wait_s`` (the records stay in the spool and are
    retried), so the lock it shares with the key store and the gate is never held for long."""

    def __init__(self, ws: Workspace, lock: threading.Lock, wait_s: float = 0.05) -> None:
        self._ws, self._lock, self._wait_ms = ws, lock, max(1, int(wait_s * 1000))

    def record_batch(self, events: Sequence[RequestRecord]) -> None:
        entries = [("serve.request", [e.key_name or "-", e.model or "-"], asdict(e)) for e in events]
        with self._lock:
            with db.busy_timeout(self._ws.read(), self._wait_ms):
                self._ws.audit_batch(entries)

    def record(self, event: RequestRecord) -> None:
        self.record_batch([event])


SPOOL_DIR = "serve-spool"
SPOOL_SECRET_NAME = "serve-audit-spool"  # noqa: S105  (the name of a workspace secret, not the secret)


def workspace_spool(ws: Workspace, lock: threading.Lock, max_records: int) -> DurableSpool:
    """The fail-closed request audit of a server on ``ws``: an encrypted spool in the workspace directory
    (key: a workspace secret kept in the encrypted database), drained into the audit chain. Spools left
    by a server that crashed are recovered first."""
    spool = DurableSpool(ws.root / SPOOL_DIR, ws.secret(SPOOL_SECRET_NAME), WorkspaceChainSink(ws, lock), max_records)
    spool.recover()
    return spool
