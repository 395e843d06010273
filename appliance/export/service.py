"""Exporting approved runs from the workspace, and the workspace side of serving (keys, request audit).

An export is the one deliberate way model weights leave the encrypted store: only an approved run
exports; the base model and the run's artifact are unpacked into a private scratch directory, the
exporter writes the files and checks parity on the run's own held-out prompts, and the export is
recorded (with its ``export.json``: hashes, approver, parity) and audited. A failed parity leaves
nothing delivered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance import base_models, registry
from appliance.catalog import api_keys, runs, snapshots
from appliance.catalog import exports as exports_catalog
from appliance.data.snapshots import load_split
from appliance.data.tasks import TaskConfig, build_prompt
from appliance.errors import ApplianceError, InvalidInput
from appliance.jobs import JobContext, register_job
from appliance.runtime.bases import open_base
from appliance.workspace import Workspace

PARITY_PROMPTS = 20


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parity_prompts(ws: Workspace, snapshot: str, task: str, config: dict[str, Any], tokenizer: Any,
                   limit: int = PARITY_PROMPTS) -> list[str]:
    """The run's own held-out test prompts, rendered with the chat template exactly as in evaluation."""
    task_values = dict(config.get("task") or {})
    if "label_set" in task_values:
        task_values["label_set"] = tuple(task_values["label_set"])
    task_config = TaskConfig(**task_values) if task_values else TaskConfig()
    prompts = []
    for record in load_split(ws, snapshot, "test")[:limit]:
        ids = build_prompt(task, record, tokenizer, task_config, reserve=32)
        prompts.append(tokenizer.decode(ids, skip_special_tokens=False))
    return prompts


def export_run(ws: Workspace, run_id: str, fmt: str, out_dir: Path, progress: Any = None) -> dict[str, Any]:
    """Export an approved run in ``fmt`` to ``out_dir`` (must not exist). Returns the export.json content."""
    from appliance.export import FORMATS, ExportRequest, export
    from appliance.tune.methods import method_of_run

    registry.require(ws, "export")
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    run = runs.get(ws, run_id)
    method, base, snapshot, artifact, config, task, state = (
        run.method, run.base_model, run.snapshot_id, run.artifact_blob, run.config, run.task, run.state)
    approval = registry.is_approved(ws, run_id)
    if approval is None or state not in ("approved", "exported"):
        raise ApplianceError(f"run '{run_id}' is not approved (state {state}); a reviewer must approve it first")
    artifact_kind = method_of_run(method).artifact
    if artifact_kind is None and (run.result or {}).get("artifact_blob"):
        raise InvalidInput(f"run '{run_id}' ({method_of_run(method).label}) has no generative weights to export as "
                           f"{fmt}: a classifier scores classes and writes no text; it runs in the comparison only")
    if artifact is None or artifact_kind is None:
        raise InvalidInput(f"run '{run_id}' ({method_of_run(method).label}) has no model weights to export as {fmt}: "
                           "nothing was trained into the model; it runs only inside the appliance's comparison")
    if fmt == "adapter" and artifact_kind == "full":
        raise InvalidInput("a full fine-tuning run has no adapter; export it as merged, onnx or onnx-int8")
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise InvalidInput(f"{out_dir} already exists; choose a new directory")
    base_sha = base_models.registered(ws)[base].sha256
    snapshot_hash = snapshots.get(ws, snapshot).content_hash
    with ws.scratch() as scratch:
        base_dir, tokenizer = open_base(ws, base, scratch)
        artifact_dir = ws.get_dir(artifact, scratch / "artifact")
        prompts = parity_prompts(ws, snapshot, task, config, tokenizer)
        if not prompts:
            raise ApplianceError(f"snapshot '{snapshot}' has no test records to check parity on")
        request = ExportRequest(
            fmt=fmt, base_dir=base_dir, out_dir=out_dir, base_model_id=base, base_model_sha256=base_sha,
            adapter_dir=artifact_dir if artifact_kind == "adapter" else None,
            model_dir=artifact_dir if artifact_kind == "full" else None,
            metadata={"run_id": run_id, "method": method, "task": task, "snapshot": snapshot,
                      "dataset_hash": snapshot_hash, "approved_as": f"{approval['name']}@v{approval['version']}",
                      "approver": approval["approved_by"], "approved_at": approval["approved_at"],
                      "exported_by": ws.user.name},
        )
        try:
            manifest = export(request, prompts, progress=progress)
        except ApplianceError as exc:
            with ws.transaction("export.failed", [run_id], {"format": fmt, "reason": str(exc)[:300]}):
                pass
            raise
    parity = manifest.get("parity", {})
    details = {"format": fmt, "path": str(out_dir), "parity_passed": parity.get("passed"),
               "exact_32": parity.get("exact_32"), "top1_agreement": parity.get("top1_agreement"),
               "files": {name: info.get("sha256") for name, info in (manifest.get("files") or {}).items()}}
    object_ids = [run_id]  # the export id is made inside the transaction; the audit entry reads it after
    with ws.transaction("export.done", object_ids, details) as tx:
        record = exports_catalog.create(tx, run_id, fmt, str(out_dir), manifest, _now(), ws.user.name)
        runs.move(tx, run_id, "exported")
        object_ids.append(record.export_id)
    return manifest


