"""Out-of-process training: SIGKILL then resume equals uninterrupted; two processes (torchrun, gloo)
equal one process with the same global batch; the spec file and cancellation by stop file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from appliance.errors import UsageError
from appliance.tune.launch import load_spec, run, spec_config, write_examples
from appliance.tune.plan import DataPlan
from tests.tune.conftest import counting_examples

HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "APPLIANCE_CPU_BF16": "0"}  # golden figures are fp32


def _spec(tmp_path: Path, model_dir: Path, name: str, **config) -> dict:
    examples = tmp_path / "examples.jsonl"
    if not examples.exists():
        write_examples(examples, counting_examples(48))
    values = dict(method="lora", epochs=2, batch_size=2, max_seq_len=48, learning_rate=1e-2, lora_dropout=0.1,
                  checkpoint_every=3, seed=5)
    values.update(config)
    return {"model": str(model_dir), "examples": str(examples), "out_dir": str(tmp_path / name), "config": values}


def _write(tmp_path: Path, spec: dict, name: str) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(spec))
    return path


def _adapter(out_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(out_dir / "artifact" / "adapter_model.safetensors"))


def _assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float) -> None:
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=atol, rtol=1e-4)


def test_sigkill_then_resume_equals_uninterrupted(tmp_path: Path, tiny_dir: Path) -> None:
    spec = _spec(tmp_path, tiny_dir, "killed")
    worker = subprocess.Popen([sys.executable, str(HERE / "kill_worker.py"), str(_write(tmp_path, spec, "k")), "7"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV)
    events = []
    deadline = time.monotonic() + 300
    assert worker.stdout is not None
    for line in worker.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "parked" or time.monotonic() > deadline:
            break
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=60)
    assert events and events[-1]["event"] == "parked", events[-3:]
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [3, 6]
    out = Path(spec["out_dir"])
    # As if the kill had landed in the middle of writing checkpoint 9.
    (out / ".tmp-checkpoint-9").mkdir()
    (out / ".tmp-checkpoint-9" / "optimizer.pt").write_bytes(b"\0" * 10)

    resumed = run({**spec, "resume": True})  # in this process: a fresh model, state only from disk
    assert resumed.resumed_from == 6 and not resumed.cancelled
    assert not (out / ".tmp-checkpoint-9").exists()

    reference = run(_spec(tmp_path, tiny_dir, "reference"))
    assert resumed.steps == reference.steps
    assert resumed.final_loss == pytest.approx(reference.final_loss, abs=1e-4)
    assert resumed.losses == pytest.approx(reference.losses, abs=1e-4)
    _assert_same_weights(_adapter(out), _adapter(tmp_path / "reference"), atol=1e-5)


@pytest.mark.slow  # the same training twice: as two torch.distributed processes, then as one
def test_two_processes_match_one_with_the_same_global_batch(tmp_path: Path, tiny_dir: Path) -> None:
    # Dropout off: each process draws its own dropout masks, so only the dropout-free run is comparable.
    two = _spec(tmp_path, tiny_dir, "two", batch_size=2, lora_dropout=0.0, epochs=1)
    plan = DataPlan(counting_examples(48), spec_config(two), world_size=2)
    assert plan.step(plan.total_steps - 1, rank=1).micro_batches == [[]]  # the last step has a dummy row
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "appliance.tune.launch", str(_write(tmp_path, two, "two"))]
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "done"  # only the main process reports
    assert sum(1 for e in events if e["event"] == "done") == 1
    parallel = json.loads((Path(two["out_dir"]) / "result.json").read_text())

    single = run(_spec(tmp_path, tiny_dir, "one", batch_size=4, lora_dropout=0.0, epochs=1))
    assert parallel["steps"] == single.steps and parallel["tokens_seen"] == single.tokens_seen
    assert parallel["losses"] == pytest.approx(single.losses, abs=1e-5)
    # Adam divides by the root of tiny second moments, so last-bit differences in the reduced gradients
    # show up a little larger in the weights than in the losses.
    _assert_same_weights(_adapter(Path(two["out_dir"])), _adapter(tmp_path / "one"), atol=1e-4)


def test_spec_validation_and_stop_file(tmp_path: Path, tiny_dir: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"model": "m", "examples": "e", "out_dir": "o", "epochz": 1}))
    with pytest.raises(UsageError, match="unknown spec key"):
        load_spec(bad)
    stop = tmp_path / "STOP"
    stop.touch()
    result = run({**_spec(tmp_path, tiny_dir, "stopped"), "stop_file": str(stop)})
    assert result.cancelled and result.steps == 0 and result.checkpoint is not None
