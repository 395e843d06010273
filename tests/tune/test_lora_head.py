"""LoRA with a classification head: class weights from the label counts, training that learns a separable toy
set, the budget and max_steps read before every step, cancellation, and its place in the method table."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from appliance.errors import InvalidInput
from appliance.evaluate.lora_head import HeadConfig, class_weights
from appliance.tune.methods import METHODS, ordered, tuned_names

WORDS = {"cardiology": ["chest", "pain", "heart", "murmur"], "orthopedics": ["fracture", "knee", "bone", "cast"]}


def _records(n: int, seed: int, every: int = 2) -> list[dict[str, str]]:
    """Notes of two specialties, each from its own words; one in `every` is cardiology."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = "cardiology" if i % every == 0 else "orthopedics"
        words = [rng.choice(WORDS[label]) for _ in range(6)] + [rng.choice(["patient", "seen", "today"])]
        out.append({"text": " ".join(rng.sample(words, len(words))), "specialty": label})
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    from transformers import AutoTokenizer

    from tests.tiny import save_tiny_chat_model

    model_dir = save_tiny_chat_model(tmp_path_factory.mktemp("tiny") / "model")
    return model_dir, AutoTokenizer.from_pretrained(model_dir)


def _model(model_dir: Path, tokenizer: object, config: HeadConfig) -> object:
    from appliance.evaluate.lora_head import build_model, pad_id

    return build_model(model_dir, 2, pad_id(tokenizer), config)


def test_class_weights_follow_the_label_counts() -> None:
    labels = ["a"] * 6 + ["b"] * 3 + ["c"] * 1
    weights = class_weights(labels, ["a", "b", "c"])
    assert weights == pytest.approx([10 / 18, 10 / 9, 10 / 3])
    # Each class then carries the same total weight: count x weight = n / k.
    assert [6 * weights[0], 3 * weights[1], 1 * weights[2]] == pytest.approx([10 / 3] * 3)
    assert class_weights(["x", "y", "x", "y"], ["x", "y"]) == [1.0, 1.0]


def test_it_learns_a_separable_toy_set_and_predicts_every_record(tiny: tuple[Path, object]) -> None:
    from appliance.evaluate.lora_head import predict, predict_logits, train

    model_dir, tokenizer = tiny
    classes = ["cardiology", "orthopedics"]
    config = HeadConfig(max_steps=40, batch_size=8, learning_rate=3e-3, max_tokens=32, seed=1)
    model = _model(model_dir, tokenizer, config)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any("lora_" in n for n in trainable) and any("score" in n for n in trainable)
    assert not any("embed_tokens" in n for n in trainable)  # the base stays frozen
    train_records, test_records = _records(48, 0, every=3), _records(20, 1)
    seen: list[tuple[int, int, float]] = []
    info = train(model, tokenizer, train_records, "specialty", classes, config,
                 progress=lambda step, total, loss: seen.append((step, total, loss)))
    assert info["steps"] == 40 and info["stopped_by"] == "steps" and info["tokens"] > 0
    assert [s[0] for s in seen] == list(range(1, 41)) and {s[1] for s in seen} == {40}
    # One cardiology note in three: the rarer class weighs twice as much per note.
    assert info["class_weights"] == {"cardiology": pytest.approx(1.5), "orthopedics": pytest.approx(0.75)}
    first, last = sum(info["losses"][:5]) / 5, sum(info["losses"][-5:]) / 5
    assert last < 0.5 * first, (first, last)
    logits = predict_logits(model, tokenizer, [r["text"] for r in test_records], config)
    assert logits.shape == (len(test_records), 2)
    predictions = predict(model, tokenizer, test_records, classes, config)
    assert len(predictions) == len(test_records) and set(predictions) <= set(classes)
    accuracy = sum(p == r["specialty"] for p, r in zip(predictions, test_records, strict=True)) / len(test_records)
    assert accuracy >= 0.9, accuracy


