"""What the Tune page reads and says: its choices in one Op, the forecast and progress in words, and
the command line that would start the same run (``appliance tune …``, as LlamaBoard previews it)."""

from __future__ import annotations

import shlex
from typing import Any

from appliance import base_models
from appliance.compare.lora_head import check_tune_overrides, tune_defaults
from appliance.data.browse import label_fields
from appliance.data.tasks import Task
from appliance.errors import ApplianceError
from appliance.fieldhelp import help_of
from appliance.ingest.service import datasets
from appliance.tune.config import TuneConfig, presets, size_class
from appliance.tune.methods import METHODS, specific_settings
from appliance.tune.service import list_runs
from appliance.workspace import Workspace
from gui import jobs
from gui.queries import deid_versions

GB = 1024**3
FORECAST_LINES = 6  # the forecast box's fixed height, in lines of text
#: TuneConfig fields ``appliance tune`` takes as options; the others go in the [tune] table of --config.
CLI_FLAGS = {"max_steps": "--max-steps", "epochs": "--epochs", "learning_rate": "--lr", "seed": "--seed",
             "batch_size": "--batch-size", "max_seq_len": "--max-seq-len", "checkpoint_every": "--checkpoint-every"}


def tune_choices(ws: Workspace) -> dict[str, Any]:
    """Everything the form offers, read in one Op: datasets with their newest version and the fields a
    label can come from (with value counts), base models, runs."""
    sets = []
    for info in datasets(ws):
        complete = [v for v in deid_versions(ws, info.name) if v.status == "complete"]
        fields = label_fields(ws, info.name) if complete else []
        sets.append({"name": info.name, "version": complete[0] if complete else None, "fields": fields})
    models = []
    for model_id in base_models.registered(ws):
        try:
            entry = base_models.manifest_entry(model_id)
            models.append({"id": model_id, "name": entry.display_name, "parameters": entry.parameters})
        except ApplianceError:  # registered earlier, since dropped from the manifest
            models.append({"id": model_id, "name": model_id, "parameters": None})
    return {"datasets": sets, "models": models, **run_state(ws)}


def run_state(ws: Workspace) -> dict[str, Any]:
    """The runs, and which of them a live tune job is working on right now."""
    running = [row for row in jobs.running_jobs(ws) if row.kind == "tune"]
    return {"runs": list_runs(ws), "tune_jobs": running}


def planned_steps(config: TuneConfig, steps_per_epoch: int | None) -> int | None:
    if config.max_steps:
        return config.max_steps
    return steps_per_epoch * config.epochs if steps_per_epoch else None


def forecast_text(event: dict[str, Any], config: TuneConfig | None) -> str:
    """The job's ``estimate`` event in words (sizes in GB, times in s or min)."""
    total = event.get("total_bytes") or 0
    weights = event.get("weights_bytes") or 0
    activations = event.get("activations_bytes") or 0
    optimizer = (event.get("optimizer_bytes") or 0) + (event.get("gradients_bytes") or 0)
    parts = [f"Peak memory about {total / GB:.2f} GB (weights {weights / GB:.2f}, activations "
             f"{activations / GB:.2f}, optimizer and gradients {optimizer / GB:.2f}) on {event.get('device', 'cpu')}."]
    per_step = event.get("seconds_per_step")
    if per_step:
        steps = event.get("budget_steps") or (planned_steps(config, event.get("steps_per_epoch")) if config else None)
        line = f"{per_step:.2f} s per step"
        if steps:
            line += f"; {steps} steps ≈ {duration_text(per_step * steps)}"
        if event.get("budget_steps"):
            line += f" (cut to fit the {duration_text(float(event.get('budget_seconds') or 0))} budget)"
        parts.append(line + ".")
    return " ".join(parts)


