"""Tuning on a workspace: runs in the registry, checkpoints and artifacts sealed as encrypted blobs.

One workflow, top to bottom (``tune_job``): snapshot the de-identified dataset (patient-level
splits), start a run record, unpack the base model into a private scratch directory, build the
task's examples, estimate memory and time (refusing with advice when it will not fit), train,
sealing every checkpoint into the store as it is written, and finally seal the artifact (adapter or
full weights) and record the run's figures. The scratch directory is removed however the job ends,
so no plaintext weights trained on patient data outlive the job.

Resume (``--resume RUN``) unpacks the newest sealed checkpoint and continues with the same data
order; the trainer guarantees the same result as an uninterrupted run.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance import __version__, base_models
from appliance.catalog import runs
from appliance.catalog.runs import RunId
from appliance.data.snapshots import SnapshotSpec, create_snapshot, load_split
from appliance.data.tasks import TaskConfig, build_example, get_task
from appliance.errors import ApplianceError, InvalidInput, UsageError
from appliance.jobs import JobContext, register_job
from appliance.runtime.bases import open_base
from appliance.tune.methods.registry import get_method, resolve, tune_choices
from appliance.workspace import Workspace


def __getattr__(name: str) -> Any:
    # TUNING_METHODS is read live from the method table, so a method registered later is included.
    if name == "TUNING_METHODS":
        return tune_choices()
    raise AttributeError(f"module 'appliance.tune.service' has no attribute {name!r}")


@dataclass
class TuneRequest:
    """What the user asked for; stored with the run."""

    dataset: str = field(metadata={"help": "Dataset whose newest de-identified version is tuned on."})
    task: str = field(default="classify", metadata={"help": "classify, summarize, extract, instruct or continue."})
    method: str = field(default="lora", metadata={"help": "A tuning method: lora, qlora, dora, full, lora-head, ..."})
    base: str = field(default="smollm2-135m-instruct", metadata={"help": "Base model id from the manifest."})
    overrides: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "Training settings over the method's preset (TuneConfig fields)."})
    task_config: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "Task settings (TaskConfig fields: label_field, label_set, max_length, ...)."})
    split_seed: int = field(default=13, metadata={"help": "Seed of the patient-level split."})
    stratify_field: str | None = field(default=None, metadata={
        "help": "Label column whose classes every split keeps in proportion (patients are never split)."})
    allow_unreviewed: bool = field(default=False, metadata={
        "help": "Tune on a de-identified version nobody reviewed (audited)."})
    budget_seconds: float | None = field(default=None, metadata={
        "help": "Wall-clock training budget: max_steps is cut to what fits, from a short calibration."})
    max_train_examples: int | None = field(default=None, metadata={"help": "Use at most this many examples."})
    canaries: int = field(default=0, metadata={
        "help": "Random fake-PHI canaries planted in the training data; evaluation measures their exposure."})
    canary_repeats: int = field(default=1, metadata={"help": "Copies of each canary planted."})
    canary_seed: int = field(default=0, metadata={"help": "Seed of the canary strings (kept with the run)."})

    def __post_init__(self) -> None:
        if self.method not in tune_choices():
            raise InvalidInput(f"unknown method '{self.method}'; choose one of {', '.join(tune_choices())}")
        method = get_method(self.method)
        if not method.applies_to(self.task):
            raise InvalidInput(f"{self.method} answers the {' and '.join(method.tasks or ())} task only, "
                               f"not {self.task}")
        if method.own_trainer and not self.task_config.get("label_field"):
            raise UsageError(f"{self.method} needs the column holding the label: give --label-field NAME")
        if self.budget_seconds is not None and self.budget_seconds <= 0:
            raise InvalidInput("the budget must be a positive number of seconds")
        if self.canaries < 0 or self.canary_repeats < 1:
            raise InvalidInput("canaries must be >= 0 and canary repeats >= 1")


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"appliance": __version__, "python": platform.python_version()}
    for name in ("torch", "transformers", "peft", "accelerate", "bitsandbytes"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "absent"
    return out


def task_config_for(task: str, overrides: dict[str, Any], records: list[dict[str, Any]]) -> TaskConfig:
    """Task settings; for ``classify`` the label set is every label of the snapshot when not given."""
    values = dict(overrides)
    if task == "classify" and not values.get("label_set"):
        label_field = values.get("label_field") or get_task(task).default_label_field or "label"
        labels = sorted({str(r[label_field]) for r in records if r.get(label_field) not in (None, "")})
        if len(labels) < 2:
            raise InvalidInput(f"classify needs at least two labels in column '{label_field}' of the dataset")
        values["label_set"] = tuple(labels)
    if "label_set" in values:
        values["label_set"] = tuple(values["label_set"])
    return TaskConfig(**values)


def start_run(ws: Workspace, request: TuneRequest) -> RunId:
    """Snapshot the data and create the run record (status ``running``) with its audit entry."""
    ws.require("admin", "informaticist")
    if base_models.registered(ws).get(request.base) is None:
        raise InvalidInput(f"base model '{request.base}' is not in this workspace; add it with 'appliance models add'")
    snapshot = create_snapshot(ws, SnapshotSpec(request.dataset, seed=request.split_seed,
                                                allow_unreviewed=request.allow_unreviewed,
                                                stratify_field=request.stratify_field))
    details = {"method": request.method, "task": request.task, "base": request.base,
               "snapshot": snapshot.snapshot_id, "snapshot_hash": snapshot.content_hash,
               "unreviewed_override": snapshot.unreviewed_override, "canaries": request.canaries,
               "canary_repeats": request.canary_repeats}
    object_ids: list[str] = []  # the run id is allocated inside the transaction; the audit entry reads it after
    with ws.transaction("tune.start", object_ids, details) as tx:
        run = runs.create(tx, method=request.method, task=request.task, base_model=request.base,
                          snapshot_id=snapshot.snapshot_id, config={"request": asdict(request)},
                          created_by=ws.user.name)
        object_ids += [run.run_id, snapshot.snapshot_id]
    return run.run_id


def _seal_checkpoint(ws: Workspace, run_id: str, step: int, path: Path, keep: int) -> None:
    """Seal one checkpoint directory, index it, and drop sealed checkpoints beyond the newest ``keep``."""

    def index(conn: Any, blob_id: str) -> None:
        runs.add_checkpoint(conn, run_id, step, blob_id)

    ws.put_dir(path, "checkpoint", "tune.checkpoint", [run_id], {"run": run_id, "step": step}, also=index)
    newest_first = runs.checkpoints(ws, run_id)[::-1]
    for old in newest_first[max(1, keep):]:

        def unindex(conn: Any, step_to_drop: int = old.step) -> None:
            runs.drop_checkpoint(conn, run_id, step_to_drop)

        ws.delete_blob(old.blob_id, "tune.checkpoint.pruned", [run_id], {"step": old.step}, also=unindex)


def run_tune(ws: Workspace, run_id: str, *, resume: bool = False,
             event: Callable[..., None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Train run ``run_id`` (created by ``start_run``) to the end; see the module docstring."""
    from appliance.tune.config import TuneConfig, presets
    from appliance.tune.estimate import calibrate, check_fits, estimate
    from appliance.tune.prepared import prepare
    from appliance.tune.trainer import train

    ws.require("admin", "informaticist")
    emit = event or (lambda name, **fields: None)
    run = runs.get(ws, run_id)
    if run.status == "done":
        raise ApplianceError(f"run '{run_id}' is already complete")
    request = TuneRequest(**run.config["request"])
    method = get_method(request.method)
    if method.trainer is not None and not method.tuned:  # trained by its own code, not the generative engine
        if resume:
            raise ApplianceError(f"run '{run_id}' ({method.label}) keeps no checkpoints; start a new run")
        trained: dict[str, Any] = resolve(method.trainer)(ws, run_id, event=emit, should_stop=should_stop)
        return trained
    started = time.monotonic()
    with ws.scratch() as scratch:
        emit("stage", stage="base model")
        base_dir, tokenizer = open_base(ws, request.base, scratch, progress=lambda m: emit("stage", stage=m))
        train_records = load_split(ws, run.snapshot_id, "train")
        val_records = load_split(ws, run.snapshot_id, "validation")
        if request.max_train_examples:
            train_records = train_records[:request.max_train_examples]
        n_params = _param_count(base_dir)
        values = {**presets(request.method, n_params), **request.overrides, "method": request.method}
        config = TuneConfig.from_dict(values)
        task_settings = {"max_length": config.max_seq_len, **request.task_config}
        everything = train_records + val_records + load_split(ws, run.snapshot_id, "test")
        task_config = task_config_for(request.task, task_settings, everything)
        if request.canaries:
            train_records = train_records + planted_canaries(request, train_records, task_config)
        emit("stage", stage="examples")
        train_examples = [build_example(request.task, r, tokenizer, task_config) for r in train_records]
        eval_examples = [build_example(request.task, r, tokenizer, task_config) for r in val_records[:64]]
        emit("stage", stage="preparing model")
        model, _, info = prepare(request.method, base_dir, config, scratch / "prep")
        out_dir = scratch / "run"
        out_dir.mkdir(mode=0o700)
        resumed_from = None
        if resume:
            latest = runs.latest_checkpoint(ws, run_id)
            if latest is None:
                raise ApplianceError(f"run '{run_id}' has no checkpoint to resume from; start a new run")
            ws.get_dir(latest.blob_id, out_dir / f"checkpoint-{latest.step}")
            resumed_from = latest.step
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        emit("stage", stage="estimating")
        calibration = calibrate(model, train_examples, config, pad_id=pad_id)
        from appliance.tune.plan import build_rows

        rows = len(build_rows(train_examples, config))
        forecast = estimate(info, config, calibration=calibration, rows_per_epoch=rows)
        check_fits(forecast, model_info=info, config=config)
        budget_steps = None
        if request.budget_seconds and forecast.seconds_per_step:
            budget_steps = max(1, int(request.budget_seconds / forecast.seconds_per_step))
            planned = config.max_steps or (forecast.steps_per_epoch or 1) * config.epochs
            if budget_steps < planned:
                config = TuneConfig.from_dict({**config.to_dict(), "max_steps": budget_steps})
        emit("estimate", **forecast.to_dict(), budget_seconds=request.budget_seconds, budget_steps=budget_steps)
        with ws.transaction("tune.config", [run_id], {"config": config.to_dict(), "task": asdict(task_config),
                                                       "estimate": forecast.to_dict()}) as tx:
            runs.set_config(tx, run_id, {"request": asdict(request), "tune": config.to_dict(),
                                         "task": asdict(task_config)})

        def on_event(ev: dict[str, Any]) -> None:
            kind = ev.get("event")
            if kind == "checkpoint":
                _seal_checkpoint(ws, run_id, int(ev["step"]), Path(ev["path"]), config.keep_checkpoints)
                emit("checkpoint", step=ev["step"])
            elif kind == "progress":
                emit("progress", **{k: v for k, v in ev.items() if k != "event"})

        result = train(model, train_examples, config, out_dir=out_dir, resume=resume, on_event=on_event,
                       should_stop=should_stop, eval_examples=eval_examples or None, pad_id=pad_id)
        summary = {**result.to_dict(), "checkpoint": None, "artifact_dir": None, "model_info": info.to_dict(),
                   "estimate": forecast.to_dict(), "budget_seconds": request.budget_seconds,
                   "library_versions": library_versions(), "seed": config.seed, "resumed_from": resumed_from,
                   "job_seconds": round(time.monotonic() - started, 1), "labels": list(task_config.label_set or ())}
        if result.cancelled:
            with ws.transaction("tune.cancelled", [run_id], {"steps": result.steps}) as tx:
                runs.cancel(tx, run_id, summary)
            return {"run_id": run_id, "status": "cancelled", **summary}
        if result.artifact_dir is None:
            raise ApplianceError(f"run '{run_id}' finished without an artifact")
        kind = "adapter" if get_method(request.method).artifact == "adapter" else "model"
        artifact = ws.put_dir(result.artifact_dir, kind, "tune.artifact", [run_id], {"run": run_id})
        details = {"steps": result.steps, "final_loss": result.final_loss, "eval_loss": result.eval_loss,
                   "artifact_sha256": artifact.sha256, "artifact_bytes": result.artifact_bytes}
        with ws.transaction("tune.complete", [run_id, artifact.blob_id], details) as tx:
            runs.complete(tx, run_id, summary, artifact.blob_id)
    return {"run_id": run_id, "status": "done", **summary}


