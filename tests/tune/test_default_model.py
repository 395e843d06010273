"""End to end on the real default model (SmolLM2-135M-Instruct, GGUF): LoRA for a few steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.data.tasks import TaskConfig, build_example
from appliance.synthetic import generate, to_record_dict
from appliance.tune.config import TuneConfig
from appliance.tune.estimate import calibrate, estimate
from appliance.tune.methods import prepare
from appliance.tune.trainer import train


@pytest.mark.slow
def test_lora_on_the_default_model(tmp_path: Path, default_model_file: Path) -> None:
    # batch_size 2 over two examples: every step sees the same batch, so three steps must lower its loss.
    config = TuneConfig(method="lora", max_steps=3, batch_size=2, max_seq_len=128, learning_rate=2e-3,
                        lora_dropout=0.0, checkpoint_every=0, packing=False)
    model, tokenizer, info = prepare("lora", default_model_file, config, tmp_path / "scratch")
    assert tokenizer is not None and info.architecture == "llama"
    assert 130e6 < info.total_params < 140e6 and info.trainable_params == 4_884_480

    records = [to_record_dict(note) for note in generate(2, seed=1)]
    task = TaskConfig(max_length=128, label_set=("cardiology", "pulmonology", "gastroenterology", "neurology",
                                                 "endocrinology", "infectious disease", "nephrology", "orthopedics"))
    examples = [build_example("classify", {**r, "specialty": task.label_set[0]}, tokenizer, task) for r in records]
    assert all(len(e) <= 128 for e in examples)

    cal = calibrate(model, examples, config, rows=2, steps=1)
    est = estimate(info, config, "cpu", calibration=cal, rows_per_epoch=2)
    result = train(model, examples, config, out_dir=tmp_path / "run")

    assert result.steps == 3 and not result.cancelled
    assert result.losses[2] < result.losses[0], result.losses
    assert result.artifact_dir is not None and (result.artifact_dir / "adapter_model.safetensors").exists()
    assert result.artifact_bytes < 25 * 2**20  # adapter only: ~4.9M fp32 parameters
    assert est.seconds_per_step is not None and est.seconds_per_step > 0
    # The estimate is meant to be on the safe side, but not absurdly so.
    assert 0.7 < est.total_bytes / result.peak_memory_bytes < 4, (est.total_bytes, result.peak_memory_bytes)
