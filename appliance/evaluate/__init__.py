"""Evaluation: metrics, baselines and the privacy audit. A pure library (no database).

Modules, each with one purpose:
- `metrics`        per-task quality metrics, registry `TASK_METRICS`, primary metric per task
- `facts`          factual consistency of generated text with its note (shipped clinical lexicon)
- `likelihood`     token log-likelihoods under a causal LM (batched by a token budget)
- `label_scoring`  classification by scoring each label's reply, with contextual calibration
- `prompts`        evaluation prompts worded as in training, content-free variants
- `icl`            the in-context baseline (zero-shot and k-shot with nearest examples)
- `classical`      the TF-IDF + logistic regression baseline
- `generation`     greedy replies for the generative tasks
- `predict`        a model's answers to the training prompts and its task metrics (one call per run)
- `forgetting`     general-English perplexity before and after tuning
- `privacy`        canary exposure and extraction, output scan for training identifiers
- `slices`         metrics by note type, sex and age band
- `runs`           run summaries, methods and their cost order
- `recommend`      the cheapest method within a tolerance of the best

Importing this package is cheap: modules that need torch import it themselves, so the comparison report
(`appliance.compare.report`) and recommendations can be made without loading torch or scikit-learn.
"""
