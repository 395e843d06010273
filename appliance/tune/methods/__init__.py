"""Tuning methods and baselines: one module per method, each registering itself in `METHODS`.

Registered here: `icl` (prompting, no training), `tfidf` (classical baseline), `qlora`, `lora`, `dora`
(adapters) and `full` (every weight). Adding a method is one new module in this package that calls `register` (or
decorates its build function with `@register_method`) with its presets, settings, memory model,
artifact kind and labels (see `registry.Method`); every module here is imported with the package.
A method defined elsewhere (a test's toy method) registers when its module is imported. The CLI
choices, the desktop app's lists, the comparison and the estimator read this table.

`prepare(method, base, config, scratch_dir)` returns `(model, tokenizer, info)`; `save_artifact` writes
the result (see `appliance.tune.prepared`). Those load torch and are imported on first use, so reading
the table (the config, the CLI, the GUI) does not.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from appliance.tune.methods.registry import (
    METHODS,
    MemoryModel,
    Method,
    Variant,
    default_compared,
    get_method,
    method_of_run,
    ordered,
    register,
    register_method,
    run_methods,
    specific_settings,
    tune_choices,
    tuned_names,
    unregister,
)

# Every module of this package but the registry is a method that registers itself when imported.
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "registry"):
    importlib.import_module(f"{__name__}.{_module}")

if TYPE_CHECKING:
    from appliance.tune.prepared import ArtifactInfo, ModelInfo, is_adapter_model, model_info, prepare, save_artifact

_PREPARED = frozenset({"ArtifactInfo", "ModelInfo", "is_adapter_model", "model_info", "prepare", "save_artifact"})

__all__ = [
    "METHODS", "ArtifactInfo", "MemoryModel", "Method", "ModelInfo", "Variant", "default_compared", "get_method",
    "is_adapter_model", "method_of_run", "model_info", "ordered", "prepare", "register", "register_method",
    "run_methods", "save_artifact", "specific_settings", "tune_choices", "tuned_names", "unregister",
]


def __getattr__(name: str) -> Any:
    if name not in _PREPARED:
        raise AttributeError(f"module 'appliance.tune.methods' has no attribute {name!r}")
    return getattr(importlib.import_module("appliance.tune.prepared"), name)
