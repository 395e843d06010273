"""The linear probe: a registered classify-only method that fits logistic regression on the frozen base
model's pooled hidden states; it runs in a comparison and, having no model weights, export refuses it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from appliance.errors import InvalidInput
from appliance.tune.methods import METHODS
from tests.conftest import PASSWORDS
from tests.services.conftest import notes_ws, tiny_ws  # noqa: F401  (fixtures used below)

WORDS = {"cardiology": ["chest", "pain", "heart", "murmur"], "orthopedics": ["fracture", "knee", "bone", "cast"]}


def _records(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = "cardiology" if i % 2 else "orthopedics"
        words = [rng.choice(WORDS[label]) for _ in range(6)] + [rng.choice(["patient", "seen", "today"])]
        out.append({"text": " ".join(rng.sample(words, len(words))), "specialty": label})
    return out


def test_probe_separates_labels_the_hidden_states_separate(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from appliance.evaluate.probe import ProbeConfig, fit_predict, pooled_states
    from tests.tiny import save_tiny_chat_model

    model_dir = save_tiny_chat_model(tmp_path / "tiny")
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    states = pooled_states(model, tokenizer, ["chest pain", "a much longer note about a knee fracture"],
                           ProbeConfig(batch_size=2))
    single = pooled_states(model, tokenizer, ["chest pain"], ProbeConfig(batch_size=1))
    assert states.shape == (2, model.config.hidden_size)
    assert abs(states[0] - single[0]).max() < 1e-4  # padding a shorter note does not change its vector

    train, test = _records(40, 0), _records(20, 1)
    seen: list[tuple[int, int]] = []
    predictions, info = fit_predict(model, tokenizer, train, test, "specialty", ProbeConfig(),
                                    progress=lambda done, total: seen.append((done, total)))
    accuracy = sum(p == r["specialty"] for p, r in zip(predictions, test, strict=True)) / len(test)
    assert accuracy >= 0.9, accuracy
    assert info["features"] == model.config.hidden_size and info["classes"] == ["cardiology", "orthopedics"]
    assert seen[-1] == (60, 60) and info["train_size"] == 40


def test_probe_is_a_registered_classify_only_method() -> None:
    from appliance.compare import CompareRequest

    probe = METHODS["probe"]
    assert probe.kind == "probe" and probe.artifact is None and not probe.tuned and probe.tasks == ("classify",)
    with pytest.raises(InvalidInput, match="classify task only"):
        CompareRequest(dataset="ward", task="summarize", methods=["probe"])


def test_probe_in_a_comparison_and_export_refuses_it(tiny_ws: Path, tmp_path: Path) -> None:  # noqa: F811
    from appliance import registry
    from appliance.compare import CompareRequest, run_comparison, summaries
    from appliance.export.service import export_run
    from appliance.workspace import Workspace

    request = CompareRequest(dataset="ward", methods=["probe"], base="tiny-chat",
                             task_config={"label_field": "triage"}, split_seed=1)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        (run_id,) = run_comparison(ws, request)["runs"]
        (row,) = summaries(ws, [run_id])
    assert row["method"] == "probe" and row["state"] == "evaluated" and 0 <= row["primary_metric"] <= 1
    assert row["trainable_params"] > 0 and row["metrics"]["n"] > 0
    with Workspace.open(tiny_ws, "rex", PASSWORDS["rex"]) as ws:
        registry.approve(ws, run_id, "probe is enough", name="ward-triage-probe")
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:  # exporting is the informaticist's
        for fmt in ("merged", "onnx"):
            with pytest.raises(InvalidInput, match="no model weights to export as " + fmt):
                export_run(ws, run_id, fmt, tmp_path / fmt)
            assert not (tmp_path / fmt).exists()


def _tiny(tmp_path: Path) -> tuple[object, object]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tests.tiny import save_tiny_chat_model

    model_dir = save_tiny_chat_model(tmp_path / "tiny")
    return AutoModelForCausalLM.from_pretrained(model_dir).eval(), AutoTokenizer.from_pretrained(model_dir)


def test_probe_layers_pool_the_chosen_hidden_states_in_the_notes_order(tmp_path: Path) -> None:
    import numpy as np
    import torch

    from appliance.evaluate.probe import ProbeConfig, layer_indices, pooled_states

    model, tokenizer = _tiny(tmp_path)
    texts = ["a much longer note about a knee fracture and a cast", "chest pain", "murmur heard today"]
    hidden = model.config.hidden_size
    last = pooled_states(model, tokenizer, texts, ProbeConfig(batch_size=2, layers="last"))
    middle = pooled_states(model, tokenizer, texts, ProbeConfig(batch_size=2, layers="middle"))
    both = pooled_states(model, tokenizer, texts, ProbeConfig(batch_size=2, layers="middle+last"))
    assert last.shape == middle.shape == (3, hidden) and both.shape == (3, 2 * hidden)
    assert np.allclose(both[:, :hidden], middle, atol=1e-5) and np.allclose(both[:, hidden:], last, atol=1e-5)
    assert not np.allclose(middle, last, atol=1e-3)
    bf16 = pooled_states(model, tokenizer, texts, ProbeConfig(batch_size=2, dtype="bfloat16"))
    assert not np.array_equal(bf16, last) and np.abs(bf16 - last).max() < 0.05 * np.abs(last).max()
    (index,) = layer_indices(model, "middle")
    assert 0 < index < model.config.num_hidden_layers
    for i, text in enumerate(texts):  # batched by length, returned in the order given, padding changes nothing
        ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            states = model.model(input_ids=ids, output_hidden_states=True).hidden_states
        assert np.allclose(last[i], states[-1][0].mean(0).numpy(), atol=1e-4)
        assert np.allclose(middle[i], states[index][0].mean(0).numpy(), atol=1e-4)


def test_probe_settings_are_checked() -> None:
    from appliance.errors import UsageError
    from appliance.evaluate.hybrid import HybridConfig
    from appliance.evaluate.probe import ProbeConfig

    for bad in ({"layers": "first"}, {"dtype": "float16"}, {"c": 0}):
        with pytest.raises(UsageError):
            ProbeConfig(**bad)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        HybridConfig(probe_share=1.5)
    assert set(ProbeConfig.help()) >= {"layers", "dtype", "c", "max_tokens"} and "probe_share" in HybridConfig.help()


def test_tfidf_probe_averages_the_two_models(tmp_path: Path) -> None:
    from appliance.evaluate import classical, hybrid, probe

    model, tokenizer = _tiny(tmp_path)
    train, test = _records(40, 0), _records(20, 1)
    seen: list[tuple[int, int]] = []
    predictions, info = hybrid.fit_predict(model, tokenizer, train, test, "specialty",
                                           progress=lambda done, total: seen.append((done, total)))
    accuracy = sum(p == r["specialty"] for p, r in zip(predictions, test, strict=True)) / len(test)
    assert accuracy >= 0.9, accuracy
    _, words = classical.fit_predict(train, test, "specialty")
    assert info["features"] == words["features"] + model.config.hidden_size
    assert info["classes"] == ["cardiology", "orthopedics"] and seen[-1] == (60, 60)
    # Each end of the average is one model alone: the same predictions as that model's own fit.
    tfidf_only, _ = hybrid.fit_predict(model, tokenizer, train, test, "specialty", hybrid.HybridConfig(probe_share=0))
    probe_only, _ = hybrid.fit_predict(model, tokenizer, train, test, "specialty", hybrid.HybridConfig(probe_share=1))
    assert tfidf_only == classical.fit_predict(train, test, "specialty")[0]
    assert probe_only == probe.fit_predict(model, tokenizer, train, test, "specialty")[0]


def test_tfidf_probe_in_a_comparison(tiny_ws: Path) -> None:  # noqa: F811
    from appliance.compare import CompareRequest, run_comparison, summaries
    from appliance.workspace import Workspace

    method = METHODS["tfidf-probe"]
    assert method.kind == "probe" and method.artifact is None and method.tasks == ("classify",)
    request = CompareRequest(dataset="ward", methods=["tfidf-probe"], base="tiny-chat",
                             task_config={"label_field": "triage"}, split_seed=1)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        (run_id,) = run_comparison(ws, request)["runs"]
        (row,) = summaries(ws, [run_id])
    assert row["method"] == "tfidf-probe" and row["state"] == "evaluated" and 0 <= row["primary_metric"] <= 1
    assert row["metrics"]["n"] > 0 and row["trainable_params"] > 0
    assert row["tokens_per_query"] > 0 and row["infer_seconds_per_record"] > 0 and row["train_seconds"] > 0
