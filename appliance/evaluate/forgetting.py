"""Catastrophic forgetting check: perplexity on a fixed sample of plain general English.

Fine-tuning on clinical notes can make a model worse at ordinary language. Comparing the base model's
perplexity on the same general text before and after tuning measures that cheaply: a LoRA adapter
usually moves it a little, full fine-tuning can move it a lot.

The sample (`data/general_text.txt`) is a few paragraphs written for this product (no third-party
text), short enough to score in seconds. It is the same for every run, so numbers are comparable
across runs of one base model; they are not comparable across base models with different tokenizers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.data.tasks import Example
from appliance.evaluate.prompts import as_ids

GENERAL_TEXT_FILE = Path(__file__).with_name("data") / "general_text.txt"


def general_paragraphs(path: Path = GENERAL_TEXT_FILE) -> list[str]:
    return [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def general_examples(tokenizer: Any, *, max_length: int = 256, path: Path = GENERAL_TEXT_FILE) -> list[Example]:
    """Each paragraph tokenised (with the tokenizer's own special tokens) and cut into windows of
    at most `max_length` tokens; every token but the first of a window is scored."""
    if max_length < 2:
        raise ValueError("max_length must be >= 2")
    examples = []
    for paragraph in general_paragraphs(path):
        ids = as_ids(tokenizer(paragraph, add_special_tokens=True))
        for start in range(0, len(ids), max_length):
            window = ids[start : start + max_length]
            if len(window) >= 2:
                examples.append(Example(window, list(window)))
    return examples


def general_perplexity(model: Any, tokenizer: Any, *, max_length: int = 256) -> float:
    """Token-level perplexity of `model` on the shipped general-English sample."""
    from appliance.evaluate.likelihood import pad_id_of
    from appliance.evaluate.metrics import perplexity

    return perplexity(model, general_examples(tokenizer, max_length=max_length), pad_id=pad_id_of(tokenizer))


def forgetting_summary(before: float, after: float) -> dict[str, float]:
    """The run-summary entry: perplexities before and after tuning, and their ratio (> 1 means worse)."""
    return {"before": before, "after": after, "ratio": after / before if before > 0 else float("nan")}
