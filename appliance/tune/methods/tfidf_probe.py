"""TF-IDF + linear probe: the average of the TF-IDF model's and the linear probe's class probabilities
(classify only).

Training is the probe's one forward pass per training note plus a TF-IDF fit of seconds; each query costs
one forward pass, a TF-IDF transform and two dot products, with no prompt and no generated tokens.
Nothing in the model is trained, so there is no artifact to export. The comparison runs it with
`appliance.compare.probe.run_tfidf_probe_baseline`; the predictor is `appliance.evaluate.hybrid`.
"""

from __future__ import annotations

from appliance.tune.methods.registry import Method, register

register(Method(
    name="tfidf-probe",
    label="TF-IDF + linear probe (averaged probabilities)",
    title="TF-IDF + probe",
    description="TF-IDF and the linear probe's class probabilities averaged (classify only)",
    kind="probe",
    cost_rank=3,
    tasks=("classify",),
    runner="appliance.compare.probe:run_tfidf_probe_baseline",
))
