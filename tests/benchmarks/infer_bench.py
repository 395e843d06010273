"""Decode speed on the default model: PyTorch eager fp32 vs ONNX fp32 vs ONNX int8, side by side.

Loads SmolLM2-135M-Instruct (the converted Hugging Face directory from the machine's conversion cache,
else converted from the GGUF file), exports it as ``onnx`` and ``onnx-int8`` exactly as those formats
write it (no parity run: this script compares the greedy tokens itself), then greedy-decodes
`--tokens` tokens for each of `--prompts` prompts with every backend and prints, per backend:

- prefill time and decode tokens/s (every step after the prompt), wall-clock and CPU time of this
  process. On a machine shared with other work wall-clock measures the neighbours too; with one
  thread the CPU time is what one dedicated core would take.
- the ratio to PyTorch eager fp32 (target: ONNX int8 >= 2x);
- the fraction of the memory-bandwidth ceiling reached: a decode step reads every weight once, so a
  backend cannot beat ``bandwidth / weight bytes read per token`` tokens/s. The bandwidth is
  ``--bandwidth-gbs`` (default 25 GB/s) or, with ``--measure-bandwidth``, a one-thread copy measured here.

End-of-sequence tokens are ignored so that every backend decodes the same number of steps; the
backends run interleaved prompt by prompt, so a neighbour's burst of work hits them alike. A fourth
row, ONNX int8 through optimum's ``forward`` (the generic path, same session), shows what the
IO-binding decode loop of `appliance.runtime.decoding.OrtDecoder` changes. Run by hand:

    .venv/bin/python tests/benchmarks/infer_bench.py                    # ~3-5 min on 2 CPU cores
    .venv/bin/python tests/benchmarks/infer_bench.py --workdir /tmp/ib   # keep the exports for a re-run
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import appliance  # noqa: E402,F401  (offline switches before any Hugging Face import)

DEFAULT_ID = "smollm2-135m-instruct"
PROMPTS = [
    "Summarize in one sentence: 64-year-old with chest pain radiating to the left arm, troponin elevated.",
    "Which specialty should see a patient with sudden slurred speech and right-sided weakness?",
    "Triage as urgent or routine: fever 38.9 C and productive cough for three days in a 70-year-old.",
    "List two complications to watch for after an uncomplicated laparoscopic appendectomy.",
    "What does an HbA1c of 9.1% indicate for a patient with type 2 diabetes?",
    "Write a one-line discharge instruction for a patient started on warfarin.",
    "Explain in plain words what a negative D-dimer test means.",
    "Name the first-line imaging for suspected kidney stones in an adult.",
]


@dataclass
class Row:
    label: str
    generator: Any
    weight_bytes: int  # read per decode step
    prefill_wall: float = 0.0
    prefill_cpu: float = 0.0
    decode_wall: float = 0.0
    decode_cpu: float = 0.0
    steps: int = 0
    outputs: list[list[int]] = field(default_factory=list)


def base_dir_for(args: argparse.Namespace, work: Path) -> Path:
    """The default model as a Hugging Face directory: given, cached by the appliance, or converted here."""
    from appliance import base_models
    from appliance.runtime.loading import load_pretrained

    if args.model is not None and args.model.is_dir():
        return args.model
    entry = base_models.manifest_entry(DEFAULT_ID)
    cached = base_models.conversion_cache_dir() / entry.sha256 / "files"
    if args.model is None and (cached / "config.json").is_file():
        return cached
    gguf = args.model or base_models.find_model_file(entry)
    if gguf is None:
        sys.exit(f"{entry.file} not found: run 'make model'")
    target = work / "base"
    if not (target / "config.json").is_file():
        started = time.monotonic()
        model, tokenizer = load_pretrained(gguf)
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
        print(f"converted {gguf.name} in {time.monotonic() - started:.0f} s", flush=True)
    return target


def make_exports(base: Path, work: Path) -> dict[str, Path]:
    """``onnx`` and ``onnx-int8`` written by the formats' own code (reused when the workdir has them)."""
    import torch

    from appliance.export.formats.onnx_fp32 import ONNX_FILE, export_onnx
    from appliance.export.formats.onnx_int8 import quantize_export
    from appliance.runtime.loading import load_causal_lm, load_tokenizer

    dirs = {"onnx": work / "onnx", "onnx-int8": work / "onnx-int8"}
    if not (dirs["onnx"] / ONNX_FILE).is_file():
        started = time.monotonic()
        shutil.rmtree(dirs["onnx"], ignore_errors=True)
        dirs["onnx"].mkdir(parents=True)
        export_onnx(load_causal_lm(base, dtype=torch.float32, for_inference=True), load_tokenizer(base), dirs["onnx"])
        print(f"exported onnx in {time.monotonic() - started:.0f} s", flush=True)
    if not (dirs["onnx-int8"] / ONNX_FILE).is_file():
        started = time.monotonic()
        shutil.rmtree(dirs["onnx-int8"], ignore_errors=True)
        dirs["onnx-int8"].mkdir(parents=True)
        quantize_export(dirs["onnx"], dirs["onnx-int8"])
        print(f"quantized onnx-int8 in {time.monotonic() - started:.0f} s", flush=True)
    return dirs


