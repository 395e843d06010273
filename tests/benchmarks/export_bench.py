"""Export benchmark: PyTorch vs ONNX float32 vs ONNX int8 on the default model (or a tiny one).

Exports the base model as ``onnx`` and ``onnx-int8`` through `appliance.export.export` (parity included),
then greedy-decodes `--tokens` tokens for each of `--prompts` prompts with each backend and prints size
on disk, latency per generated token (prefill included) and tokens/s, side by side with ratios to
PyTorch, and the parity figures.

This is also the end-to-end check of the default model's ONNX export: on 2 shared CPU cores it takes
longer than a test may (GGUF conversion ~1.5 min, each export with parity ~3 min).

Latency is reported twice: wall-clock, and CPU time of this process. On a machine shared with other
work, wall-clock measures the neighbours; with ``--threads 1`` the CPU time is what one dedicated core
would take. Run:

    .venv/bin/python tests/benchmarks/export_bench.py            # SmolLM2-135M-Instruct (GGUF), ~5-10 min
    .venv/bin/python tests/benchmarks/export_bench.py --tiny     # tiny random Llama, seconds
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import appliance  # noqa: E402,F401  (offline switches before any Hugging Face import)

DEFAULT_GGUF = REPO / ".cache" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
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


def base_dir_for(args: argparse.Namespace, work: Path) -> tuple[Path, str]:
    """A Hugging Face directory for the benchmark's base model (converted from GGUF once, then reused)."""
    if args.tiny:
        from tests.export.tiny_models import build_llama, build_tokenizer

        target = work / "tiny-base"
        if not target.exists():
            tokenizer = build_tokenizer()
            build_llama(tokenizer).save_pretrained(target)
            tokenizer.save_pretrained(target)
        return target, "tiny-llama"
    from appliance.base_models import sha256_file
    from appliance.runtime.loading import load_pretrained

    target = work / "smollm2-base"
    if not (target / "config.json").exists():
        started = time.monotonic()
        model, tokenizer = load_pretrained(args.model)
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
        print(f"converted {args.model.name} to {target} in {time.monotonic() - started:.0f} s", flush=True)
        (target / "source.sha256").write_text(sha256_file(args.model))
    return target, "smollm2-135m-instruct"


def dir_bytes(path: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in path.glob(pattern) if p.is_file())


def time_generation(generator, prompt_ids: list[list[int]], tokens: int) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, tokens generated) for greedy decoding of every prompt."""
    generator.greedy(prompt_ids[0], 2)  # warm-up: first-call allocations and graph optimisation
    wall, cpu = time.perf_counter(), time.process_time()
    produced = sum(len(generator.greedy(ids, tokens)) for ids in prompt_ids)
    return time.perf_counter() - wall, time.process_time() - cpu, produced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random Llama instead of the default model")
    parser.add_argument("--model", type=Path, default=DEFAULT_GGUF, help="GGUF file or model directory")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch and ONNX Runtime threads (0: torch's default)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep converted base and exports here")
    args = parser.parse_args()

    import torch

    from appliance.export import ExportRequest, export, load_generator
    from appliance.runtime.decoding import CausalLMGenerator, encode_prompt
    from appliance.runtime.loading import load_causal_lm, load_tokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    base, model_id = base_dir_for(args, work)
    prompts = (PROMPTS * (args.prompts // len(PROMPTS) + 1))[: args.prompts]
    load1, load5, _ = os.getloadavg()
    print(f"model {model_id}; {args.prompts} prompts x {args.tokens} greedy tokens; torch threads "
          f"{torch.get_num_threads()}; load average {load1:.1f}/{load5:.1f} on {os.cpu_count()} CPUs", flush=True)

    docs = {}
    for fmt in ("onnx", "onnx-int8"):
        out = work / f"export-{fmt}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.monotonic()
        docs[fmt] = export(ExportRequest(fmt=fmt, base_dir=base, adapter_dir=None, model_dir=None, out_dir=out,
                                         base_model_id=model_id, base_model_sha256="0" * 64,
                                         metadata={"benchmark": True}), prompts)
        print(f"exported {fmt} in {time.monotonic() - started:.0f} s (parity included)", flush=True)

    tokenizer = load_tokenizer(base)
    prompt_ids = [encode_prompt(tokenizer, p) for p in prompts]
    rows = [("PyTorch fp32", dir_bytes(base, "*.safetensors"),
             lambda: CausalLMGenerator(load_causal_lm(base, dtype=torch.float32, for_inference=True), tokenizer))]
    for fmt, label in (("onnx", "ONNX fp32"), ("onnx-int8", "ONNX int8")):
        out = work / f"export-{fmt}"
        rows.append((label, dir_bytes(out, "model.onnx*"), lambda out=out: load_generator(out)))

    results = []
    for label, size, make in rows:
        generator = make()
        wall, cpu, produced = time_generation(generator, prompt_ids, args.tokens)
        results.append((label, size, 1000 * wall / produced, 1000 * cpu / produced, produced / wall))
        del generator
        print(f"timed {label}", flush=True)

    ref_wall, ref_cpu = results[0][2], results[0][3]
    print()
    print(f"{'backend':<14}{'size MB':>9}{'ms/tok wall':>13}{'ms/tok CPU':>12}{'tok/s wall':>12}"
          f"{'speed-up wall':>15}{'speed-up CPU':>14}")
    for label, size, wall_ms, cpu_ms, tps in results:
        print(f"{label:<14}{size / 1e6:>9.1f}{wall_ms:>13.1f}{cpu_ms:>12.1f}{tps:>12.1f}"
              f"{ref_wall / wall_ms:>14.2f}x{ref_cpu / cpu_ms:>13.2f}x")
    print()
    onnx_details = docs["onnx"]["format_details"]
    weights, params = onnx_details["initializer_bytes"] / 1e6, onnx_details["parameter_bytes"] / 1e6
    print(f"onnx weights {weights:.1f} MB for {params:.1f} MB of parameters "
          f"(tied embeddings: {onnx_details['tied_embeddings']}, stored once)")
    for fmt, doc in docs.items():
        p = doc["parity"]
        print(f"parity {fmt:<10} exact-32 {p['exact_32']:.1%}  top-1 agreement {p['top1_agreement']:.1%}  "
              f"max logit drift {p['details']['max_logit_drift']:.4f}  (rule: {p['details']['rule']} >= "
              f"{p['details']['required']:.0%}, passed={p['passed']})")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