def test_budget_max_steps_and_cancel_are_read_before_every_step(tiny: tuple[Path, object]) -> None:
    from appliance.evaluate.lora_head import train

    model_dir, tokenizer = tiny
    records, classes = _records(32, 2), ["cardiology", "orthopedics"]
    steps = [0]

    def clock() -> float:  # ten seconds per finished step, whatever the machine's pace
        return 10.0 * steps[0]

    def count(step: int, total: int, loss: float) -> None:
        steps[0] = step

    config = HeadConfig(budget_seconds=35, epochs=5, batch_size=8, max_tokens=16)
    info = train(_model(model_dir, tokenizer, config), tokenizer, records, "specialty", classes, config,
                 progress=count, clock=clock)
    # Steps start at 0, 10 and 20 s; a fourth, from 30 s, would end at 40 s, past the 35 s budget.
    assert (info["steps"], info["stopped_by"], info["planned_steps"]) == (3, "budget", 20)
    assert info["epochs"] == 0.75 and info["train_seconds"] == 30.0

    config = HeadConfig(max_steps=3, epochs=5, batch_size=8, max_tokens=16)
    info = train(_model(model_dir, tokenizer, config), tokenizer, records, "specialty", classes, config)
    assert (info["steps"], info["stopped_by"], info["planned_steps"]) == (3, "steps", 3)

    steps[0] = 0
    config = HeadConfig(max_steps=10, batch_size=8, max_tokens=16)
    info = train(_model(model_dir, tokenizer, config), tokenizer, records, "specialty", classes, config,
                 progress=count, should_stop=lambda: steps[0] >= 2)
    assert (info["steps"], info["stopped_by"]) == (2, "cancelled")


def test_bad_settings_and_labels_are_refused(tiny: tuple[Path, object]) -> None:
    from appliance.errors import UsageError
    from appliance.evaluate.lora_head import train

    with pytest.raises(UsageError, match="budget"):
        HeadConfig(budget_seconds=0)
    with pytest.raises(UsageError, match="lora_r"):
        HeadConfig(lora_r=0)
    model_dir, tokenizer = tiny
    config = HeadConfig(max_steps=1, max_tokens=16)
    model = _model(model_dir, tokenizer, config)
    with pytest.raises(UsageError, match="not among the classes: neurology"):
        train(model, tokenizer, [{"text": "x", "specialty": "neurology"}], "specialty", ["cardiology"], config)
    with pytest.raises(UsageError, match="needs a value in 'specialty'"):
        train(model, tokenizer, [{"text": "x"}], "specialty", ["cardiology"], config)


def test_it_is_a_registered_classify_only_method_in_every_list() -> None:
    from appliance import compare
    from appliance.cli import build_parser
    from appliance.compare import CompareRequest

    method = METHODS["lora-head"]
    assert method.kind == "adapter" and method.tasks == ("classify",) and not method.tuned
    assert "lora-head" in ordered() and "lora-head" in compare.METHODS and "lora-head" in compare.BASELINES
    assert "lora-head" not in tuned_names()  # trained by its own runner, not the generative engine
    assert CompareRequest(dataset="ward", methods=["lora-head"]).methods == ["lora-head"]
    with pytest.raises(InvalidInput, match="classify task only"):
        CompareRequest(dataset="ward", task="summarize", methods=["lora-head"])
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest and a.choices and "compare" in a.choices)  # type: ignore[operator]
    assert "lora-head" in sub.choices["compare"].format_help()  # type: ignore[index]


def test_tune_settings_are_the_heads_defaults_under_tune_config_names() -> None:
    from dataclasses import fields

    from appliance.compare.lora_head import check_tune_overrides, tune_defaults
    from appliance.errors import UsageError
    from appliance.tune.config import TuneConfig

    defaults, head = tune_defaults(), HeadConfig()
    assert set(defaults) <= {f.name for f in fields(TuneConfig)}  # the Tune page's form shows them
    assert defaults["max_seq_len"] == head.max_tokens and defaults["learning_rate"] == head.learning_rate
    assert METHODS["lora-head"].own_trainer and not METHODS["lora"].own_trainer
    check_tune_overrides(defaults)
    check_tune_overrides({"max_steps": 3, "scheduler": "linear"})  # a setting it does not read is ignored
    with pytest.raises(UsageError, match="lora_dropout"):
        check_tune_overrides({"lora_dropout": 1.5})
    with pytest.raises(UsageError, match="learning_rate"):
        check_tune_overrides({"learning_rate": -1.0})
