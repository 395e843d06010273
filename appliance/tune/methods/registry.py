"""The method table: one `Method` per way of answering a task, registered by its own module.

A registration carries everything the rest of the appliance needs to know about a method, so that the
training service, the estimator, the comparison, the CLI, the desktop app and export read it from here
instead of naming methods in code:

- `label`, `title`, `description`: what reports, the CLI help and the GUI show;
- `kind` and `cost_rank`: "prompting", "classical", "probe" (a classifier on the frozen base model's
  features), "adapter" or "full", and the cost order the
  recommendation prefers when quality is tied (lower is cheaper);
- `build`: for a tuned method, `build(base, config, scratch_dir) -> (model, tokenizer)`; None for a
  baseline, which is run by `runner` instead;
- `presets`: TuneConfig settings per model size class ("small", "medium", "large");
- `settings`: the method-specific TuneConfig fields it takes (others must keep their defaults);
- `memory`: how the estimator counts its weights, trainable parameters and activations;
- `artifact`: "adapter" (needs the base to be used), "full" (all weights) or None (nothing trained);
- `tasks`: the tasks it can answer (None = every task);
- `runner`: for a baseline, the comparison step that fits and scores it, as a callable or a
  "module:function" path resolved by the comparison (so this layer never imports the ones above it);
- `variants`: further run methods one run of it registers (e.g. the calibrated in-context run);
- `evaluator`: how `appliance evaluate` scores a finished run of it, as a callable
  `evaluator(ws, run, *, limit, progress) -> evaluation` or a "module:function" path (resolved by the
  evaluation service, so this layer imports nothing above it); None means the shared path: the run's
  sealed artifact (adapter or full weights) scored as the task defines;
- `trainer`: for a baseline that `appliance tune` can also train as a run of its own (outside the
  generative tuning engine), `trainer(ws, run_id, *, event, should_stop) -> result`, a callable or a
  "module:function" path; the run was created by `appliance.tune.service.start_run`.

This module imports no torch: the config, the CLI and the GUI read the table without loading a model
library. Build functions import what they need when called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import InvalidInput

if TYPE_CHECKING:
    from appliance.tune.config import TuneConfig
    from appliance.tune.prepared import ModelInfo

Build = Callable[[Any, "TuneConfig", Path], tuple[Any, Any]]
KINDS = ("prompting", "classical", "probe", "adapter", "full")
ARTIFACTS = ("adapter", "full")


@dataclass(frozen=True)
class MemoryModel:
    """What a tuned method adds to the estimator's shared sum (see `appliance.tune.estimate`).

    `trainable(info, config)` counts the trainable parameters this method would have on a model
    described by `info` (prepared with any method); `master_all` means every weight keeps an fp32
    master copy (full fine-tuning); `quant_bits`/`quant_storage_bits` describe a quantised frozen base
    (nominal bits, and bits per weight including block constants; embeddings are never quantised);
    `extra_hidden`/`extra_inter` are activation floats per token and layer beyond a plain layer;
    `adapter_dropout` says that `lora_dropout > 0` keeps a dropped copy of each adapted input;
    `suggest_instead` names lighter methods to advise when a run does not fit, in that order.
    """

    trainable: Callable[[ModelInfo, TuneConfig], int]
    master_all: bool = False
    quant_bits: int | None = None
    quant_storage_bits: float | None = None
    extra_hidden: int = 0
    extra_inter: int = 0
    adapter_dropout: bool = False
    suggest_instead: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    """A further run method a run of this method registers (scored from the same pass)."""

    name: str
    label: str
    cost_rank: int


@dataclass(frozen=True)
class Method:
    name: str
    label: str  # short, in reports and tables: "LoRA adapter"
    title: str  # the method's name as people say it: "LoRA"
    description: str  # one line for the GUI and the CLI help
    kind: str
    cost_rank: int
    build: Build | None = None
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    settings: frozenset[str] = frozenset()
    memory: MemoryModel | None = None
    artifact: str | None = None
    tasks: tuple[str, ...] | None = None
    runner: Callable[..., Any] | str | None = None
    variants: tuple[Variant, ...] = ()
    hint: str = ""  # a few words after the name in advice: "4-bit base"
    compared_by_default: bool = False
    default_choice: bool = False  # listed first among the tuning choices (one method: lora)
    timed_runner: bool = False  # a baseline runner that trains under the comparison's wall-clock budget
    evaluator: Callable[..., Any] | str | None = None
    trainer: Callable[..., Any] | str | None = None

    @property
    def tuned(self) -> bool:
        """Trained by the tuning engine (a run with a budget, checkpoints and an artifact)."""
        return self.build is not None

    @property
    def own_trainer(self) -> bool:
        """A baseline `appliance tune` trains with its own code (`trainer`), outside the tuning engine: no
        presets, checkpoints or resume, and (classifiers all) the label column must be named."""
        return self.trainer is not None and not self.tuned

    @property
    def budgeted(self) -> bool:
        """Trains under a wall-clock budget: a tuned method, or a runner that reads the comparison's budget."""
        return self.tuned or self.timed_runner

    @property
    def trains(self) -> bool:
        """Learns anything from the training split (a classical baseline does, in seconds)."""
        return self.kind != "prompting"

    @property
    def adapter_only(self) -> bool:
        return self.artifact == "adapter"

    def applies_to(self, task: str) -> bool:
        return self.tasks is None or task in self.tasks

    @property
    def choice_label(self) -> str:
        """How a picker shows it: "LoRA — low-rank adapter on ..."."""
        return f"{self.title} — {self.description}"


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add `method` to the table; its module calls this once at import."""
    if method.name in METHODS or any(method.name == v.name for m in METHODS.values() for v in m.variants):
        raise ValueError(f"tuning method {method.name!r} is already registered")
    if method.kind not in KINDS:
        raise ValueError(f"method {method.name!r}: kind must be one of {', '.join(KINDS)}")
    if method.artifact not in (None, *ARTIFACTS):
        raise ValueError(f"method {method.name!r}: artifact must be one of {', '.join(ARTIFACTS)} or None")
    if (method.build is None) == (method.runner is None):
        raise ValueError(f"method {method.name!r} needs exactly one of build (tuned) or runner (baseline)")
    if method.build is not None and (method.memory is None or method.artifact is None):
        raise ValueError(f"tuned method {method.name!r} needs a memory model and an artifact kind")
    METHODS[method.name] = method
    return method


def register_method(name: str, **fields: Any) -> Callable[[Build], Build]:
    """Decorator form for tuned methods: `@register_method("lora", label=..., ...)` on the build function."""

    def decorate(build: Build) -> Build:
        register(Method(name=name, build=build, **fields))
        return build

    return decorate


def unregister(name: str) -> None:
    """Remove a method (tests that register toy methods clean up with this)."""
    METHODS.pop(name, None)


def get_method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise InvalidInput(f"unknown tuning method {name!r}; choose one of: {', '.join(ordered())}") from None


def ordered() -> list[str]:
    """Every registered method, cheapest first."""
    return sorted(METHODS, key=lambda m: (METHODS[m].cost_rank, m))


def tuned_names() -> tuple[str, ...]:
    """Methods the tuning engine trains (what `appliance tune --method` takes): the default choice first,
    then cheapest first."""
    return tuple(sorted((m for m in ordered() if METHODS[m].tuned), key=lambda m: not METHODS[m].default_choice))


def tune_choices() -> tuple[str, ...]:
    """What `appliance tune --method` takes: the engine's methods, then baselines with a trainer of their own."""
    own = tuple(m for m in ordered() if METHODS[m].own_trainer)
    return tuned_names() + own


