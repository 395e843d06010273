"""Adding a tuning method is one file: the toy method in `toy_method.py` shows up in the CLI choices, the
config presets, the estimator, the desktop app's lists and the comparison, and trains end to end."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch

from appliance.tune.config import TuneConfig, presets
from appliance.tune.methods import METHODS, specific_settings, tuned_names, unregister
from tests.conftest import PASSWORDS
from tests.services.conftest import notes_ws, tiny_ws  # noqa: F401  (fixtures used below)
from tests.tune.conftest import counting_examples, tiny_llama


@pytest.fixture
def toy():
    sys.modules.pop("tests.tune.toy_method", None)
    module = importlib.import_module("tests.tune.toy_method")
    yield module
    unregister("norms")
    sys.modules.pop("tests.tune.toy_method", None)


def _choices(parser, *path: str) -> dict[str, object]:
    """The options of `appliance <path>` as {flag: choices or help}."""
    for name in path:
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        parser = sub.choices[name]
    return {flag: (a.choices or a.help) for a in parser._actions for flag in a.option_strings}


def test_a_method_in_one_file_reaches_every_list(toy) -> None:
    from appliance.cli import build_parser
    from appliance.compare import METHODS as COMPARED
    from appliance.compare import TUNED, CompareRequest
    from appliance.evaluate.runs import METHODS as RUN_METHODS
    from appliance.tune.service import TUNING_METHODS, TuneRequest

    assert "norms" in METHODS and "norms" in tuned_names() and "norms" in TUNING_METHODS
    parser = build_parser()
    assert "norms" in _choices(parser, "tune")["--method"]
    assert "norms" in str(_choices(parser, "compare")["--methods"])
    # The comparison orders it by its cost rank: after TF-IDF (rank 2), before LoRA (rank 4).
    assert COMPARED.index("tfidf") < COMPARED.index("norms") < COMPARED.index("lora") and "norms" in TUNED
    assert RUN_METHODS["norms"].label == "norm tuning" and RUN_METHODS["norms"].kind == "adapter"
    assert CompareRequest(dataset="ward", methods=["norms", "icl"],
                          method_overrides={"norms": {"learning_rate": 1e-3}}).methods == ["norms", "icl"]
    assert TuneRequest(dataset="ward", method="norms").method == "norms"
    # Its presets come from its registration; the LoRA settings are refused for it like for full.
    assert presets("norms", 10**8) == {"method": "norms", "learning_rate": 1e-2, "batch_size": 4}
    assert "norms" not in specific_settings()["lora_r"]
    with pytest.raises(Exception, match="lora_r is for methods"):
        TuneConfig(method="norms", lora_r=4)


def test_the_toy_method_trains_and_is_estimated(toy, tmp_path: Path) -> None:
    from appliance.tune.estimate import estimate
    from appliance.tune.prepared import prepare
    from appliance.tune.trainer import train

    config = TuneConfig.for_model("norms", 10**8, {"max_steps": 6, "max_seq_len": 64, "checkpoint_every": 0})
    model, _, info = prepare("norms", tiny_llama(), config, tmp_path / "scratch")
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("norm" in n for n in trainable)
    # The method's memory model: its own trainable count matches the prepared model's.
    assert toy._norm_params(info, config) == info.trainable_params
    lora_info = prepare("lora", tiny_llama(), TuneConfig(), tmp_path / "s2")[2]
    assert estimate(lora_info, config).gradients_bytes == info.trainable_params * 4
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    result = train(model, counting_examples(), config, out_dir=tmp_path / "run")
    changed = {n for n, p in model.named_parameters() if not torch.equal(before[n], p)}
    assert result.steps == 6 and changed == trainable
    assert (result.artifact_dir / "model.safetensors").exists()  # artifact kind "full": every weight


def test_the_comparison_runs_the_toy_method(toy, tiny_ws: Path) -> None:  # noqa: F811
    from appliance.compare import CompareRequest, run_comparison, summaries
    from appliance.workspace import Workspace

    request = CompareRequest(dataset="ward", methods=["norms", "tfidf"], base="tiny-chat",
                             overrides={"max_steps": 2, "max_seq_len": 128}, task_config={"label_field": "triage"},
                             split_seed=1)
    with Workspace.open(tiny_ws, "ivy", PASSWORDS["ivy"]) as ws:
        outcome = run_comparison(ws, request)
        runs = summaries(ws, outcome["runs"])
    assert [r["method"] for r in runs] == ["tfidf", "norms"]
    toy_run = runs[1]
    assert toy_run["steps"] == 2 and toy_run["state"] == "evaluated" and 0 <= toy_run["primary_metric"] <= 1
    assert 0 < toy_run["trainable_params"] < 10_000  # the norms of a tiny model, nothing else
