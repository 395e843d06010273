"""The training loop: one function, `train`, read top to bottom as the workflow it is.

Built on `accelerate.Accelerator`, so the same call runs on one CPU, one GPU, or several processes
started by `torch.distributed.run` / `accelerate launch` (see `appliance.tune.launch`).

Where the speed comes from on variable-length notes: examples are packed into full rows
(`appliance.tune.plan`), attention is computed per example inside a row (`appliance.tune.attention`),
and only positions with a loss target go through the output head (`appliance.tune.steps`).

Contracts:
- Determinism: with the same examples, config and number of processes, a CPU fp32 run is repeatable.
  Data order is a function of (seed, epoch) only (`appliance.tune.plan`), dropout draws from generators
  seeded with `config.seed` and saved in every checkpoint.
- Resume: `resume=True` continues from the newest complete checkpoint in `out_dir` and reaches the same
  result as an uninterrupted run. A checkpoint made with other settings or other data is refused.
- Cancellation: `should_stop()` is polled between steps; when it returns True a checkpoint is written
  and the result comes back with `cancelled=True` (and no artifact).
- Loss is only computed where labels are not IGNORE_INDEX, normalised by the number of such tokens in
  the global step, so the update does not depend on how the step is split into micro-batches or
  processes.

Hazards:
- The model is trained in place; on return it holds the trained weights (also on cancellation).
- Checkpoints and the artifact are plaintext weights trained on PHI-derived data: `out_dir` must be a
  private scratch directory that the caller seals into the encrypted store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from appliance.data.packing import TokenExample
from appliance.errors import InvalidInput
from appliance.runtime.device import resolve_dtype
from appliance.tune import checkpoint as ckpt
from appliance.tune import memory
from appliance.tune.attention import packed_attention
from appliance.tune.config import TuneConfig
from appliance.tune.events import EventFn, EventSink
from appliance.tune.plan import DataPlan, StepBatch, build_rows, collate, examples_fingerprint, make_collator
from appliance.tune.prepared import save_artifact
from appliance.tune.steps import (
    accepts_logits_to_keep,
    evaluate_loss,
    make_optimizer,
    make_scheduler,
    micro_loss,
)

ARTIFACT_DIR = "artifact"


@dataclass
class TrainResult:
    steps: int  # optimizer steps completed, counting those before a resume
    total_steps: int
    epochs: float  # passes over the data completed
    final_loss: float  # loss of the last step (mean over its target tokens)
    losses: list[float]  # one per step, from step 1
    tokens_seen: int  # non-padding tokens trained on, all processes, whole run
    wall_time_s: float  # this call
    tokens_per_s: float  # non-padding tokens per second of this call's training loop
    peak_memory_bytes: int  # this process: RSS high-water mark on CPU, allocator peak on CUDA
    trainable_params: int
    cancelled: bool = False
    resumed_from: int | None = None
    checkpoint: Path | None = None
    artifact_dir: Path | None = None
    artifact_bytes: int = 0
    eval_loss: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("checkpoint", "artifact_dir"):
            d[key] = str(d[key]) if d[key] is not None else None
        return d


def make_accelerator(config: TuneConfig) -> Any:
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, PartialState

    mixed = "bf16" if resolve_dtype(config.dtype) == torch.bfloat16 else "no"
    # cpu=True on a machine without CUDA is what selects gloo for several CPU processes.
    try:
        return Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=mixed)
    except ValueError:
        # accelerate keeps its precision setting process-wide; a single process that trains again with
        # another dtype (tests, the benchmark, a GUI session) may reset it. Several processes never do.
        if PartialState().num_processes != 1:
            raise
        AcceleratorState._reset_state()
        return Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=mixed)


def train(
    model: Any,
    train_examples: Sequence[TokenExample],
    config: TuneConfig,
    *,
    out_dir: Path,
    resume: bool = False,
    on_event: EventFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    eval_examples: Sequence[TokenExample] | None = None,
    pad_id: int = 0,
) -> TrainResult:
    """Train `model` (prepared by `appliance.tune.methods.prepare`) on `train_examples`.

    Writes checkpoints to `out_dir/checkpoint-<step>/` and, unless cancelled, the artifact to
    `out_dir/artifact/`. `pad_id` only fills padding, which is never attended to nor scored.
    Raises InvalidInput for unusable examples or a checkpoint that does not belong to this run.
    """
    from accelerate.utils import set_seed

    started = time.monotonic()
    out_dir = Path(out_dir)
    accelerator = make_accelerator(config)
    rank, world, is_main = accelerator.process_index, accelerator.num_processes, accelerator.is_main_process
    events = EventSink(on_event, enabled=is_main)
    set_seed(config.seed)

    plan = DataPlan(train_examples, config, world)
    total = plan.total_steps
    state = ckpt.TrainState(step=0, total_steps=total, epoch=0, config_hash=config.fingerprint(),
                            data_hash=examples_fingerprint(train_examples), world_size=world)
    optimizer = make_optimizer(model, config)
    scheduler = make_scheduler(optimizer, config, total)
    # The scheduler is stepped here, not by accelerate (which would step it once per process).
    model, optimizer = accelerator.prepare(model, optimizer)
    inner = accelerator.unwrap_model(model)
    keep_logits = accepts_logits_to_keep(inner)
    collator = make_collator(pad_id)
    device = accelerator.device
    trainable = sum(p.numel() for p in inner.parameters() if p.requires_grad)

    resumed_from = None
    if is_main:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        ckpt.remove_partial(out_dir)
    accelerator.wait_for_everyone()
    latest = ckpt.latest_checkpoint(out_dir) if resume else None
    if latest is not None:
        state = _resume(latest, state, inner, optimizer, scheduler, rank)
        resumed_from = state.step
        ckpt.load_rng(latest, rank)  # last: nothing may draw from the generators before step one

    def save() -> Path:
        path = ckpt.save_checkpoint(out_dir, state, inner, optimizer, scheduler, rank=rank, is_main=is_main,
                                    barrier=accelerator.wait_for_everyone, keep=config.keep_checkpoints)
        events.emit({"event": "checkpoint", "step": state.step, "path": str(path)})
        return path

    memory.reset_peak(device)
    loop_start, loop_tokens = time.monotonic(), 0
    seconds_before = state.train_seconds
    last_saved: Path | None = latest
    saved_step = state.step if latest is not None else -1
    cancelled = False
    eval_loss = None
    # Per-example attention over packed rows while training and evaluating; restored on any exit.
    with packed_attention(inner):
        model.train()
        while state.step < total:
            if _stop_requested(should_stop, accelerator):
                cancelled = True
                break
            batch_plan = plan.step(state.step, rank)
            step_lr = scheduler.get_last_lr()[0]
            step_loss = _optimizer_step(model, optimizer, batch_plan, collator, accelerator, config, keep_logits)
            scheduler.step()

            state.step += 1
            state.epoch = batch_plan.epoch
            state.losses.append(step_loss)
            state.tokens_seen += batch_plan.tokens
            loop_tokens += batch_plan.tokens
            elapsed = time.monotonic() - loop_start
            state.train_seconds = seconds_before + elapsed
            done_here = state.step - (resumed_from or 0)
            events.progress(
                {
                    "step": state.step,
                    "total": total,
                    "epoch": state.step / plan.steps_per_epoch,
                    "loss": step_loss,
                    "tokens_per_s": loop_tokens / elapsed if elapsed > 0 else 0.0,
                    "eta_s": elapsed / done_here * (total - state.step),
                    "lr": step_lr,
                },
                force=state.step == total,
            )
            if state.step < total and config.checkpoint_every and state.step % config.checkpoint_every == 0:
                last_saved, saved_step = save(), state.step
        loop_seconds = time.monotonic() - loop_start
        if saved_step != state.step:  # the end of the run, or a cancellation
            last_saved = save()
        if not cancelled:  # a cancelled run returns as soon as its checkpoint is safe
            eval_loss = _evaluate(eval_examples, config, model, collator, device, accelerator, keep_logits, events,
                                  state.step)

    artifact_dir, artifact_bytes = None, 0
    if not cancelled:
        if is_main:
            info = save_artifact(inner, out_dir / ARTIFACT_DIR)
            artifact_dir, artifact_bytes = info.path, info.bytes
        accelerator.wait_for_everyone()

    result = TrainResult(
        steps=state.step,
        total_steps=total,
        epochs=state.step / plan.steps_per_epoch,
        final_loss=state.losses[-1] if state.losses else float("nan"),
        losses=list(state.losses),
        tokens_seen=state.tokens_seen,
        wall_time_s=time.monotonic() - started,
        tokens_per_s=loop_tokens / loop_seconds if loop_seconds > 0 else 0.0,
        peak_memory_bytes=memory.peak_bytes(device),
        trainable_params=trainable,
        cancelled=cancelled,
        resumed_from=resumed_from,
        checkpoint=last_saved,
        artifact_dir=artifact_dir,
        artifact_bytes=artifact_bytes,
        eval_loss=eval_loss,
    )
    done = {"event": "done", "steps": result.steps, "total": total, "loss": result.final_loss,
            **{k: v for k, v in result.to_dict().items() if k not in ("losses", "steps", "final_loss")}}
    events.emit(done)
    return result


def _optimizer_step(model: Any, optimizer: Any, batch_plan: StepBatch, collator: Any, accelerator: Any,
                    config: TuneConfig, keep_logits: bool) -> float:
    """Forward and backward over this process's micro-batches, then one optimizer step. Returns the
    step's loss: mean over the target tokens of the whole global step (all processes)."""
    world = accelerator.num_processes
    loss_sum = torch.zeros((), dtype=torch.float64)
    last = len(batch_plan.micro_batches) - 1
    for j, rows in enumerate(batch_plan.micro_batches):
        batch = {k: v.to(accelerator.device) for k, v in collate(rows, collator).items()}
        # Gradients are reduced across processes only on the last micro-batch of a step.
        sync = nullcontext() if j == last or world == 1 else accelerator.no_sync(model)
        with sync, accelerator.autocast():
            loss, _n = micro_loss(model, batch, keep_logits=keep_logits)
            scale = world / max(1, batch_plan.label_tokens)  # DDP averages over processes
            accelerator.backward(loss * scale)
        loss_sum += loss.detach().double().cpu()
    if config.max_grad_norm > 0:
        accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(_sum_across(accelerator, loss_sum)) / max(1, batch_plan.label_tokens)


