"""LoRA with a classification head (classify only): LoRA adapters on the base model and a linear head over
the last hidden state, trained with a class-balanced cross-entropy within the comparison's budget.

Sequence classification instead of label likelihood: the model never has to spell a label, so a small
base model is not held back by how its tokenizer splits the label names. Each query costs one forward
pass and no generated tokens. The artifact (adapter + head) is sealed in the workspace, but a classifier
has no generative weights: export to the chat API refuses it. The comparison runs it with
`appliance.compare.lora_head.run_lora_head`, `appliance tune` with `train_head_run` beside it, and
`appliance evaluate` scores it with `appliance.evaluate.service.evaluate_head_run`; training and
prediction are in `appliance.evaluate.lora_head`.
"""

from __future__ import annotations

from appliance.tune.methods.registry import Method, register

register(Method(
    name="lora-head",
    label="LoRA with a classification head",
    title="LoRA + head",
    description="LoRA adapters and a linear class head, label-balanced loss (classify only)",
    kind="adapter",
    cost_rank=4,
    tasks=("classify",),
    runner="appliance.compare.lora_head:run_lora_head",
    hint="classification head",
    timed_runner=True,
    evaluator="appliance.evaluate.service:evaluate_head_run",
    trainer="appliance.compare.lora_head:train_head_run",
))
