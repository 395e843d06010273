"""Resumable checkpoints, written so that a kill at any instant never leaves one that resume would pick.

Layout of `out_dir/checkpoint-<step>/`:
  trainable.safetensors  the trainable parameters only (the adapter for the LoRA family)
  optimizer.pt, scheduler.pt
  rng-<rank>.pt          python, numpy, torch (and CUDA) generator states of each process
  state.json             step, epoch, losses so far, tokens seen, config and data fingerprints

Atomicity: everything is written into `out_dir/.tmp-checkpoint-<step>/`, flushed to disk, and the
directory is then renamed to `checkpoint-<step>` (a rename within one file system is atomic). Resume
only looks at directories named `checkpoint-<digits>` that contain `state.json`; temporary directories
are removed at the next save or resume. Only the newest `keep` complete checkpoints are kept.

Hazards:
- Checkpoints hold trainable weights derived from PHI-bearing notes: `out_dir` must be a private
  scratch directory that is sealed into the encrypted store, never a shared location.
- With several processes, optimizer state is taken from the main process; this is right for DDP
  (replicated state) but not for sharded optimizers (FSDP, DeepSpeed ZeRO), which are not resumable here.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from appliance.errors import InvalidInput
from appliance.store.keyslots import fsync_dir

_NAME = re.compile(r"^checkpoint-(\d+)$")
STATE_FILE = "state.json"
WEIGHTS_FILE = "trainable.safetensors"


@dataclass
class TrainState:
    """Where a run is: enough, with the data plan, to continue exactly."""

    step: int  # optimizer steps completed
    total_steps: int
    epoch: int
    losses: list[float] = field(default_factory=list)
    tokens_seen: int = 0
    train_seconds: float = 0.0
    config_hash: str = ""
    data_hash: str = ""
    world_size: int = 1

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> TrainState:
        return cls(**json.loads(text))


def complete_checkpoints(out_dir: Path) -> list[Path]:
    """Complete checkpoints in `out_dir`, oldest first."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    found = []
    for child in out_dir.iterdir():
        match = _NAME.match(child.name)
        if match and child.is_dir() and (child / STATE_FILE).is_file():
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def latest_checkpoint(out_dir: Path) -> Path | None:
    found = complete_checkpoints(out_dir)
    return found[-1] if found else None


def remove_partial(out_dir: Path) -> None:
    """Remove leftovers of interrupted saves (only ever temporary directories)."""
    for child in Path(out_dir).glob(".tmp-checkpoint-*"):
        shutil.rmtree(child, ignore_errors=True)


def _fsync_tree(path: Path) -> None:
    for child in path.iterdir():
        with open(child, "rb") as fh:
            os.fsync(fh.fileno())
    fsync_dir(path)


def rng_state() -> dict[str, Any]:
    np_state: tuple[Any, ...] = tuple(np.random.get_state())
    state: dict[str, Any] = {
        "python": random.getstate(),
        # As a tensor: torch.load(weights_only=True) refuses numpy arrays.
        "numpy": (np_state[0], torch.from_numpy(np.asarray(np_state[1]).copy()), *np_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy(), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def trainable_state(model: Any) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().contiguous() for n, p in model.named_parameters() if p.requires_grad}


def save_checkpoint(
    out_dir: Path,
    state: TrainState,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    *,
    rank: int = 0,
    is_main: bool = True,
    barrier: Callable[[], None] = lambda: None,
    keep: int = 2,
) -> Path:
    """Write checkpoint-<state.step> atomically; every process must call this (it synchronises them).

    `model` is the unwrapped model. Returns the final path.
    """
    out_dir = Path(out_dir)
    final = out_dir / f"checkpoint-{state.step}"
    tmp = out_dir / f".tmp-checkpoint-{state.step}"
    if is_main:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(mode=0o700)
    barrier()
    torch.save(rng_state(), tmp / f"rng-{rank}.pt")
    barrier()
    if is_main:
        save_file(trainable_state(model), str(tmp / WEIGHTS_FILE))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        (tmp / STATE_FILE).write_text(state.to_json())
        _fsync_tree(tmp)
        if final.exists():  # the same step saved before (a resumed run ending where it started)
            shutil.rmtree(final)
        os.replace(tmp, final)
        fsync_dir(out_dir)
        for old in complete_checkpoints(out_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    barrier()
    return final


def read_state(path: Path) -> TrainState:
    try:
        return TrainState.from_json((Path(path) / STATE_FILE).read_text())
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput(f"{path.name}: unreadable checkpoint state ({exc.__class__.__name__})") from None


def load_checkpoint(path: Path, model: Any, optimizer: Any, scheduler: Any, *, rank: int = 0) -> TrainState:
    """Restore weights, optimizer and scheduler from `path`; return its state. RNG is restored
    separately (`load_rng`) right before training continues, so nothing in between consumes it."""
    path = Path(path)
    state = read_state(path)
    weights = load_file(str(path / WEIGHTS_FILE))
    params = dict(model.named_parameters())
    wanted = {n for n, p in params.items() if p.requires_grad}
    if set(weights) != wanted:
        raise InvalidInput(f"{path.name} does not match this model's trainable parameters; was it another method?")
    with torch.no_grad():
        for name, tensor in weights.items():
            params[name].copy_(tensor.to(params[name].device, params[name].dtype))
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", map_location="cpu", weights_only=True))
    scheduler.load_state_dict(torch.load(path / "scheduler.pt", weights_only=True))
    return state


def load_rng(path: Path, rank: int = 0) -> None:
    rng_file = Path(path) / f"rng-{rank}.pt"
    if not rng_file.exists():
        rng_file = Path(path) / "rng-0.pt"
    set_rng_state(torch.load(rng_file, weights_only=True))