def torch_weight_bytes(model: Any) -> int:
    """Bytes of weights one decode step reads: every unique parameter, except an input embedding that
    is not tied to the output head (a step gathers one row of it)."""
    unique = {p.data_ptr(): p.numel() * p.element_size() for p in model.parameters()}
    emb_in, emb_out = model.get_input_embeddings(), model.get_output_embeddings()
    untied = emb_out is None or emb_in.weight.data_ptr() != emb_out.weight.data_ptr()
    gathered = emb_in.weight.numel() * emb_in.weight.element_size() if untied else 0
    return sum(unique.values()) - gathered


def onnx_weight_bytes(onnx_path: Path) -> int:
    """Initializer bytes, except those only ever gathered from (an untied embedding table)."""
    import numpy as np
    import onnx
    from onnx import helper

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    users: dict[str, set[str]] = {}
    for node in graph.node:
        for position, name in enumerate(node.input):
            users.setdefault(name, set()).add(node.op_type if position == 0 else f"{node.op_type}:{position}")
    total = 0
    for init in graph.initializer:
        if users.get(init.name) == {"Gather"}:
            continue
        itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(init.data_type)).itemsize
        total += int(np.prod(init.dims, dtype=np.int64)) * itemsize
    return total


def measure_bandwidth(megabytes: int = 512) -> float:
    """GB/s of a one-thread copy of a buffer far larger than the caches (bytes read + bytes written)."""
    import numpy as np

    src = np.ones(megabytes * 2**20 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - started)
    return 2 * src.nbytes / best / 1e9


