"""Adding an export format is one module: the toy format in `toy_format.py` reaches the CLI, the
desktop app's list and the export pipeline without any other file knowing its name."""

from __future__ import annotations

import json

import pytest

from appliance.export import FORMATS
from tests.export.tiny_models import BASE_ID, BASE_SHA, tiny_metric


@pytest.fixture()
def toy_format():
    import importlib
    import sys

    module = importlib.import_module("tests.export.toy_format")  # importing the file registers the format
    yield module.TOY
    # The table is process-wide: leave it as other tests expect it, and let the next import register anew.
    FORMATS.pop(module.TOY.name, None)
    sys.modules.pop(module.__name__, None)


def test_a_format_module_reaches_the_cli_and_the_desktop_list(toy_format) -> None:
    import importlib

    import gui.pages.exports_view as view
    from appliance.cli import build_parser

    args = build_parser().parse_args(["export", "run-1", "--format", "toy-bf16", "--out", "x"])
    assert args.format == "toy-bf16"
    assert importlib.reload(view).FORMAT_HELP["toy-bf16"] == "toy-bf16 — Toy: the merged model with bfloat16 weights."
    FORMATS.pop("toy-bf16")
    with pytest.raises(SystemExit):  # without the module the CLI does not know the name
        build_parser().parse_args(["export", "run-1", "--format", "toy-bf16", "--out", "x"])
    importlib.reload(view)


def test_the_pipeline_writes_checks_and_loads_the_toy_format(toy_format, tiny, prompts, tmp_path) -> None:
    from appliance.export import ExportRequest, export, load_generator

    out = tmp_path / "toy"
    request = ExportRequest(
        fmt="toy-bf16", base_dir=tiny["base"], adapter_dir=tiny["lora"], model_dir=None, out_dir=out,
        base_model_id=BASE_ID, base_model_sha256=BASE_SHA,
        metadata={"run_id": "run-toy", "dataset_sha256": "cd" * 32, "approver": "rex"},
    )
    manifest = export(request, prompts, metric=tiny_metric)
    assert manifest["format"] == "toy-bf16"
    assert manifest["format_details"]["dtype"] == "bfloat16"
    assert manifest["parity"]["passed"] is True
    assert json.loads((out / "export.json").read_text())["format"] == "toy-bf16"
    config = json.loads((out / "config.json").read_text())
    assert config.get("torch_dtype", config.get("dtype")) == "bfloat16"
    generator = load_generator(out)
    ids = generator.tokenizer.encode(prompts[0])
    assert len(generator.greedy(ids, 4)) >= 1
    assert generator.next_token_logits(ids).shape == (len(generator.tokenizer),)
