"""The model registry: run states, release gates, approval by a second person, versions, rollback.

States of a run: ``trained`` (tuning finished) -> ``evaluated`` (held-out metrics and privacy audit
stored) -> ``approved`` -> ``exported``; or ``rejected`` (the whole state machine, with the run's job
status, is documented and enforced in ``appliance.catalog.runs``). Approved runs are published under a name
(e.g. ``demo-notes-triage``) as numbered versions; exactly one version per name is current, and
``rollback`` makes the previous approved version current again. Approval needs a reviewer (or
admin) who did not train the run, and the configured gates must pass.

Who may do what to a run is one table (``ACTION_ROLES``, the README's roles table); ``require``
enforces it and ``actions(run, user)`` says, for each action, whether the user may do it now and, if
not, why, so the desktop app's buttons and the core's refusals say the same thing.

The baseline gate: a tuned run whose primary metric lies below the best evaluated baseline of the
same snapshot, task and label (in-context learning, TF-IDF) by more than a margin and more than its
own 95 % interval is refused, unless the approver overrides it explicitly; the override is audited.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from appliance.catalog import approvals as approval_records
from appliance.catalog import base_models, deid_versions, evaluations, runs, settings, snapshots
from appliance.catalog.evaluations import Evaluation
from appliance.catalog.runs import Run
from appliance.errors import ApplianceError, InvalidInput, PermissionDenied
from appliance.workspace import Role, User, Workspace

GATES_SETTING = "registry.gates"
TUNED_METHODS = ("lora", "qlora", "dora", "full")  # runs with trained weights; every other method is a baseline

#: Who may do each action (the README's roles table); ``require`` enforces it, ``actions`` explains it.
ACTION_ROLES: dict[str, tuple[Role, ...]] = {
    "evaluate": ("admin", "informaticist", "reviewer"),
    "approve": ("reviewer", "admin"),
    "reject": ("reviewer", "admin"),
    "rollback": ("reviewer", "admin"),
    "export": ("admin", "informaticist"),
    "serve": ("admin", "informaticist"),
}
ROLE_REFUSALS = {
    "evaluate": "Only workspace users evaluate runs",
    "approve": "Only reviewers and admins approve models",
    "reject": "Only reviewers and admins reject runs",
    "rollback": "Only reviewers and admins roll back a model",
    "export": "Only informaticists and admins export models",
    "serve": "Only informaticists and admins start the model server",
}


@dataclass
class Gates:
    """Release gates checked at approval (stored in the workspace settings; admins change them)."""

    min_metric: float | None = field(default=None, metadata={
        "help": "Lowest acceptable primary metric on the test split (macro-F1, ROUGE-L, ...); empty = no gate."})
    max_exposure: float | None = field(default=10.0, metadata={
        "help": "Highest acceptable canary exposure in bits (Carlini et al.); empty = no gate."})
    max_forgetting: float | None = field(default=0.5, metadata={
        "help": "Highest acceptable relative rise of general-text perplexity (0.5 = +50%); empty = no gate."})
    baseline_margin: float | None = field(default=0.02, metadata={
        "help": "How far a tuned run may score below the best evaluated baseline of its snapshot and task "
                "(beyond its own 95% interval) before approval needs an explicit override; empty = no gate."})

    def check(self, evaluation: Evaluation) -> list[str]:
        """Reasons the evaluation fails the gates (empty when it passes)."""
        failures = []
        metric = evaluation.primary_metric
        if self.min_metric is not None and (metric is None or metric < self.min_metric):
            failures.append(f"primary metric {metric} is below the gate {self.min_metric}")
        exposure = evaluation.exposure.get("max")
        if self.max_exposure is not None and exposure is not None and exposure > self.max_exposure:
            failures.append(f"canary exposure {exposure:.1f} bits exceeds the gate {self.max_exposure}")
        if evaluation.exposure.get("flagged"):
            failures.append("the privacy audit flagged this run")
        before, after = evaluation.forgetting.get("before"), evaluation.forgetting.get("after")
        if self.max_forgetting is not None and before and after and (after - before) / before > self.max_forgetting:
            failures.append(f"general-text perplexity rose {100 * (after - before) / before:.0f}%, "
                            f"above the gate {100 * self.max_forgetting:.0f}%")
        return failures


def role_refusal(role: str, action: str) -> str:
    """Why ``role`` may not do ``action`` ("" when it may)."""
    return "" if role in ACTION_ROLES[action] else ROLE_REFUSALS[action]


def require(ws: Workspace, action: str) -> None:
    """Refuse (PermissionDenied, exit 3) unless the signed-in user's role may do ``action``."""
    ws.require(*ACTION_ROLES[action])


