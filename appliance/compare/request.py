"""What a comparison is asked to do (``CompareRequest``, checked when made) and how its progress is
reported (``PhaseProgress``: every event names the method and phase it belongs to)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from appliance.data.tasks import get_task
from appliance.errors import InvalidInput
from appliance.tune.methods import METHODS as METHOD_TABLE
from appliance.tune.methods import default_compared, ordered

Event = Callable[..., None]


@dataclass
class CompareRequest:
    """What to compare; stored with every run it creates."""

    dataset: str = field(metadata={"help": "Dataset whose newest de-identified version is compared on."})
    task: str = field(default="classify", metadata={"help": "classify, summarize, extract, instruct or continue."})
    methods: list[str] = field(default_factory=lambda: list(default_compared()), metadata={
        "help": "Methods to compare: icl, tfidf (classify only), qlora, lora, dora, full, or any registered one."})
    base: str = field(default="smollm2-135m-instruct", metadata={"help": "Base model id from the manifest."})
    budget_seconds: float | None = field(default=None, metadata={
        "help": "The same wall-clock training budget for every tuned method (empty = each method's preset)."})
    shots: list[int] = field(default_factory=lambda: [0, 4], metadata={
        "help": "In-context examples per ICL pass (0 = zero-shot); one pass per value."})
    icl: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "In-context settings (ICLConfig fields: similarity, shot_note_tokens, max_prompt_tokens, ...)."})
    canaries: int = field(default=0, metadata={
        "help": "Random fake-PHI canaries planted in each tuned run's training data for the privacy audit."})
    canary_repeats: int = field(default=1, metadata={"help": "Copies of each canary planted."})
    audit_candidates: int = field(default=2000, metadata={
        "help": "Random strings each canary is ranked among (exposure is capped at log2 of this)."})
    overrides: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "Training settings applied to every tuned method (TuneConfig fields)."})
    method_overrides: dict[str, dict[str, Any]] = field(default_factory=dict, metadata={
        "help": "Training settings for one tuned method over the shared ones, e.g. {'lora': {'learning_rate': 1e-3}}."})
    task_config: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "Task settings (TaskConfig fields: label_field, label_set, max_length, ...)."})
    split_seed: int = field(default=13, metadata={"help": "Seed of the patient-level split."})
    stratify_field: str | None = field(default=None, metadata={
        "help": "Label column whose classes every split keeps in proportion (patients are never split)."})
    allow_unreviewed: bool = field(default=False, metadata={
        "help": "Use a de-identified version nobody reviewed (audited)."})
    max_train_examples: int | None = field(default=None, metadata={"help": "Train on at most this many examples."})
    max_test: int | None = field(default=None, metadata={"help": "Score at most this many test records."})
    title: str | None = field(default=None, metadata={"help": "Title of the report."})
    queries: int = field(default=10_000, metadata={
        "help": "Future queries the recommendation's cost order is computed for (training + queries x "
                "inference time per record)."})
    cv_folds: int = field(default=0, metadata={
        "help": "Also score the cheap methods (TF-IDF) by this many cross-validation folds over every labelled "
                "record (0 = off); useful when the test split is small."})

    def __post_init__(self) -> None:
        self.methods = list(dict.fromkeys(m.strip().lower() for m in self.methods if m.strip()))
        if not self.methods:
            raise InvalidInput("name at least one method to compare")
        unknown = [m for m in self.methods if m not in METHOD_TABLE]
        if unknown:
            raise InvalidInput(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(ordered())}")
        get_task(self.task)
        for name in self.methods:
            method = METHOD_TABLE[name]
            if not method.applies_to(self.task):
                raise InvalidInput(f"{method.label} compares on the {' and '.join(method.tasks or ())} task "
                                   "only")
        if self.budget_seconds is not None and self.budget_seconds <= 0:
            raise InvalidInput("the budget must be a positive number of minutes")
        stray = sorted(m for m in self.method_overrides if m not in METHOD_TABLE or not METHOD_TABLE[m].tuned)
        if stray:
            raise InvalidInput(f"method overrides name {', '.join(stray)}; only tuned methods take training settings")
        if not self.shots or any(k < 0 for k in self.shots):
            raise InvalidInput("ICL shots must be numbers >= 0")
        from appliance.evaluate.icl import ICLConfig

        ICLConfig.from_mapping({**self.icl, "k": 0})  # unknown or bad in-context settings fail here
        if self.queries < 0:
            raise InvalidInput("the query volume must be a number >= 0")
        if self.cv_folds and not 2 <= self.cv_folds <= 20:
            raise InvalidInput("cross-validation folds must be between 2 and 20 (0 = off)")
        if self.cv_folds and "tfidf" not in self.methods:
            raise InvalidInput("cross-validation folds apply to the TF-IDF baseline; add tfidf to the methods")
        if self.canaries < 0 or self.canary_repeats < 1 or self.audit_candidates < 64:
            raise InvalidInput("canaries must be >= 0, canary repeats >= 1 and audit candidates >= 64")


class PhaseStopped(Exception):
    """A phase was asked to stop (the job was cancelled) between two of its batches."""


class PhaseProgress:
    """Progress of one phase of one method ("lora", "training"): every event names both, with an ETA.

    Events: ``stage`` (method, phase, stage text) when the phase starts, then ``progress`` with step,
    total, method, phase and eta_s (from this phase's own pace). The job throttles progress events.
    With ``should_stop``, a progress call after which it is true raises `PhaseStopped`, so a scoring
    phase ends at its next batch instead of running to the end of the test split.
    """

    def __init__(self, emit: Event, method: str, phase: str, text: str | None = None, *,
                 should_stop: Callable[[], bool] | None = None, **fields: Any) -> None:
        self.emit, self.method, self.phase = emit, method, phase
        self.should_stop = should_stop
        self.started = time.monotonic()
        emit("stage", stage=text or f"{method}: {phase}", method=method, phase=phase, **fields)

    def __call__(self, done: int, total: int, *args: Any, **kwargs: Any) -> None:
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else None
        self.emit("progress", step=done, total=total, method=self.method, phase=self.phase,
                  eta_s=None if eta is None else round(eta, 1))
        if self.should_stop is not None and self.should_stop():
            raise PhaseStopped(f"{self.method}: {self.phase} stopped at {done} of {total}")

    def relay(self, name: str, **fields: Any) -> None:
        """Pass on another component's events (training), naming the method and phase on each."""
        if name == "progress":
            fields = {**fields, "method": self.method, "phase": self.phase}
        self.emit(name, **fields)