def decode(row: Row, ids: list[int], tokens: int) -> None:
    """Greedy-decode `tokens` tokens (eos ignored) the way `CausalLMGenerator.greedy` does, timing the
    prompt pass and the steps after it separately."""
    import numpy as np

    run = row.generator.start(len(ids) + tokens)
    wall, cpu = time.perf_counter(), time.process_time()
    logits = run(list(ids))
    token = int(np.argmax(logits[-1]))
    wall_prefill, cpu_prefill = time.perf_counter(), time.process_time()
    produced = [token]
    while len(produced) < tokens:
        logits = run([token])
        token = int(np.argmax(logits[-1]))
        produced.append(token)
    row.prefill_wall += wall_prefill - wall
    row.prefill_cpu += cpu_prefill - cpu
    row.decode_wall += time.perf_counter() - wall_prefill
    row.decode_cpu += time.process_time() - cpu_prefill
    row.steps += tokens - 1
    row.outputs.append(produced)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, default=None,
                        help="GGUF file or Hugging Face directory (default: the embedded SmolLM2-135M-Instruct)")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=48, help="greedy tokens per prompt")
    parser.add_argument("--threads", type=int, default=1, help="torch and ONNX Runtime intra-op threads")
    parser.add_argument("--bandwidth-gbs", type=float, default=25.0, help="memory bandwidth for the ceiling")
    parser.add_argument("--measure-bandwidth", action="store_true",
                        help="use a one-thread copy measured here instead of --bandwidth-gbs")
    parser.add_argument("--no-loop-reference", action="store_true",
                        help="skip the ONNX int8 row through optimum's forward")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the converted base and exports here")
    args = parser.parse_args()
    if args.tokens < 2:
        parser.error("--tokens must be at least 2 (one prompt pass and one decode step)")

    import torch

    torch.set_num_threads(args.threads)  # before loading: ONNX Runtime sessions take torch's thread count

    from appliance.export.formats.onnx_fp32 import ONNX_FILE, load_ort
    from appliance.runtime.decoding import CausalLMGenerator, encode_prompt
    from appliance.runtime.loading import fix_chatml_special_tokens, load_causal_lm, load_tokenizer

    work = args.workdir or Path(tempfile.mkdtemp(prefix="infer-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        base = base_dir_for(args, work)
        exports = make_exports(base, work)
        tokenizer = load_tokenizer(base)
        fix_chatml_special_tokens(tokenizer)
        prompts = (PROMPTS * (args.prompts // len(PROMPTS) + 1))[: args.prompts]
        prompt_ids = [encode_prompt(tokenizer, p) for p in prompts]

        model = load_causal_lm(base, dtype=torch.float32, for_inference=True)
        rows = [Row("PyTorch eager fp32", CausalLMGenerator(model, tokenizer), torch_weight_bytes(model))]
        for fmt, label in (("onnx", "ONNX fp32"), ("onnx-int8", "ONNX int8")):
            rows.append(Row(label, load_ort(exports[fmt]), onnx_weight_bytes(exports[fmt] / ONNX_FILE)))
        if not args.no_loop_reference:
            int8 = rows[-1].generator
            rows.append(Row("  int8, optimum fwd", CausalLMGenerator(int8.model, int8.tokenizer, device=int8.device,
                                                                     ort_direct=False), rows[-1].weight_bytes))
        for row in rows:
            decode(Row(row.label, row.generator, 0), prompt_ids[0], 4)  # warm-up: first-call allocations

        load1, load5, _ = os.getloadavg()
        print(f"{DEFAULT_ID if args.model is None else args.model.name}: {len(prompts)} prompts "
              f"({min(map(len, prompt_ids))}-{max(map(len, prompt_ids))} tokens) x {args.tokens} greedy tokens, "
              f"{args.threads} thread(s) for torch and ONNX Runtime, load average {load1:.1f}/{load5:.1f} on "
              f"{os.cpu_count()} CPUs", flush=True)
        for i, ids in enumerate(prompt_ids):
            shift = i % len(rows)  # rotate the order so no backend always runs right after another
            for row in rows[shift:] + rows[:shift]:
                decode(row, ids, args.tokens)
        load1, load5, _ = os.getloadavg()

        if args.measure_bandwidth:
            bandwidth = measure_bandwidth()
            source = f"measured here, one-thread copy; --bandwidth-gbs would be {args.bandwidth_gbs:g}"
        else:
            bandwidth, source = args.bandwidth_gbs, "given with --bandwidth-gbs"
        print_table(rows, bandwidth, source, load1, load5)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def print_table(rows: list[Row], bandwidth: float, source: str, load1: float, load5: float) -> None:
    ref = rows[0]
    ref_wall, ref_cpu = ref.steps / ref.decode_wall, ref.steps / ref.decode_cpu
    print()
    print(f"{'backend':<20}{'weights':>9}{'prefill':>9}{'decode tok/s':>14}{'ms/token':>10}{'x PyTorch':>12}"
          f"{'ceiling':>9}{'of ceiling':>12}{'greedy =':>10}")
    print(f"{'':<20}{'MB/token':>9}{'ms wall':>9}{'wall':>7}{'CPU':>7}{'CPU':>10}{'wall':>6}{'CPU':>6}"
          f"{'tok/s':>9}{'(CPU)':>12}{'PyTorch':>10}")
    for row in rows:
        wall, cpu = row.steps / row.decode_wall, row.steps / row.decode_cpu
        ceiling = bandwidth * 1e9 / row.weight_bytes
        same = sum(a == b for a, b in zip(row.outputs, ref.outputs, strict=True))
        print(f"{row.label:<20}{row.weight_bytes / 1e6:>9.1f}{1000 * row.prefill_wall / len(row.outputs):>9.1f}"
              f"{wall:>7.1f}{cpu:>7.1f}{1000 / cpu:>10.1f}{wall / ref_wall:>5.2f}x{cpu / ref_cpu:>5.2f}x"
              f"{ceiling:>9.1f}{cpu / ceiling:>12.1%}{f'{same}/{len(ref.outputs)}':>10}")
    int8 = next(r for r in rows if r.label == "ONNX int8")
    wall_ratio = (int8.steps / int8.decode_wall) / ref_wall
    cpu_ratio = (int8.steps / int8.decode_cpu) / ref_cpu
    print(f"\nbandwidth {bandwidth:.1f} GB/s ({source}); ceiling = bandwidth / weight bytes read per token")
    print(f"load average at the end {load1:.1f}/{load5:.1f}; prefill is per prompt; 'greedy = PyTorch' counts "
          "prompts whose tokens all equal PyTorch's")
    verdict = "reached" if min(wall_ratio, cpu_ratio) >= 2 else "NOT reached" if max(wall_ratio, cpu_ratio) < 2 \
        else "reached on one clock only"
    print(f"ONNX int8 vs PyTorch eager fp32, decode: {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
          f"(target >= 2x: {verdict})")


if __name__ == "__main__":
    raise SystemExit(main())
