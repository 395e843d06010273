"""Format ``adapter``: the peft adapter alone (a few MB), plus ``base_model.json`` naming its base.

The adapter is useless without the exact base it was trained on, so ``base_model.json`` records the
base model id and the sha256 the caller vouched for, and ``adapter_config.json``'s
``base_model_name_or_path`` is set to that id instead of the training machine's local path.
Loading (`load`) needs the base directory; it is applied with stock ``PeftModel.from_pretrained``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from appliance.errors import UsageError
from appliance.export.base import BASE_MODEL_JSON, EXACT_RULE, Generator, resolve_dir
from appliance.export.registry import ExportFormat, register_format
from appliance.export.source import ExportSource
from appliance.runtime.decoding import CausalLMGenerator
from appliance.runtime.device import torch_device
from appliance.runtime.loading import load_adapted, load_tokenizer, read_json

ADAPTER_CONFIG = "adapter_config.json"


def write(source: ExportSource, out_dir: Path) -> dict[str, Any]:
    req = source.request
    model = source.reference_model()
    model.save_pretrained(out_dir, safe_serialization=True)
    config_path = out_dir / ADAPTER_CONFIG
    config = read_json(config_path)
    config["base_model_name_or_path"] = req.base_model_id
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    base = {"base_model_id": req.base_model_id, "base_model_sha256": req.base_model_sha256}
    (out_dir / BASE_MODEL_JSON).write_text(json.dumps(base, indent=2) + "\n", encoding="utf-8")
    # The base's tokenizer and chat template travel with the adapter: a server needs them to build prompts.
    source.tokenizer.save_pretrained(out_dir)
    return {"peft_type": config.get("peft_type"), "use_dora": bool(config.get("use_dora")),
            "r": config.get("r"), "target_modules": _json_list(config.get("target_modules"))}


def load(export_dir: Path, base_dir: Path | None = None) -> Generator:
    if base_dir is None:
        base = read_json(export_dir / BASE_MODEL_JSON) if (export_dir / BASE_MODEL_JSON).is_file() else {}
        raise UsageError(
            f"an adapter export needs its base model directory (base_dir) for model "
            f"'{base.get('base_model_id', 'unknown')}'; pass the base it was trained on")
    base_dir = resolve_dir(base_dir, "base model directory")
    device = torch_device()
    tokenizer = load_tokenizer(export_dir, base_dir)
    return CausalLMGenerator(load_adapted(base_dir, export_dir, device), tokenizer, device=device, label="adapter")


def _json_list(value: Any) -> Any:
    return sorted(value) if isinstance(value, list | set | tuple) else value


ADAPTER = register_format(ExportFormat(
    name="adapter",
    description="The LoRA/DoRA adapter alone, with base_model.json naming the base it needs.",
    rule=EXACT_RULE,
    write=write,
    load=load,
    needs_adapter=True,
))
