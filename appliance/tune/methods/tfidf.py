"""TF-IDF + logistic regression: a classical baseline fitted on the training split in seconds; it
predicts labels, so it answers the classify task only. The comparison runs it with
`appliance.compare.service.run_tfidf_baseline`."""

from __future__ import annotations

from appliance.tune.methods.registry import Method, register

register(Method(
    name="tfidf",
    label="TF-IDF + logistic regression",
    title="TF-IDF",
    description="a classical baseline fitted in seconds (classify only)",
    kind="classical",
    cost_rank=2,
    tasks=("classify",),
    runner="appliance.compare.service:run_tfidf_baseline",
    compared_by_default=True,
))
