"""Run summaries: what the comparison reads, the methods it knows, and their cost order.

A run summary is a plain dict (JSON-ready) with at least `run_id`, `method`, `task` and `metrics`;
the other keys are optional and shown when present:

    run_id, method, task, metrics {...}, train_seconds, steps, epochs, budget_seconds,
    peak_memory_bytes, trainable_params, artifact_bytes, tokens_per_s,
    exposure {max, mean, flagged, ...} (from `privacy.audit`), leakage {outputs, leaking_outputs, rate}
    (from `privacy.scan_outputs`), forgetting {before, after}, slices {...} (from `slices`),
    loss_curve [floats], k (in-context examples; 0 = zero-shot)

`METHODS` holds each method with its cost rank (from its registration in `appliance.tune.methods`),
the order the recommendation prefers when quality is tied: icl < icl-calibrated < tfidf < qlora < lora <
dora < full (calibration costs three extra prompt scorings; QLoRA trains the fewest bytes of memory; DoRA
is LoRA plus a magnitude vector and slower per step; full fine-tuning trains and stores every weight).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NewType

from appliance.errors import UsageError
from appliance.tune.methods.registry import run_methods

RunId = NewType("RunId", str)


@dataclass(frozen=True)
class MethodInfo:
    name: str
    label: str  # shown in reports
    cost_rank: int  # lower is cheaper
    trains: bool  # needs a training run (and a GPU budget)
    kind: str  # "prompting", "classical", "adapter" or "full"


class _RunMethods(Mapping[str, MethodInfo]):
    """Every method a run can carry, read live from the method table (`appliance.tune.methods`), so a
    method registered there is known here without another list."""

    def _table(self) -> dict[str, MethodInfo]:
        return {name: MethodInfo(name, *fields) for name, fields in run_methods().items()}

    def __getitem__(self, name: str) -> MethodInfo:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


METHODS: Mapping[str, MethodInfo] = _RunMethods()

REQUIRED_KEYS: tuple[str, ...] = ("run_id", "method", "task", "metrics")


def check_runs(runs: Sequence[Mapping[str, Any]]) -> str:
    """Validate run summaries for one comparison and return their common task.

    Raises UsageError for a missing key, an unknown method, a repeated run id or mixed tasks.
    """
    if not runs:
        raise UsageError("the comparison needs at least one run")
    seen: set[str] = set()
    for i, run in enumerate(runs):
        missing = [k for k in REQUIRED_KEYS if k not in run]
        if missing:
            raise UsageError(f"run summary #{i + 1} lacks {', '.join(missing)}")
        if run["method"] not in METHODS:
            raise UsageError(f"run {run['run_id']!r}: unknown method {run['method']!r}; known: {', '.join(METHODS)}")
        if run["run_id"] in seen:
            raise UsageError(f"run id {run['run_id']!r} appears twice")
        if not isinstance(run["metrics"], Mapping):
            raise UsageError(f"run {run['run_id']!r}: metrics must be a mapping")
        seen.add(run["run_id"])
    tasks = sorted({str(r["task"]) for r in runs})
    if len(tasks) != 1:
        raise UsageError(f"runs of different tasks cannot be compared: {', '.join(tasks)}")
    return tasks[0]


def number(value: Any) -> float | None:
    """A finite float, or None for missing, non-numeric or NaN values (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def flagged(run: Mapping[str, Any]) -> bool:
    exposure = run.get("exposure")
    return bool(isinstance(exposure, Mapping) and exposure.get("flagged"))


def shots(run: Mapping[str, Any]) -> int | None:
    """In-context examples of an ICL run (0 = zero-shot), from `k` or `config.k`; None if unknown."""
    k = run.get("k")
    if k is None and isinstance(run.get("config"), Mapping):
        k = run["config"].get("k")
    return int(k) if isinstance(k, int) and not isinstance(k, bool) else None


def method_label(run: Mapping[str, Any]) -> str:
    info = METHODS[run["method"]]
    if info.kind == "prompting":
        k = shots(run)
        which = "zero-shot" if k == 0 else f"{k}-shot" if k else ""
        calibrated = ", calibrated" if run["method"] == "icl-calibrated" else ""
        return f"{which} in-context learning{calibrated}".strip()
    return info.label