def actions(run: Run, user: User, approved_as: str | None = None) -> dict[str, str]:
    """What ``user`` may do with ``run`` now: action -> "" when allowed, else the sentence saying why not.

    The same rules the core enforces (roles, the state machine, no self-approval), so a caller can
    disable a button with the reason instead of waiting for a refusal. ``approved_as`` ("name vN") names
    the version the run was published as, if any. Release gates are not checked here (they need the
    evaluation and the baselines: ``baseline_comparison`` and ``Gates.check``).
    """
    tuned = run.method in TUNED_METHODS
    unfinished = f"The run is {run.status}; only finished runs can be evaluated" if run.status != "done" else ""
    reasons = {
        "evaluate": ("Baselines are evaluated by the comparison that made them" if not tuned else unfinished),
        "approve": (f"You trained {run.run_id}; another reviewer must approve it" if run.created_by == user.name
                    else "The run is rejected" if run.state == "rejected"
                    else f"Already approved as {approved_as or 'a version'}"
                    if approved_as or run.state in ("approved", "exported")
                    else "Evaluate the run first" if run.state != "evaluated" else ""),
        "reject": "The run is already rejected" if run.state == "rejected" else "",
        "export": ("Baselines have no trained weights to export" if not tuned
                   else "Only approved runs are exported; a reviewer must approve it first"
                   if run.state not in ("approved", "exported") else ""),
    }
    return {action: role_refusal(user.role, action) or why for action, why in reasons.items()}