def default_compared() -> tuple[str, ...]:
    return tuple(m for m in ordered() if METHODS[m].compared_by_default)


def run_methods() -> dict[str, tuple[str, int, bool, str]]:
    """Every method a run can carry, variants included: name -> (label, cost rank, trains, kind)."""
    out: dict[str, tuple[str, int, bool, str]] = {}
    for method in METHODS.values():
        out[method.name] = (method.label, method.cost_rank, method.trains, method.kind)
        for variant in method.variants:
            out[variant.name] = (variant.label, variant.cost_rank, method.trains, method.kind)
    return dict(sorted(out.items(), key=lambda item: (item[1][1], item[0])))


def method_of_run(run_method: str) -> Method:
    """The registered method behind a run's method name (a variant maps to its parent)."""
    if run_method in METHODS:
        return METHODS[run_method]
    for method in METHODS.values():
        if any(v.name == run_method for v in method.variants):
            return method
    return get_method(run_method)


def resolve(ref: Callable[..., Any] | str) -> Callable[..., Any]:
    """A registration's callable: itself, or the function a "module:function" path names."""
    if not isinstance(ref, str):
        return ref
    import importlib

    module, _, function = ref.partition(":")
    resolved: Callable[..., Any] = getattr(importlib.import_module(module), function)
    return resolved


def specific_settings() -> dict[str, tuple[str, ...]]:
    """Method-specific TuneConfig field -> the tuned methods that take it."""
    owners: dict[str, list[str]] = {}
    for name in tuned_names():
        for setting in sorted(METHODS[name].settings):
            owners.setdefault(setting, []).append(name)
    return {k: tuple(v) for k, v in owners.items()}


def presets_for(name: str, size: str) -> dict[str, Any]:
    method = METHODS.get(name)
    if method is None or not method.tuned:
        raise InvalidInput(f"method must be one of {', '.join(tuned_names())}, got {name!r}")
    return dict(method.presets.get(size, {}))