def duration_text(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"




def stored_losses(ws: Workspace, run_id: str) -> list[float]:
    from appliance.tune.service import show_run

    result = show_run(ws, run_id).get("result") or {}
    losses = result.get("losses") or []
    return [float(x) for x in losses if isinstance(x, int | float)]


def describe_progress(event: dict[str, Any]) -> str:
    parts = []
    if isinstance(event.get("loss"), int | float):
        parts.append(f"loss {event['loss']:.3f}")
    if isinstance(event.get("tokens_per_s"), int | float):
        parts.append(speed_text(event["tokens_per_s"]))
    if isinstance(event.get("eta_s"), int | float):
        parts.append(f"about {duration_text(float(event['eta_s']))} left")
    return " · ".join(parts)


def count_text(n: int) -> str:
    return f"{n / 1e9:.1f} B" if n >= 1e9 else f"{n / 1e6:.0f} M" if n >= 1e6 else f"{n:,}"


def loss_text(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "—"


def speed_text(value: Any) -> str:
    # A no-break space and a word joiner after the slash: a wrapped progress line never splits the unit
    # ("31 tokens/" then "s").
    return f"{value:.0f}\u00a0tokens/\u2060s" if isinstance(value, int | float) else "speed unknown"


def help_text(cls: type, name: str) -> str:
    return help_of(cls).get(name, "")


def label_field_items(fields: list[Any], task: Task, method: str) -> list[tuple[str, str, str]]:
    """The Label field's entries as (text, field name, tooltip): first the task's default field, or why
    there is none (a method with a trainer of its own must be told the field), then each categorical field
    of the dataset with its values counted."""
    default = None if METHODS[method].own_trainer else task.default_label_field
    first = (f"the task's default ({default})" if default else
             "not used by this task" if not task.supervised else "choose a field")
    return [(first, "", ""), *field_items(fields)]


def field_items(fields: list[Any]) -> list[tuple[str, str, str]]:
    """Each categorical field of a dataset as (text, field name, tooltip), its values counted."""
    items = []
    for f in fields:
        values = ", ".join(f"{value} {n}" for value, n in f.values[:4])
        more = ", …" if f.distinct > 4 else ""
        items.append((f"{f.name} — {f.distinct} values: {values}{more}", f.name,
                      ", ".join(f"{value} {n}" for value, n in f.values)))
    return items


NO_STRATIFY = "none: a plain patient-level split"


def stratify_items(fields: list[Any]) -> list[tuple[str, str, str]]:
    """The "Stratify splits by" entries: none first (the plain patient-level split), then each categorical
    field, whose classes every split then keeps in proportion."""
    return [(NO_STRATIFY, "", ""), *field_items(fields)]


def method_preset(method: str, parameters: int) -> tuple[dict[str, Any], dict[str, bool], str]:
    """The Advanced form's starting values for ``method`` on a base of ``parameters`` (0: not in the
    manifest), whether each field applies to it, and the sentence shown under the method.

    An engine method starts from its preset for the model's size. A method with a trainer of its own
    (``lora-head``) starts from that trainer's defaults, and only the settings it reads apply."""
    values = TuneConfig().to_dict()
    if METHODS[method].own_trainer:
        own = tune_defaults()
        values.update(own)
        return ({**values, "method": method}, {name: name in own for name in values},
                f"{METHODS[method].title} trains with its own settings (no checkpoints, so a stopped run starts "
                "again rather than resumes); change them under Advanced settings.")
    values.update(presets(method, max(parameters, 1)))
    owners = specific_settings()
    applies = {name: name not in owners or method in owners[name] for name in values}
    if parameters > 0:
        text = (f"Preset for a {size_class(parameters)} model ({count_text(parameters)} parameters per the models "
                "manifest); change it under Advanced settings.")
    else:
        text = "Preset for a small model (this model's size is not in the manifest)."
    return {**values, "method": method}, applies, text


def checked_settings(method: str, preset: dict[str, Any], overrides: dict[str, Any]) -> TuneConfig | None:
    """Validate the settings as the job will (raises ApplianceError naming the bad one): the engine's
    ``TuneConfig``, or None for a method with a trainer of its own (checked by that trainer's rules)."""
    if METHODS[method].own_trainer:
        check_tune_overrides(overrides)
        return None
    return TuneConfig.from_dict({**preset, **overrides, "method": method})


def own_trainer_forecast(method: str) -> str:
    """The forecast box for a method trained outside the engine, which measures no forecast."""
    chosen = METHODS[method]
    return (f"{chosen.title} ({chosen.description}) trains outside the tuning engine, so no memory or time "
            "forecast is measured for it. A budget stops its training when spent. Evaluate the run on the "
            "Models page when it ends.")


def static_forecast(config: TuneConfig) -> str:
    """What the forecast box says before a job has measured anything."""
    steps = f"{config.max_steps} steps" if config.max_steps else f"{config.epochs} epoch(s)"
    tokens = config.batch_size * config.grad_accum * config.max_seq_len
    return (f"{steps}, up to {tokens:,} tokens per step ({config.batch_size} rows × {config.grad_accum} "
            f"accumulated × {config.max_seq_len} tokens). Memory and time need the model's layer sizes and a "
            "timed trial of a few steps on this machine: the job measures them right after loading the model, "
            "before training, and the forecast appears here then. A run that would not fit is refused with "
            "advice.")


def tune_command(request: dict[str, Any]) -> str:
    """The ``appliance tune`` command (and, for settings it has no option for, the --config file's
    [tune] table) that starts the same run as ``request`` (a TuneRequest as a dict)."""
    words = ["appliance", "tune", "--dataset", request["dataset"], "--task", request["task"],
             "--method", request["method"], "--base", request["base"]]
    label = (request.get("task_config") or {}).get("label_field")
    if label:
        words += ["--label-field", label]
    if request.get("stratify_field"):
        words += ["--stratify-field", request["stratify_field"]]
    if request.get("budget_seconds"):
        words += ["--budget-minutes", f"{request['budget_seconds'] / 60:g}"]
    if request.get("allow_unreviewed"):
        words.append("--allow-unreviewed")
    rest = {}
    for key, value in sorted((request.get("overrides") or {}).items()):
        if key in CLI_FLAGS:
            words += [CLI_FLAGS[key], f"{value:g}" if isinstance(value, float) else str(value)]
        else:
            rest[key] = value
    lines = []
    if rest:
        words += ["--config", "tune.toml"]
        lines = ["# tune.toml", "[tune]"] + [f"{k} = {_toml(v)}" for k, v in rest.items()]
    if request.get("canaries"):
        lines.append(f"# and {request['canaries']} privacy canaries, which only the desktop app and "
                     "'appliance compare --canaries' plant")
    return " ".join(shlex.quote(str(w)) for w in words) + ("\n" + "\n".join(lines) if lines else "")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)