def wilson_interval(value: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``value`` measured on ``n`` records.

    Exact for accuracy; for macro-F1 or ROUGE-L, scores in [0, 1] averaged over the same records, it is
    the usual approximation (it ignores the extra spread of averaging over classes)."""
    if n <= 0:
        return 0.0, 1.0
    p = min(1.0, max(0.0, value))
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _label_field(run: Run) -> str | None:
    task = run.config.get("task") if isinstance(run.config.get("task"), dict) else {}
    request = run.config.get("request") or {}
    value = (task or {}).get("label_field") or (request.get("task_config") or {}).get("label_field")
    return str(value) if value else None


def baseline_comparison(ws: Workspace, run_id: str) -> dict[str, Any]:
    """The run's held-out score beside every evaluated baseline of the same snapshot, task and label.

    JSON-ready: ``run`` (score, records, 95 % interval), ``baselines`` (best first), ``best``, and
    ``failure``: the sentence the baseline gate refuses with ("" when it passes or does not apply).
    """
    run = runs.get(ws, run_id)
    evaluation = evaluations.of(run) or Evaluation.from_json(run_id, {})
    metric, n = evaluation.primary_metric, evaluation.records
    label = _label_field(run)
    baselines: list[dict[str, Any]] = []
    for other in runs.list_runs(ws, evaluated=True):
        e = evaluations.of(other)
        if (e is None or other.method in TUNED_METHODS or other.snapshot_id != run.snapshot_id
                or other.task != run.task or _label_field(other) != label
                or not isinstance(e.primary_metric, int | float)):
            continue
        score, records = float(e.primary_metric), e.records
        baselines.append({"run_id": other.run_id, "method": other.method, "k": (other.result or {}).get("k"),
                          "score": score, "records": records,
                          "interval": list(wilson_interval(score, records)) if records else None})
    baselines.sort(key=lambda b: -b["score"])
    out: dict[str, Any] = {"run_id": run_id, "metric_name": evaluation.metric_name, "baselines": baselines,
                           "best": baselines[0] if baselines else None, "failure": "",
                           "run": {"method": run.method, "score": metric, "records": n,
                                   "interval": list(wilson_interval(metric, n))
                                   if isinstance(metric, int | float) and n else None}}
    margin = gates(ws).baseline_margin
    best = out["best"]
    if margin is None or best is None or run.method not in TUNED_METHODS or not isinstance(metric, int | float):
        return out
    upper = out["run"]["interval"][1] if out["run"]["interval"] else metric
    if best["score"] > max(metric + margin, upper):
        name = best["method"] + (f" {best['k']}-shot" if best.get("k") is not None else "")
        out["failure"] = (f"{out['metric_name'] or 'the metric'} {metric:.3f} on {n} test records is below the best "
                          f"baseline ({name}, {best['score']:.3f}) by more than its 95% interval "
                          f"(up to {upper:.3f}) and the margin {margin}")
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def gates(ws: Workspace) -> Gates:
    value = ws.setting(GATES_SETTING)
    return Gates(**json.loads(value)) if value else Gates()


def set_gates(ws: Workspace, new: Gates) -> None:
    ws.require("admin")
    with ws.transaction("registry.gates", [GATES_SETTING], asdict(new)) as tx:
        settings.put(tx, GATES_SETTING, json.dumps(asdict(new)))


def record_evaluation(ws: Workspace, run_id: str, evaluation: dict[str, Any]) -> None:
    """Store held-out metrics and the privacy audit of a run; a trained run becomes ``evaluated``."""
    runs.get(ws, run_id)
    summary = Evaluation.from_json(run_id, evaluation).summary()
    with ws.transaction("run.evaluated", [run_id], summary) as tx:
        evaluations.record(tx, run_id, evaluation)


def approve(ws: Workspace, run_id: str, note: str, name: str | None = None,
            override_baseline: bool = False) -> dict[str, Any]:
    """Approve an evaluated run and publish it as the next version of ``name``; returns the version.

    ``override_baseline`` approves a run the baseline gate refuses (every other gate still applies);
    the audit entry then records the override and the gate's sentence."""
    require(ws, "approve")
    run = runs.get(ws, run_id)
    if run.created_by == ws.user.name:
        raise PermissionDenied(f"'{ws.user.name}' trained run '{run_id}'; another reviewer must approve it")
    evaluation = evaluations.of(run)
    if run.state != "evaluated" or not evaluation or not evaluation.stored:
        raise ApplianceError(f"run '{run_id}' is {run.state}; evaluate it first ('appliance evaluate {run_id}')")
    if not note.strip():
        raise InvalidInput("an approval needs a note (--note) saying what it was checked for")
    failures = gates(ws).check(evaluation)
    if failures:
        raise ApplianceError(f"run '{run_id}' does not pass the release gates: {'; '.join(failures)}")
    below = baseline_comparison(ws, run_id)["failure"]
    if below and not override_baseline:
        raise ApplianceError(f"run '{run_id}' does not pass the baseline gate: {below}; approve it anyway only "
                             "with an explicit override (--override-baseline), which the audit log records")
    name = name or default_name(ws, run)
    object_ids: list[str] = [run_id]  # the version is allocated inside the transaction; the audit entry reads it after
    details: dict[str, Any] = {"name": name, "evaluation": {k: evaluation.stored.get(k)
                                                            for k in ("primary_metric", "metric_name", "records")}}
    if below:
        details["baseline_override"] = below
    with ws.transaction("registry.approve", object_ids, details) as tx:
        approval = approval_records.publish(tx, name, run_id, ws.user.name, _now(), note,
                                            lambda version: model_card(ws, run, name, version, note))
        runs.move(tx, run_id, "approved")
        object_ids.append(approval.label)
        details["version"] = approval.version
    return {"name": name, "version": approval.version, "run_id": run_id, "model_card": approval.model_card}


def reject(ws: Workspace, run_id: str, note: str) -> None:
    require(ws, "reject")
    runs.get(ws, run_id)
    with ws.transaction("registry.reject", [run_id], {"note_length": len(note)}) as tx:
        runs.move(tx, run_id, "rejected")


def rollback(ws: Workspace, name: str) -> dict[str, Any]:
    """Make the approved version before the current one current again."""
    require(ws, "rollback")
    rows = approval_records.versions(ws, name)
    current = [a.version for a in rows if a.current]
    if not current:
        raise InvalidInput(f"no approved model named '{name}'")
    older = [a for a in rows if a.version < current[0]]
    if not older:
        raise ApplianceError(f"'{name}' v{current[0]} is the first approved version; there is nothing to roll back to")
    version, run_id = older[-1].version, older[-1].run_id
    with ws.transaction("registry.rollback", [name, run_id], {"from": current[0], "to": version}) as tx:
        approval_records.make_current(tx, name, version)
    return {"name": name, "version": version, "run_id": run_id}


def current(ws: Workspace, name: str) -> dict[str, Any] | None:
    found = approval_records.current(ws, name)
    return None if found is None else {"name": name, "version": found.version, "run_id": found.run_id,
                                       "approved_by": found.approved_by, "approved_at": found.approved_at}


def is_approved(ws: Workspace, run_id: str) -> dict[str, Any] | None:
    found = approval_records.latest_for_run(ws, run_id)
    return None if found is None else {"name": found.name, "version": found.version,
                                       "approved_by": found.approved_by, "approved_at": found.approved_at}


def approvals(ws: Workspace) -> list[dict[str, Any]]:
    """Every approved version (JSON-ready), by name then version."""
    return [{"name": a.name, "version": a.version, "run_id": a.run_id, "approved_by": a.approved_by,
             "approved_at": a.approved_at, "current": a.current} for a in approval_records.list_approvals(ws)]


def model_card_text(ws: Workspace, name: str, version: int | None = None) -> str:
    found = approval_records.find(ws, name, version) if version else approval_records.current(ws, name)
    if found is None:
        raise InvalidInput(f"no approved model '{name}'" + (f" v{version}" if version else ""))
    return found.model_card


def default_name(ws: Workspace, run: Run) -> str:
    snapshot = snapshots.find(ws, run.snapshot_id)
    label = (run.config.get("task") or {}).get("label_field") or run.task
    return f"{snapshot.dataset if snapshot else 'model'}-{label}"


def model_card(ws: Workspace, run: Run, name: str, version: int, note: str) -> str:
    """A Markdown model card: intended use, provenance, method, metrics, slices, privacy, limitations."""
    snapshot = snapshots.find(ws, run.snapshot_id)
    deid = deid_versions.find(ws, snapshot.deid_version) if snapshot else None
    base = base_models.list_models(ws).get(run.base_model)
    evaluation = run.evaluation or {}
    result = run.result or {}
    deid_config = json.loads(deid.config) if deid else {}
    lines = [
        f"# {name} v{version}",
        "",
        "## Intended use",
        f"Task `{run.task}` on de-identified clinical notes like those of dataset snapshot "
        f"`{run.snapshot_id}`. Decision support only; outputs must be checked by a clinician.",
        "",
        "## Provenance",
        f"- Run: `{run.run_id}` trained by `{run.created_by}`, approved by `{ws.user.name}` ({_now()})",
        f"- Base model: `{run.base_model}` (sha256 `{base.sha256 if base else '?'}`)",
        f"- Dataset snapshot: `{run.snapshot_id}` (hash `{snapshot.content_hash if snapshot else '?'}`), "
        f"splits {json.dumps(snapshot.counts) if snapshot else '?'}",
        f"- De-identification: version `{snapshot.deid_version if snapshot else '?'}`, "
        f"mode `{deid_config.get('mode', '?')}`, "
        f"reviewed by `{deid.reviewed_by if deid and deid.reviewed_by else 'nobody (override)'}`",
        "",
        "## Method",
        f"- `{run.method}`: {result.get('steps', '?')} steps, {result.get('trainable_params', '?')} trainable "
        f"parameters, final loss {result.get('final_loss', '?')}",
        f"- Library versions: {json.dumps(result.get('library_versions', {}))}",
        "",
        "## Evaluation (held-out test split)",
        f"- {evaluation.get('metric_name', 'metric')}: {evaluation.get('primary_metric')}",
        f"- All metrics: {json.dumps(evaluation.get('metrics', {}))}",
        f"- Slices: {json.dumps(evaluation.get('slices', {}))}",
        "",
        "## Privacy audit",
        f"- Canary exposure: {json.dumps(evaluation.get('exposure', {}))}",
        f"- Forgetting (general-text perplexity before/after): {json.dumps(evaluation.get('forgetting', {}))}",
        "",
        "## Limitations",
        "- Measured on one hospital's notes after de-identification; performance elsewhere is unknown.",
        "- Small models can be confidently wrong; keep a human in the loop.",
        "",
        "## Approval note",
        note.strip(),
        "",
    ]
    return "\n".join(lines)
