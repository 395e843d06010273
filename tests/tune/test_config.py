"""TuneConfig: validation messages, TOML round trip, unknown keys, presets, fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.errors import InvalidInput
from appliance.tune.config import TuneConfig, presets, size_class
from appliance.tune.methods import tuned_names

INVALID = [
    ({"method": "prefix"}, "method must be one of"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"grad_accum": 1.5}, "grad_accum"),
    ({"max_seq_len": 4}, "max_seq_len"),
    ({"max_steps": 5, "warmup_steps": 5}, "warmup_steps"),
    ({"scheduler": "step"}, "scheduler"),
    ({"lora_dropout": 1.0}, "lora_dropout"),
    ({"method": "lora", "freeze_layers": 2}, "freeze_layers is for method 'full' only; remove it for method 'lora'"),
    ({"method": "full", "target_modules": ["q_proj"]}, "target_modules is for methods 'lora', 'qlora', 'dora' only"),
    ({"method": "full", "lora_r": 4}, "lora_r is for methods"),
    ({"dtype": "float16"}, "dtype"),
    ({"keep_checkpoints": 0}, "keep_checkpoints"),
]


@pytest.mark.parametrize(("values", "message"), INVALID, ids=[m for _, m in INVALID])
def test_invalid_settings_are_refused_with_one_line(values, message) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        TuneConfig.from_dict(values)
    assert "\n" not in str(info.value)


def test_every_field_has_help_text() -> None:
    help_text = TuneConfig.help()
    assert set(help_text) >= {"method", "learning_rate", "packing", "target_modules", "freeze_layers", "dtype"}
    assert all(text.strip() for text in help_text.values())


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown tuning setting.*lerning_rate"):
        TuneConfig.from_dict({"lerning_rate": 1e-4})
    (tmp_path / "t.toml").write_text("method = 'lora'\nlora_rank = 8\n")
    with pytest.raises(InvalidInput, match="lora_rank"):
        TuneConfig.from_toml(tmp_path / "t.toml")


@pytest.mark.parametrize("method", tuned_names())
def test_toml_round_trip(tmp_path: Path, method: str) -> None:
    extra = {"freeze_layers": 1, "freeze_embeddings": True} if method == "full" else {"target_modules": ["q_proj"]}
    config = TuneConfig(method=method, learning_rate=3e-4, max_steps=7, packing=False, **extra)
    path = tmp_path / "tune.toml"
    path.write_text(config.to_toml())
    assert TuneConfig.from_toml(path) == config
    assert TuneConfig.from_dict(config.to_dict()) == config


def test_toml_tune_table_overrides_presets(tmp_path: Path) -> None:
    path = tmp_path / "tune.toml"
    path.write_text("[tune]\nmethod = 'qlora'\nbatch_size = 3\n")
    small = TuneConfig.from_toml(path, n_params=135_000_000)
    assert (small.method, small.batch_size, small.lora_r) == ("qlora", 3, presets("qlora", 135_000_000)["lora_r"])
    large = TuneConfig.from_toml(path, n_params=7_000_000_000)
    assert large.batch_size == 3 and large.gradient_checkpointing and large.lora_r == 64


@pytest.mark.parametrize("method", tuned_names())
def test_presets_are_valid_for_every_size(method: str) -> None:
    for n_params in (135_000_000, 1_500_000_000, 8_000_000_000):
        config = TuneConfig.for_model(method, n_params)
        assert config.method == method
    full, lora = presets("full", 10**8), presets("lora", 10**8)
    assert full["learning_rate"] < lora["learning_rate"]
    assert [size_class(n) for n in (1e8, 1e9, 1e10)] == ["small", "medium", "large"]


def test_fingerprint_ignores_checkpoint_cadence_only() -> None:
    base = TuneConfig()
    assert TuneConfig(checkpoint_every=7, keep_checkpoints=5).fingerprint() == base.fingerprint()
    assert TuneConfig(learning_rate=1e-3).fingerprint() != base.fingerprint()
