"""A toy tuning method in one file, as a newcomer would add one: norm tuning (only the normalisation
weights train; cf. Zhao et al. 2023, "Tuning LayerNorm in Attention", arXiv:2312.11420).

Importing this module registers it; `appliance.tune.methods.unregister("norms")` removes it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.tune.methods import MemoryModel, register_method


def _norm_params(info: Any, config: Any) -> int:
    return (2 * info.n_layers + 1) * info.hidden_size  # two norms per layer plus the final one


@register_method(
    "norms",
    label="norm tuning",
    title="Norm tuning",
    description="only the normalisation weights trained (tiny artifact of all weights)",
    kind="adapter",
    cost_rank=3,
    presets={size: {"learning_rate": 1e-2, "batch_size": 4} for size in ("small", "medium", "large")},
    memory=MemoryModel(trainable=_norm_params),
    artifact="full",
)
def build(base: Any, config: Any, scratch_dir: Path) -> tuple[Any, Any]:
    from appliance.tune import loading

    model, tokenizer = loading.load_base(base, loading.resolve_dtype(config.dtype))
    for name, p in model.named_parameters():
        p.requires_grad_("norm" in name)
    return model, tokenizer