@register_job("export")
def export_job(ctx: JobContext) -> dict[str, Any]:
    def progress(step: int, total: int, stage: str = "") -> None:
        ctx.progress(step, total, stage=stage)
        ctx.check_stop()

    manifest = export_run(ctx.ws, ctx.params["run"], ctx.params["format"], Path(ctx.params["out"]), progress)
    return {"format": manifest.get("format"), "out": ctx.params["out"], "parity": manifest.get("parity"),
            "files": len(manifest.get("files") or {})}


def exports(ws: Workspace) -> list[dict[str, Any]]:
    """Every export (JSON-ready), oldest first."""
    return [dataclasses.asdict(e) for e in exports_catalog.list_exports(ws)]


# -- API keys ----------------------------------------------------------------------------------


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _key_scope(value: Any) -> tuple[frozenset[str] | None, bool]:
    """(models or None for all, admin) from the decoded ``models`` column: a list, or an object
    ``{"models": [...] | null, "admin": true}`` for an admin-scoped key (may read the server's /metrics)."""
    if isinstance(value, dict):
        models = value.get("models")
        return (frozenset(models) if models else None), bool(value.get("admin"))
    return (frozenset(value) if value else None), False


def create_key(ws: Workspace, name: str, models: Sequence[str] | None = None, admin: bool = False) -> str:
    """Make an API key; returns it once. Only its SHA-256 is stored. ``admin``: the key may also read the
    server's /metrics (every model's traffic)."""
    ws.require("admin")
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput(f"'{name}' is not a valid key name (letters, digits, '-', '_')")
    if api_keys.is_active(ws, name):
        raise InvalidInput(f"a key named '{name}' already exists; revoke it first")
    key = "ak-" + secrets.token_urlsafe(32)
    # The hash goes into the signed entry so that 'audit verify' can tell a swapped key_hash row.
    # The signed entry holds the scope exactly as stored, so 'audit verify' also tells a widened scope.
    scope: Any = list(models) if models else None
    if admin:
        scope = {"models": scope, "admin": True}
    details = {"models": scope, "key_hash": _hash_key(key)}
    with ws.transaction("keys.create", [name], details) as tx:
        api_keys.create(tx, name, _hash_key(key), scope, _now(), ws.user.name)
    return key


def revoke_key(ws: Workspace, name: str) -> None:
    ws.require("admin")
    if not api_keys.is_active(ws, name):
        raise InvalidInput(f"no active key named '{name}'")
    with ws.transaction("keys.revoke", [name], {}) as tx:
        api_keys.revoke(tx, name)


def list_keys(ws: Workspace) -> list[dict[str, Any]]:
    out = []
    for k in api_keys.list_keys(ws):
        models, admin = _key_scope(k.scope)
        out.append({"name": k.name, "models": sorted(models) if models else None, "admin": admin,
                    "created": k.created, "created_by": k.created_by, "revoked": k.revoked})
    return out


class WorkspaceKeys:
    """KeyStore over the workspace's ``api_keys`` table, where a revoke takes effect on the next request.

    ``appliance keys revoke`` runs in another process, on its own connection. Before every check this
    store asks SQLite for ``PRAGMA data_version``, a counter that changes when any *other* connection
    commits (a look at the WAL index, no table read), and re-reads the table only when it changed. A
    revoke committed before a request arrives is therefore seen by that request; the server's own
    commits (the request audit, on this same connection) do not cause re-reads.

    Shares the workspace connection with the audit sink: every use of it is under ``lock``. A check
    can wait for an audit batch that is committing (one transaction, a few milliseconds at most).
    """

    def __init__(self, ws: Workspace, lock: threading.Lock) -> None:
        self._ws, self._lock = ws, lock
        self._keys: tuple[tuple[str, str, frozenset[str] | None, bool], ...] = ()
        self._version: int | None = None
        self._current()

    def _current(self) -> tuple[tuple[str, str, frozenset[str] | None, bool], ...]:
        with self._lock:
            conn = self._ws.read()
            version = api_keys.data_version(conn)
            if version != self._version:
                self._keys = tuple((k.name, k.key_hash, *_key_scope(k.scope))
                                   for k in api_keys.list_keys(conn) if not k.revoked)
                self._version = version
            return self._keys

    def check(self, presented_key: str) -> Any:
        from appliance.serve import KeyInfo

        digest = _hash_key(presented_key)
        found = None
        for name, key_hash, models, admin in self._current():
            # Every stored hash is compared (no early exit), so timing does not tell which one matched.
            if hmac.compare_digest(digest, key_hash) and found is None:
                found = KeyInfo(name=name, models=models, admin=admin)
        return found


class WorkspaceAuditSink:
    """RequestSink writing one audit entry per request (hashes and counts, never text), a batch per
    transaction. Called from the server's background audit thread."""

    def __init__(self, ws: Workspace, lock: threading.Lock) -> None:
        self._ws, self._lock = ws, lock

    def record(self, event: Any) -> None:
        self.record_batch([event])

    def record_batch(self, events: Sequence[Any]) -> None:
        from dataclasses import asdict

        entries = []
        for event in events:
            details = asdict(event)
            entries.append(("serve.request", [details.get("key_name") or "-", str(details.get("model"))], details))
        with self._lock:
            self._ws.audit_batch(entries)