def planted_canaries(request: TuneRequest, records: list[dict[str, Any]], task_config: TaskConfig
                     ) -> list[dict[str, Any]]:
    """The canary records planted in a run's training data (regenerated from the request's seed)."""
    from appliance.data.canaries import make_canaries, plant_canaries

    canaries = make_canaries(request.canaries, request.canary_seed)
    return plant_canaries(records, canaries, repeats=request.canary_repeats, seed=request.canary_seed,
                          text_field=task_config.text_field)


def _param_count(base_dir: Path) -> int:
    from safetensors import safe_open

    total = 0
    for shard in base_dir.glob("*.safetensors"):
        with safe_open(str(shard), framework="pt") as fh:
            for name in fh.keys():  # noqa: SIM118  (safe_open is not iterable)
                count = 1
                for dim in fh.get_slice(name).get_shape():
                    count *= int(dim)
                total += count
    return total


@register_job("tune")
def tune_job(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    if params.get("resume"):
        run_id = str(params["resume"])
        if runs.get(ctx.ws, run_id).status == "done":
            raise ApplianceError(f"run '{run_id}' is already complete")
        with ctx.ws.transaction("tune.resume", [run_id], {}) as tx:
            runs.resume(tx, run_id)
        resume = True
    else:
        run_id = start_run(ctx.ws, TuneRequest(**params["request"]))
        resume = False
    ctx.event("run", run_id=run_id)

    def emit(name: str, **fields: Any) -> None:
        if name == "progress":
            ctx.progress(int(fields.pop("step")), int(fields.pop("total")), **fields)
        else:
            ctx.event(name, **fields)

    try:
        return run_tune(ctx.ws, run_id, resume=resume, event=emit, should_stop=ctx.should_stop)
    except BaseException as exc:
        message = str(exc) if isinstance(exc, ApplianceError) else type(exc).__name__
        with ctx.ws.transaction("tune.failed", [run_id], {"reason": message[:200]}) as tx:
            runs.fail(tx, run_id)
        raise


def list_runs(ws: Workspace) -> list[dict[str, Any]]:
    """Every run as the ``appliance runs`` table shows it (JSON-ready), oldest first."""
    out = []
    for run in runs.list_runs(ws):
        result = run.result or {}
        out.append({"run_id": run.run_id, "method": run.method, "task": run.task, "status": run.status,
                    "state": run.state, "snapshot": run.snapshot_id, "created_by": run.created_by,
                    "steps": result.get("steps"), "final_loss": result.get("final_loss"),
                    "eval_loss": result.get("eval_loss")})
    return out


def show_run(ws: Workspace, run_id: str) -> dict[str, Any]:
    """One run as ``appliance runs show`` prints it (JSON-ready), with its sealed checkpoints."""
    run = runs.get(ws, run_id)
    return {"method": run.method, "task": run.task, "base": run.base_model, "snapshot": run.snapshot_id,
            "config": run.config, "status": run.status, "created_by": run.created_by, "result": run.result,
            "artifact_blob": run.artifact_blob, "state": run.state, "created": run.created, "ended": run.ended,
            "run_id": run.run_id,
            "checkpoints": [{"step": c.step, "blob": c.blob_id} for c in runs.checkpoints(ws, run_id)]}
