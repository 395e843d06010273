"""Exporting approved runs from the workspace (the workspace side of serving is `appliance.serve.workspace_keys`).

An export is the one deliberate way model weights leave the encrypted store: only an approved run
exports; the base model and the run's artifact are unpacked into a private scratch directory, the
exporter writes the files and checks parity on the run's own held-out prompts, and the export is
recorded (with its ``export.json``: hashes, approver, parity) and audited. A failed parity leaves
nothing delivered.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance import base_models, registry
from appliance.catalog import exports as exports_catalog
from appliance.catalog import runs, snapshots
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
