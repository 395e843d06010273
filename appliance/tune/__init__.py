"""Fine-tuning engine: methods, training loop, memory/time estimator, progress events, resume.

A pure library (no database, no workspace): callers pass plain directories and token examples.

    from appliance.tune import TuneConfig, prepare, train
    config = TuneConfig(method="lora", max_steps=100)
    model, tokenizer, info = prepare("lora", "/path/model.gguf", config, scratch_dir)
    result = train(model, examples, config, out_dir=run_dir, on_event=print)

Several processes: see `appliance.tune.launch`. Names are imported lazily so that reading
`appliance.tune.config` (help text for the GUI) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appliance.tune.config import TuneConfig, presets
    from appliance.tune.estimate import Calibration, Estimate, calibrate, check_fits, estimate
    from appliance.tune.methods import METHODS, register_method
    from appliance.tune.prepared import ArtifactInfo, ModelInfo, prepare, save_artifact
    from appliance.tune.trainer import TrainResult, train

_EXPORTS = {
    "TuneConfig": "config", "presets": "config",
    "Calibration": "estimate", "Estimate": "estimate", "calibrate": "estimate", "check_fits": "estimate",
    "estimate": "estimate",
    "METHODS": "methods", "register_method": "methods",
    "ArtifactInfo": "prepared", "ModelInfo": "prepared", "prepare": "prepared", "save_artifact": "prepared",
    "TrainResult": "trainer", "train": "trainer",
}
__all__ = [
    "METHODS", "ArtifactInfo", "Calibration", "Estimate", "ModelInfo", "TrainResult", "TuneConfig", "calibrate",
    "check_fits", "estimate", "prepare", "presets", "register_method", "save_artifact", "train",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'appliance.tune' has no attribute {name!r}")
    return getattr(importlib.import_module(f"appliance.tune.{_EXPORTS[name]}"), name)
