"""Training settings: one typed dataclass with help text and validation, presets per method and model size.

`TuneConfig` is stored with every run and shown in the GUI from the same help text (`TuneConfig.help()`).
Cross-field rules live in `__post_init__` and raise `InvalidInput` with a one-line message that says
what to change. Loading from a mapping or TOML rejects unknown keys, so a typo never silently trains
with a default.

Presets (`presets(method, n_params)`, registered with each method) give starting values per model size; a TOML
file overrides them key by key (`TuneConfig.for_model`, `TuneConfig.from_toml(path, n_params=...)`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance.errors import InvalidInput
from appliance.fieldhelp import help_of, read_toml, settings_from
from appliance.fieldhelp import help_text as _help
from appliance.tune.methods.registry import presets_for, specific_settings, tuned_names

DTYPES = ("auto", "float32", "bfloat16")
SCHEDULERS = ("cosine", "linear", "constant")

# Fields that do not change what is trained, so a resume may change them freely.
_NOT_HASHED = frozenset({"checkpoint_every", "keep_checkpoints"})


@dataclass
class TuneConfig:
    """How to fine-tune: method, optimisation, batching, checkpoints, and method-specific options."""

    method: str = field(default="lora", metadata=_help("Tuning method: lora, qlora, dora or full (see "
                                                       "'appliance tune --help' for every registered one)."))
    learning_rate: float = field(default=2e-4, metadata=_help("Peak learning rate of AdamW (after warmup)."))
    epochs: int = field(default=1, metadata=_help("Passes over the training examples (ignored if max_steps > 0)."))
    max_steps: int = field(
        default=0, metadata=_help("Optimizer steps to run; 0 means epochs x steps per epoch. Overrides epochs.")
    )
    batch_size: int = field(
        default=4, metadata=_help("Rows per micro-batch per process (a packed row holds several examples).")
    )
    grad_accum: int = field(default=1, metadata=_help("Micro-batches accumulated into one optimizer step."))
    max_seq_len: int = field(
        default=512, metadata=_help("Tokens per row. Every example must fit; packed rows hold up to this many.")
    )
    packing: bool = field(
        default=True,
        metadata=_help("Pack several examples per row (attention stays within each example); off = one per row."),
    )
    seed: int = field(default=42, metadata=_help("Seed of adapter initialisation, data order and dropout."))
    checkpoint_every: int = field(
        default=100, metadata=_help("Write a resumable checkpoint every this many steps (0 = only at the end).")
    )
    keep_checkpoints: int = field(default=2, metadata=_help("Complete checkpoints kept on disk (newest first)."))
    warmup_steps: int = field(default=0, metadata=_help("Steps of linear learning-rate warmup from 0."))
    scheduler: str = field(
        default="cosine", metadata=_help("Learning-rate decay after warmup: cosine, linear or constant.")
    )
    weight_decay: float = field(
        default=0.0, metadata=_help("AdamW decoupled weight decay (not applied to biases and norms).")
    )
    max_grad_norm: float = field(default=1.0, metadata=_help("Clip the global gradient norm to this (0 = off)."))
    lora_r: int = field(default=16, metadata=_help("LoRA rank (lora, qlora, dora)."))
    lora_alpha: int = field(default=32, metadata=_help("LoRA scaling numerator; the update is scaled by alpha/r."))
    lora_dropout: float = field(
        default=0.0,
        metadata=_help("Dropout on the LoRA input. Off by default: each adapted layer then keeps an extra copy "
                       "of its input for backward (about +30% memory, -10% speed on CPU)."),
    )
    target_modules: list[str] | None = field(
        default=None,
        metadata=_help(
            "Module names LoRA adapts. Empty means the architecture default "
            "(Llama-like: q, k, v, o, gate, up, down projections; otherwise all linear layers)."
        ),
    )
    freeze_embeddings: bool = field(
        default=False,
        metadata=_help("full: keep the token embeddings fixed (and the output head when tied to them)."),
    )
    freeze_layers: int = field(default=0, metadata=_help("full: number of lowest transformer layers kept fixed."))
    gradient_checkpointing: bool = field(
        default=False, metadata=_help("Recompute activations in backward: much less memory, about 30% slower.")
    )
    dtype: str = field(
        default="auto",
        metadata=_help("Compute dtype: auto (bfloat16 on a CUDA GPU that supports it and on a CPU with native "
                       "bfloat16, AVX512-BF16 or AMX; else float32), float32, bfloat16. Trainable weights stay "
                       "float32."),
    )

    def __post_init__(self) -> None:
        if self.method not in tuned_names():
            raise InvalidInput(f"method must be one of {', '.join(tuned_names())}, got {self.method!r}")
        if not 0.0 < self.learning_rate < 1.0:
            raise InvalidInput(f"learning_rate must be between 0 and 1, got {self.learning_rate}")
        _at_least("epochs", self.epochs, 1)
        _at_least("max_steps", self.max_steps, 0)
        _at_least("batch_size", self.batch_size, 1)
        _at_least("grad_accum", self.grad_accum, 1)
        if not 8 <= self.max_seq_len <= 131072:
            raise InvalidInput(f"max_seq_len must be between 8 and 131072, got {self.max_seq_len}")
        _at_least("checkpoint_every", self.checkpoint_every, 0)
        _at_least("keep_checkpoints", self.keep_checkpoints, 1)
        _at_least("warmup_steps", self.warmup_steps, 0)
        if self.max_steps and self.warmup_steps >= self.max_steps:
            raise InvalidInput(f"warmup_steps ({self.warmup_steps}) must be less than max_steps ({self.max_steps})")
        if self.scheduler not in SCHEDULERS:
            raise InvalidInput(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {self.scheduler!r}")
        if not 0.0 <= self.weight_decay < 1.0:
            raise InvalidInput(f"weight_decay must be in [0, 1), got {self.weight_decay}")
        if self.max_grad_norm < 0:
            raise InvalidInput(f"max_grad_norm must be >= 0, got {self.max_grad_norm}")
        _at_least("lora_r", self.lora_r, 1)
        _at_least("lora_alpha", self.lora_alpha, 1)
        if not 0.0 <= self.lora_dropout < 1.0:
            raise InvalidInput(f"lora_dropout must be in [0, 1), got {self.lora_dropout}")
        if self.target_modules is not None:
            self.target_modules = [str(m) for m in self.target_modules] or None
        _at_least("freeze_layers", self.freeze_layers, 0)
        _only_for_their_methods(self)
        if self.dtype not in DTYPES:
            raise InvalidInput(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")

    # -- (de)serialisation ----------------------------------------------------------------------------

    @classmethod
    def help(cls) -> dict[str, str]:
        """Field name -> help text, for the CLI and the GUI."""
        return help_of(cls)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TuneConfig:
        """Build from a JSON/TOML table. Unknown keys are an error so that typos never pass silently."""
        return settings_from(cls, values, unknown="unknown tuning setting(s): {unknown}; see 'appliance tune --help'",
                             wrong="invalid tuning setting: ", error=InvalidInput)

    @classmethod
    def from_toml(cls, path: Path | str, *, n_params: int | None = None) -> TuneConfig:
        """Load a TOML file (top-level keys, or a `[tune]` table). With `n_params`, the file overrides
        the presets for its method and that model size; without, it overrides the dataclass defaults."""
        path = Path(path)
        data = read_toml(path, error=InvalidInput)
        if set(data) == {"tune"} and isinstance(data["tune"], dict):
            data = data["tune"]
        if n_params is not None:
            return cls.for_model(str(data.get("method", "lora")), n_params, data)
        return cls.from_dict(data)

    @classmethod
    def for_model(cls, method: str, n_params: int, overrides: Mapping[str, Any] | None = None) -> TuneConfig:
        """The preset for `method` at this model size, with `overrides` applied on top."""
        values = {**presets(method, n_params), **dict(overrides or {}), "method": method}
        return cls.from_dict(values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_toml(self) -> str:
        """TOML text that `from_toml` reads back into an equal config (None values are left out)."""
        lines = []
        for key, value in self.to_dict().items():
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    def fingerprint(self) -> str:
        """SHA-256 of the settings that determine the trained weights; stored in every checkpoint so that
        a resume with different settings is refused rather than silently mixing two runs."""
        relevant = {k: v for k, v in self.to_dict().items() if k not in _NOT_HASHED}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def _at_least(name: str, value: int, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidInput(f"{name} must be an integer >= {minimum}, got {value!r}")


def _only_for_their_methods(config: TuneConfig) -> None:
    """A method-specific setting (registered with the methods that take it) must keep its default under
    any other method, so that a setting never silently does nothing."""
    defaults = TuneConfig.__dataclass_fields__
    foreign = {name: owners for name, owners in specific_settings().items()
               if config.method not in owners and getattr(config, name) not in (defaults[name].default, None)}
    for owners in dict.fromkeys(foreign.values()):
        names = [name for name, o in foreign.items() if o == owners]
        which = f"method '{owners[0]}'" if len(owners) == 1 else "methods " + ", ".join(f"'{o}'" for o in owners)
        plural = len(names) > 1
        raise InvalidInput(f"{' and '.join(names)} {'are' if plural else 'is'} for {which} only; remove "
                           f"{'them' if plural else 'it'} for method '{config.method}'")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


# -- presets ------------------------------------------------------------------------------------------

SIZE_CLASSES = (("small", 500_000_000), ("medium", 4_000_000_000), ("large", None))

def size_class(n_params: int) -> str:
    """'small' (< 500M parameters), 'medium' (< 4B) or 'large'."""
    for name, limit in SIZE_CLASSES:
        if limit is None or n_params < limit:
            return name
    raise AssertionError("unreachable")


def presets(method: str, n_params: int) -> dict[str, Any]:
    """Default settings for `method` on a model with `n_params` parameters (a fresh dict; edit freely).
    The values are the method's own (its registration in `appliance.tune.methods`)."""
    if n_params <= 0 and method in tuned_names():
        raise InvalidInput(f"n_params must be positive, got {n_params}")
    return {"method": method, **presets_for(method, size_class(max(1, n_params)))}
