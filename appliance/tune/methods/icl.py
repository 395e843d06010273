"""In-context learning: the base model prompted zero-shot and with k examples from the training split;
nothing is trained. For classify each pass also yields a contextually calibrated run (`icl-calibrated`).
The comparison runs it with `appliance.compare.service.run_icl_baseline`."""

from __future__ import annotations

from appliance.tune.methods.registry import Method, Variant, register

register(Method(
    name="icl",
    label="in-context learning",
    title="In-context learning",
    description="no training; zero-shot and k-shot prompts of the base model",
    kind="prompting",
    cost_rank=0,
    runner="appliance.compare.service:run_icl_baseline",
    variants=(Variant("icl-calibrated", "in-context learning, calibrated", 1),),
    compared_by_default=True,
))
