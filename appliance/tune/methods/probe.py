"""Linear probe: logistic regression on the frozen base model's pooled hidden states (classify only).

One forward pass per training note, then a fit of seconds; each query costs one forward pass and no
generated tokens. Nothing in the model is trained, so there is no artifact to export. The comparison
runs it with `appliance.compare.probe.run_probe_baseline`; the predictor is `appliance.evaluate.probe`.
"""

from __future__ import annotations

from appliance.tune.methods.registry import Method, register

register(Method(
    name="probe",
    label="linear probe on the base model",
    title="Linear probe",
    description="logistic regression on the frozen base model's hidden states (classify only)",
    kind="probe",
    cost_rank=3,
    tasks=("classify",),
    runner="appliance.compare.probe:run_probe_baseline",
))
