"""Run one training from a JSON spec file, in one process or in several (data parallel).

One process (a job subprocess, or by hand):

    python -m appliance.tune.launch spec.json

N processes on one machine (CPU: gloo; GPU: NCCL), each running the same spec:

    python -m torch.distributed.run --nproc_per_node N -m appliance.tune.launch spec.json

On GPUs, `accelerate launch --config_file <ddp|fsdp|deepspeed>.yaml -m appliance.tune.launch spec.json`
selects the distributed engine by configuration. Do not use `accelerate launch --cpu --num_processes N`
for CPU: without MPI it starts a single process. `config.batch_size` is per process, so N processes
with batch_size B train on the same global batch as one process with batch_size N x B.

Spec keys:
  model          GGUF file or Hugging Face model directory (required)
  examples       JSON-lines file, one {"input_ids": [...], "labels": [...]} per line (required)
  out_dir        checkpoints, artifact and result.json go here (required; private scratch space)
  config         table of TuneConfig settings (or config_toml: path of a TOML file)
  method         overrides config.method
  eval_examples  JSON-lines file like examples (optional)
  scratch_dir    where QLoRA puts converted base weights (default out_dir/scratch)
  resume         continue from the newest complete checkpoint (default false)
  stop_file      if this file appears, stop after the current step with a checkpoint (cancellation)
  pad_id         token id used for padding (default 0; padding is never attended to nor scored)

Output: JSON lines on stdout from the main process (the events of `appliance.tune.trainer`); on
success `out_dir/result.json`. SIGTERM and SIGINT cancel gracefully (checkpoint, then exit 0 with
"cancelled": true). A user-caused failure prints one line on stderr and exits with its documented code.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from appliance.errors import EXIT_ERROR, EXIT_USAGE, ApplianceError, InvalidInput, UsageError

SPEC_KEYS = frozenset({"model", "examples", "out_dir", "config", "config_toml", "method", "eval_examples",
                       "scratch_dir", "resume", "stop_file", "pad_id"})


def read_examples(path: Path) -> list[Any]:
    from appliance.data.tasks import Example

    examples = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    examples.append(Example([int(t) for t in row["input_ids"]], [int(t) for t in row["labels"]]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a JSON-lines file of examples ({exc.__class__.__name__})") from None
    return examples


def write_examples(path: Path, examples: Iterable[Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps({"input_ids": list(ex.input_ids), "labels": list(ex.labels)}) + "\n")


def load_spec(path: Path) -> dict[str, Any]:
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable JSON spec ({exc.__class__.__name__})") from None
    if not isinstance(spec, dict):
        raise UsageError(f"{path}: the spec must be a JSON object")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise UsageError(f"{path}: unknown spec key(s) {', '.join(unknown)}")
    missing = [k for k in ("model", "examples", "out_dir") if k not in spec]
    if missing:
        raise UsageError(f"{path}: missing spec key(s) {', '.join(missing)}")
    return spec


def spec_config(spec: dict[str, Any]) -> Any:
    from appliance.tune.config import TuneConfig

    values: dict[str, Any] = {}
    if "config_toml" in spec:
        values.update(TuneConfig.from_toml(spec["config_toml"]).to_dict())
    values.update(spec.get("config") or {})
    if "method" in spec:
        values["method"] = spec["method"]
    return TuneConfig.from_dict(values)


def run(
    spec: dict[str, Any],
    *,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Any:
    """Prepare the model and train as the spec says; returns the TrainResult."""
    from appliance.tune.prepared import prepare
    from appliance.tune.trainer import train

    config = spec_config(spec)
    out_dir = Path(spec["out_dir"])
    scratch = Path(spec.get("scratch_dir") or out_dir / "scratch")
    examples = read_examples(Path(spec["examples"]))
    eval_examples = read_examples(Path(spec["eval_examples"])) if spec.get("eval_examples") else None
    model, _tokenizer, _info = prepare(config.method, spec["model"], config, scratch)
    stop_file = Path(spec["stop_file"]) if spec.get("stop_file") else None

    def stop() -> bool:
        return bool((should_stop and should_stop()) or (stop_file is not None and stop_file.exists()))

    result = train(model, examples, config, out_dir=out_dir, resume=bool(spec.get("resume")), on_event=on_event,
                   should_stop=stop, eval_examples=eval_examples, pad_id=int(spec.get("pad_id", 0)))
    return result


def _print_event(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        sys.stderr.write("usage: python -m appliance.tune.launch SPEC.json\n")
        return EXIT_USAGE
    stopping = {"flag": False}

    def request_stop(_signum: int, _frame: Any) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        spec = load_spec(Path(args[0]))
        result = run(spec, on_event=_print_event, should_stop=lambda: stopping["flag"])
    except ApplianceError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except MemoryError:
        sys.stderr.write("error: out of memory; lower batch_size or max_seq_len, or use gradient checkpointing\n")
        return EXIT_ERROR
    from accelerate import PartialState

    state = PartialState()
    if state.is_main_process:
        out = Path(spec["out_dir"]) / "result.json"
        out.write_text(json.dumps(result.to_dict(), indent=1))
    if state.num_processes > 1:
        state.wait_for_everyone()
        state.destroy_process_group()
    return 0


if __name__ == "__main__":  # the package import above already enforced offline mode
    sys.exit(main())
