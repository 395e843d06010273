"""The training loop: resume equals uninterrupted, packed loss equals per-example loss, events, checkpoints."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

import pytest
import torch

from appliance.data.tasks import IGNORE_INDEX, Example
from appliance.errors import InvalidInput
from appliance.tune import checkpoint as ckpt
from appliance.tune.attention import packed_attention
from appliance.tune.config import TuneConfig
from appliance.tune.methods import prepare
from appliance.tune.plan import DataPlan, build_rows, make_collator
from appliance.tune.steps import evaluate_loss
from appliance.tune.trainer import train
from tests.tune.conftest import counting_examples, tiny_llama


def _config(**overrides) -> TuneConfig:
    values = dict(method="lora", epochs=2, batch_size=2, grad_accum=2, max_seq_len=48, learning_rate=1e-2,
                  lora_dropout=0.1, checkpoint_every=4, warmup_steps=2, seed=11)
    values.update(overrides)
    return TuneConfig(**values)


def _prepared(config: TuneConfig, tmp_path: Path):
    model, _, _ = prepare(config.method, tiny_llama(), config, tmp_path / "scratch")
    return model


def _trainable(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("method", ["lora", "full"])
def test_resume_equals_uninterrupted(tmp_path: Path, examples, method: str) -> None:
    # Two epochs, gradient accumulation, warmup, dropout: every piece of state must come back.
    config = _config(method=method, lora_dropout=0.1 if method == "lora" else 0.0,
                     learning_rate=1e-2 if method == "lora" else 3e-3)
    reference_model = _prepared(config, tmp_path)
    reference = train(reference_model, examples, config, out_dir=tmp_path / "ref")
    assert reference.steps == DataPlan(examples, config).total_steps >= 10

    calls = {"n": 0}

    def stop_after_seven() -> bool:
        calls["n"] += 1
        return calls["n"] > 7  # polled before each step: stops with 7 steps done, between checkpoints

    first = train(_prepared(config, tmp_path), examples, config, out_dir=tmp_path / "run", should_stop=stop_after_seven)
    assert first.cancelled and first.steps == 7 and first.artifact_dir is None
    assert first.checkpoint == tmp_path / "run" / "checkpoint-7"

    resumed_model = _prepared(config, tmp_path)  # fresh adapter: everything must come from the checkpoint
    resumed = train(resumed_model, examples, config, out_dir=tmp_path / "run", resume=True)
    assert resumed.resumed_from == 7 and not resumed.cancelled
    assert resumed.steps == reference.steps
    assert resumed.final_loss == pytest.approx(reference.final_loss, abs=1e-4)
    assert resumed.losses == pytest.approx(reference.losses, abs=1e-4)
    assert resumed.tokens_seen == reference.tokens_seen
    got, want = _trainable(resumed_model), _trainable(reference_model)
    assert got.keys() == want.keys()
    for name in want:
        torch.testing.assert_close(got[name], want[name], atol=1e-5, rtol=1e-4)


def test_same_seed_same_run_other_seed_differs(tmp_path: Path, examples) -> None:
    config = _config(epochs=1, checkpoint_every=0)
    a = train(_prepared(config, tmp_path), examples, config, out_dir=tmp_path / "a")
    b = train(_prepared(config, tmp_path), examples, config, out_dir=tmp_path / "b")
    other = _config(epochs=1, checkpoint_every=0, seed=12)
    c = train(_prepared(other, tmp_path), examples, other, out_dir=tmp_path / "c")
    assert a.losses == b.losses
    assert a.losses != c.losses


def test_packed_loss_equals_per_example_loss(examples) -> None:
    """Packing must not leak attention or targets across examples: the loss over packed rows equals the
    transformers loss of each example on its own, counted only where labels are not IGNORE_INDEX."""
    model = tiny_llama().eval()
    total = count = 0.0
    with torch.no_grad():
        for ex in examples:
            n = sum(1 for label in ex.labels[1:] if label != IGNORE_INDEX)
            out = model(input_ids=torch.tensor([ex.input_ids]), labels=torch.tensor([ex.labels]))
            total += float(out.loss) * n
            count += n
    config = TuneConfig(max_seq_len=128, packing=True)
    rows = build_rows(examples, config)
    assert len(rows) < len(examples) / 2  # several examples per row
    unpacked = build_rows(examples, TuneConfig(max_seq_len=128, packing=False))
    # Both attention paths: transformers' block-diagonal mask, and per-example segments.
    for attention in (nullcontext, packed_attention):
        for batch_rows, keep_logits in ((rows, True), (rows, False), (unpacked, True)):
            with attention(model):
                got, got_count = evaluate_loss(model, batch_rows, make_collator(0), 4, torch.device("cpu"),
                                               keep_logits=keep_logits)
            assert got_count == count
            assert got / got_count == pytest.approx(total / count, abs=1e-5)
    assert model.config._attn_implementation == "sdpa"  # restored


def test_events_are_throttled_and_complete(tmp_path: Path, examples) -> None:
    config = _config(epochs=3, batch_size=1, grad_accum=1, checkpoint_every=10)
    seen: list[tuple[float, dict]] = []

    def slow_listener(event: dict) -> None:
        seen.append((time.monotonic(), event))

    slow = {"n": 0}

    def pace() -> bool:  # about 20 steps per second, so throttling has something to do
        slow["n"] += 1
        time.sleep(0.05)
        return False

    result = train(_prepared(config, tmp_path), examples[:20], config, out_dir=tmp_path / "run",
                   on_event=slow_listener, should_stop=pace, eval_examples=examples[20:26])
    kinds = [e["event"] for _, e in seen]
    progress = [(t, e) for t, e in seen if e["event"] == "progress"]
    assert kinds[-1] == "done" and kinds[-2] == "eval"
    assert set(progress[0][1]) == {"event", "step", "total", "epoch", "loss", "tokens_per_s", "eta_s", "lr"}
    total = DataPlan(examples[:20], config).total_steps
    assert progress[-1][1]["step"] == result.steps == total > 30  # the final one always arrives
    gaps = [b[0] - a[0] for a, b in zip(progress[:-2], progress[1:-1], strict=True)]
    assert min(gaps) >= 0.24  # at most 4 a second; only the final one may come sooner
    assert len(progress) < result.steps
    checkpoints = [e["step"] for _, e in seen if e["event"] == "checkpoint"]
    assert checkpoints == [*range(10, total, 10), total]
    kept = [p.name for p in ckpt.complete_checkpoints(tmp_path / "run")]
    assert kept == [f"checkpoint-{checkpoints[-2]}", f"checkpoint-{total}"]
    assert seen[-1][1]["eval_loss"] == result.eval_loss is not None


def test_resume_ignores_partial_checkpoints_and_refuses_other_settings(tmp_path: Path, examples) -> None:
    config = _config(epochs=1, checkpoint_every=3)
    out = tmp_path / "run"
    train(_prepared(config, tmp_path), examples, config, out_dir=out, should_stop=_stop_at(5))
    # What a kill during a save could leave: a temporary directory, and (never produced by us, but
    # possible after a copy) a checkpoint directory without its state file.
    (out / ".tmp-checkpoint-6").mkdir()
    (out / ".tmp-checkpoint-6" / "trainable.safetensors").write_bytes(b"half")
    (out / "checkpoint-99").mkdir()
    assert ckpt.latest_checkpoint(out) == out / "checkpoint-5"

    result = train(_prepared(config, tmp_path), examples, config, out_dir=out, resume=True)
    assert result.resumed_from == 5 and not (out / ".tmp-checkpoint-6").exists()

    changed = _config(epochs=1, checkpoint_every=3, learning_rate=5e-3)
    with pytest.raises(InvalidInput, match="different tuning settings"):
        train(_prepared(changed, tmp_path), examples, changed, out_dir=out, resume=True)
    with pytest.raises(InvalidInput, match="different training examples"):
        train(_prepared(config, tmp_path), examples[:-1], config, out_dir=out, resume=True)


def _stop_at(steps: int):
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > steps

    return stop


def test_unusable_examples_are_refused(tmp_path: Path) -> None:
    config = _config(max_seq_len=16)
    with pytest.raises(InvalidInput, match="more than max_seq_len=16"):
        train(_prepared(config, tmp_path), [Example(list(range(3, 23)), list(range(3, 23)))], config,
              out_dir=tmp_path / "run")
    with pytest.raises(InvalidInput, match="no training examples"):
        train(_prepared(config, tmp_path), [], config, out_dir=tmp_path / "run")


def test_max_steps_overrides_epochs_and_only_label_tokens_count(tmp_path: Path) -> None:
    examples = counting_examples(12)
    config = _config(epochs=5, max_steps=3, checkpoint_every=0, warmup_steps=0)
    result = train(_prepared(config, tmp_path), examples, config, out_dir=tmp_path / "run")
    assert result.steps == 3
    plan = DataPlan(examples, config)
    assert result.tokens_seen == sum(plan.step(s).tokens for s in range(3))
    assert result.tokens_seen <= sum(len(e) for e in examples) * 3


def test_data_plan_splits_global_batches_across_processes(examples) -> None:
    """What each process trains on depends only on (seed, epoch, step); together the processes cover the
    same rows as one process with the same global batch, and an empty share gets the dummy row."""
    one = DataPlan(examples, TuneConfig(batch_size=4, max_seq_len=48, epochs=2, seed=9), world_size=1)
    two = DataPlan(examples, TuneConfig(batch_size=2, max_seq_len=48, epochs=2, seed=9), world_size=2)
    assert one.total_steps == two.total_steps and one.steps_per_epoch == two.steps_per_epoch
    assert one.order(0) != one.order(1) and one.order(1) == DataPlan(examples, one.config).order(1)
    for step in range(one.total_steps):
        single = [r.example_ids for mb in one.step(step).micro_batches for r in mb]
        parts = [r.example_ids for rank in (0, 1) for mb in two.step(step, rank).micro_batches for r in mb]
        assert single == parts
        assert one.step(step).label_tokens == two.step(step, 1).label_tokens
    last = two.step(two.steps_per_epoch - 1, 1)
    if len(one.rows) % 4 and len(one.rows) % 4 <= 2:
        assert last.micro_batches == [[]]  # runs the dummy row, keeping both processes in step