def _resume(path: Path, fresh: ckpt.TrainState, model: Any, optimizer: Any, scheduler: Any,
            rank: int) -> ckpt.TrainState:
    saved = ckpt.read_state(path)
    if saved.config_hash != fresh.config_hash:
        raise InvalidInput(f"{path.name} was made with different tuning settings; start a new run to change them")
    if saved.data_hash != fresh.data_hash:
        raise InvalidInput(f"{path.name} was made with different training examples; start a new run")
    if saved.world_size != fresh.world_size:
        raise InvalidInput(f"{path.name} was made with {saved.world_size} process(es); resume with the same number")
    return ckpt.load_checkpoint(path, model, optimizer, scheduler, rank=rank)


def _stop_requested(should_stop: Callable[[], bool] | None, accelerator: Any) -> bool:
    """The main process decides; every process learns the decision (they must stop at the same step)."""
    wanted = bool(should_stop and accelerator.is_main_process and should_stop())
    if accelerator.num_processes == 1:
        return wanted
    flag = torch.tensor([1.0 if wanted else 0.0], device=accelerator.device)
    return bool(accelerator.reduce(flag, reduction="sum").item() > 0)


def _sum_across(accelerator: Any, value: torch.Tensor) -> torch.Tensor:
    if accelerator.num_processes == 1:
        return value
    return accelerator.reduce(value.to(accelerator.device), reduction="sum").cpu()


def _evaluate(examples: Sequence[TokenExample] | None, config: TuneConfig, model: Any, collator: Any,
              device: torch.device, accelerator: Any, keep_logits: bool, events: EventSink,
              step: int) -> float | None:
    if not examples:
        return None
    rows = build_rows(examples, config)
    mine = rows[accelerator.process_index :: accelerator.num_processes]
    total, count = evaluate_loss(model, mine, collator, config.batch_size, device, keep_logits=keep_logits)
    sums = _sum_across(accelerator, torch.tensor([total, float(count)], dtype=torch.float64))
    loss = float(sums[0] / max(1.0, float(sums[1])))
    events.emit({"event": "eval", "step": step, "loss": loss, "tokens": int(sums[1])})
    return loss
