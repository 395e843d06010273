"""Training throughput and memory: this engine against a plain transformers Trainer + peft baseline and
against a plain PyTorch loop.

    .venv/bin/python tests/benchmarks/train_bench.py                 # default model, 32 notes
    .venv/bin/python tests/benchmarks/train_bench.py --tiny          # tiny random Llama, seconds
    .venv/bin/python tests/benchmarks/train_bench.py --runs engine-lora,plain-lora --dtype bfloat16

Both sides train LoRA (same rank, targets, learning rate) for one epoch over the same tokenised
synthetic notes (task "summarize": loss on the reference summary only, notes of naturally varying
length). The engine packs examples into rows (`appliance.data.packing`) and sends only target positions
through the output head; the baseline is what most scripts do: one example per row, padded to the
longest in its batch, full logits. The plain loop ("plain-lora") is the lean hand-written alternative:
the frozen base in bfloat16 when the CPU computes it natively (else float32), the adapters in float32
under autocast, one padded example per row, and the output head applied at label positions only. The
figure compared is effective tokens/s: non-padding tokens
trained on per second of training (model loading and the final save excluded on both sides).

It also reports the peak memory (RSS high-water mark of a fresh process per run) of the engine's lora,
qlora and full methods, and achieved model FLOP/s against a measured fp32 matmul peak of this
machine. Model FLOPs use the usual convention: 6 x parameters per token for full fine-tuning
(forward 2N, backward 4N) and 4 x parameters for LoRA (no weight gradients of the frozen base);
attention score FLOPs are left out, and the engine's skipped output-head positions are counted as
if computed, so its achieved figure is an upper bound of useful work.

Every run is a separate process so peak memory is per configuration. Nothing here prints note text.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPO / ".cache" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
RUNS = ("engine-lora", "plain-lora", "baseline-lora", "engine-qlora", "engine-full")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="GGUF file or model directory")
    p.add_argument("--tiny", action="store_true", help="use a tiny random Llama (same tokenizer) instead")
    p.add_argument("--examples", type=int, default=32, help="notes to train on (one epoch)")
    p.add_argument("--max-seq-len", type=int, default=512, help="row length of the engine; example cap for both")
    p.add_argument("--rows", type=int, default=2, help="engine: packed rows per batch")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "appliance-train-bench",
                   help="where the GGUF model is converted once (reused by later runs)")
    p.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated subset of {', '.join(RUNS)}")
    p.add_argument("--ablation", action="store_true", help="also run the engine without packing")
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads per run (0 = torch default); 1 is faster on a busy shared machine")
    p.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16"),
                   help="the engine's compute dtype (TuneConfig.dtype); auto = bfloat16 where the CPU has it natively")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--hf-dir", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# -- data ---------------------------------------------------------------------------------------------


def build_examples(tokenizer: Any, n: int, max_len: int, seed: int) -> list[Any]:
    from appliance.data.tasks import ExampleTooLong, TaskConfig, build_example
    from appliance.synthetic import generate, to_record_dict

    task = TaskConfig(max_length=max_len)
    examples = []
    for note in generate(n, seed):
        try:
            examples.append(build_example("summarize", to_record_dict(note), tokenizer, task))
        except ExampleTooLong:
            continue
    return examples


def tiny_model_dir(hf_dir: Path, vocab: int, cache: Path) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    target = cache / f"tiny-{vocab}"
    if not (target / "config.json").exists():
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
        LlamaForCausalLM(cfg).save_pretrained(target)
    return target


# -- one run (child process) --------------------------------------------------------------------------


def child(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer

    from appliance.tune import memory

    if args.threads:
        torch.set_num_threads(args.threads)
    hf_dir: Path = args.hf_dir
    tokenizer = AutoTokenizer.from_pretrained(hf_dir, local_files_only=True)
    examples = build_examples(tokenizer, args.examples, args.max_seq_len, args.seed)
    model_dir = tiny_model_dir(hf_dir, len(tokenizer), args.cache) if args.tiny else hf_dir
    tokens = sum(len(e) for e in examples)
    kind, method = args.child.split("-", 1)
    common = dict(lr=2e-4, r=16, alpha=32, dropout=0.0)  # the engine's default, on both sides
    out = Path(tempfile.mkdtemp(prefix="bench-", dir=args.cache))
    if kind == "baseline":
        result = run_baseline(model_dir, tokenizer, examples, args, common, out)
    elif kind == "plain":
        result = run_plain(model_dir, tokenizer, examples, args, common)
    else:
        result = run_engine(model_dir, method, examples, args, common, out)
    result.update(run=args.child, examples=len(examples), tokens=tokens, threads=torch.get_num_threads(),
                  peak_rss_bytes=memory.peak_bytes())
    return result


def run_engine(model_dir: Path, method: str, examples: list[Any], args: argparse.Namespace,
               common: dict[str, Any], out: Path) -> dict[str, Any]:
    from appliance.tune import memory
    from appliance.tune.config import TuneConfig
    from appliance.tune.loading import resolve_dtype
    from appliance.tune.prepared import prepare
    from appliance.tune.trainer import train

    packing = not method.endswith("nopack")
    method = method.removesuffix("-nopack")
    settings: dict[str, Any] = dict(method=method, epochs=1, batch_size=args.rows, max_seq_len=args.max_seq_len,
                                    packing=packing, checkpoint_every=0, seed=args.seed, warmup_steps=0,
                                    dtype=args.dtype)
    if method == "full":
        settings["learning_rate"] = 2e-5
    else:
        settings.update(learning_rate=common["lr"], lora_r=common["r"], lora_alpha=common["alpha"],
                        lora_dropout=common["dropout"])
    config = TuneConfig(**settings)
    if not packing:  # same tokens per batch as packed rows, roughly
        mean = sum(len(e) for e in examples) / len(examples)
        config = TuneConfig(**{**settings, "batch_size": max(1, round(args.rows * args.max_seq_len / mean))})
    model, _, info = prepare(method, model_dir, config, out / "scratch")
    memory.reset_peak()
    cpu = time.process_time()
    result = train(model, examples, config, out_dir=out / "run")
    cpu = time.process_time() - cpu
    return {"tokens_per_s": result.tokens_per_s, "tokens_per_cpu_s": result.tokens_seen / cpu,
            "steps": result.steps, "loss": result.final_loss, "dtype": str(resolve_dtype(config.dtype)),
            "params": info.total_params, "trainable": info.trainable_params, "batch": config.batch_size,
            "train_peak_bytes": result.peak_memory_bytes}


def run_baseline(model_dir: Path, tokenizer: Any, examples: list[Any], args: argparse.Namespace,
                 common: dict[str, Any], out: Path) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from appliance.tune import memory

    torch.manual_seed(args.seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True)
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=common["r"], lora_alpha=common["alpha"],
                                             lora_dropout=common["dropout"], task_type="CAUSAL_LM",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                             "up_proj", "down_proj"]))
    mean = sum(len(e) for e in examples) / len(examples)
    batch = max(1, round(args.rows * args.max_seq_len / mean))  # same tokens per batch as the engine
    data = [{"input_ids": list(e.input_ids), "labels": list(e.labels)} for e in examples]
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    targs = TrainingArguments(output_dir=str(out / "hf"), per_device_train_batch_size=batch, num_train_epochs=1,
                              learning_rate=common["lr"], lr_scheduler_type="cosine", logging_strategy="no",
                              save_strategy="no", report_to=[], use_cpu=True, seed=args.seed,
                              dataloader_num_workers=0, remove_unused_columns=False, disable_tqdm=True)
    trainer = Trainer(model=model, args=targs, train_dataset=data,
                      data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100))
    memory.reset_peak()
    start, cpu = time.monotonic(), time.process_time()
    output = trainer.train()
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu
    tokens = sum(len(e) for e in examples)
    return {"tokens_per_s": tokens / seconds, "tokens_per_cpu_s": tokens / cpu, "steps": output.global_step,
            "loss": output.training_loss,
            "batch": batch, "train_peak_bytes": memory.peak_bytes(),
            "params": sum(p.numel() for p in model.parameters()),
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad)}


def run_plain(model_dir: Path, tokenizer: Any, examples: list[Any], args: argparse.Namespace,
              common: dict[str, Any]) -> dict[str, Any]:
    """A hand-written loop: bf16 frozen base (where native), fp32 LoRA under autocast, padded rows, the
    output head at label positions only, AdamW with a cosine schedule, one epoch."""
    import random

    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from appliance.tune import memory
    from appliance.tune.loading import cpu_has_native_bf16

    torch.manual_seed(args.seed)
    dtype = torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, local_files_only=True)
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=common["r"], lora_alpha=common["alpha"],
                                             lora_dropout=common["dropout"], task_type="CAUSAL_LM",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                             "up_proj", "down_proj"]))
    trainable = [p for p in model.parameters() if p.requires_grad]
    mean = sum(len(e) for e in examples) / len(examples)
    batch = max(1, round(args.rows * args.max_seq_len / mean))  # same tokens per batch as the engine
    order = list(range(len(examples)))
    random.Random(args.seed).shuffle(order)
    batches = [[examples[i] for i in order[s:s + batch]] for s in range(0, len(order), batch)]
    optimizer = torch.optim.AdamW(trainable, lr=common["lr"])
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + torch.cos(torch.tensor(step / len(batches) * torch.pi)).item()))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    decoder, head = model.get_base_model().model, model.get_base_model().lm_head
    memory.reset_peak()
    start, cpu = time.monotonic(), time.process_time()
    loss = torch.zeros(())
    for rows in batches:
        width = max(len(e) for e in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        for i, e in enumerate(rows):
            ids[i, :len(e)] = torch.tensor(e.input_ids)
            mask[i, :len(e)] = 1
            labels[i, :len(e) - 1] = torch.tensor(e.labels[1:])  # target of position t is the label at t+1
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
            hidden = decoder(input_ids=ids, attention_mask=mask).last_hidden_state
            where = labels != -100
            logits = head(hidden[where])
        loss = F.cross_entropy(logits.float(), labels[where])
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu
    tokens = sum(len(e) for e in examples)
    return {"tokens_per_s": tokens / seconds, "tokens_per_cpu_s": tokens / cpu, "steps": len(batches),
            "loss": float(loss), "batch": batch, "train_peak_bytes": memory.peak_bytes(), "dtype": str(dtype),
            "params": sum(p.numel() for p in model.parameters()), "trainable": sum(p.numel() for p in trainable)}


# -- parent -------------------------------------------------------------------------------------------


def matmul_peak_flops(n: int = 2048, repeats: int = 5) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def spawn(run: str, hf_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", run, "--hf-dir", str(hf_dir), "--examples", str(args.examples),
           "--max-seq-len", str(args.max_seq_len), "--rows", str(args.rows), "--seed", str(args.seed),
           "--cache", str(args.cache), "--threads", str(args.threads), "--dtype", args.dtype] + (
               ["--tiny"] if args.tiny else [])
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"})
    if done.returncode != 0:
        raise SystemExit(f"{run} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import appliance  # noqa: F401  (offline switches first)

    if args.child:
        print(json.dumps(child(args)))
        return
    from appliance.tune.loading import as_hf_dir

    args.cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    start = time.monotonic()
    hf_dir = as_hf_dir(args.model, args.cache)
    print(f"model directory ready in {time.monotonic() - start:.0f} s ({'tiny random' if args.tiny else hf_dir.name})")
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    if args.ablation:
        runs.append("engine-lora-nopack")
    results = {}
    for run in runs:
        results[run] = spawn(run, hf_dir, args)
        r = results[run]
        print(f"  {run:20s} {r['tokens_per_s']:8.1f} tok/s  {r['tokens_per_cpu_s']:8.1f} tok/CPU-s  "
              f"steps {r['steps']:3d}  batch {r['batch']}  peak RSS {r['peak_rss_bytes'] / 2**20:6.0f} MiB  "
              f"loss {r['loss']:.3f}  {r.get('dtype', 'torch.float32')}", flush=True)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    peak = matmul_peak_flops()
    report(results, peak)


def report(results: dict[str, dict[str, Any]], peak: float) -> None:
    any_run = next(iter(results.values()))
    print(f"\n{any_run['examples']} examples, {any_run['tokens']} non-padding tokens, {any_run['threads']} threads")
    print(f"{'run':20s} {'tokens/s':>9s} {'tok/CPU-s':>10s} {'model GFLOP/s':>14s} {'of fp32 peak':>13s} "
          f"{'peak RSS MiB':>13s}")
    for run, r in results.items():
        per_token = (6 if run.endswith("full") else 4) * r["params"]
        flops = per_token * r["tokens_per_s"]
        print(f"{run:20s} {r['tokens_per_s']:9.1f} {r['tokens_per_cpu_s']:10.1f} {flops / 1e9:14.2f} "
              f"{flops / peak:12.1%} {r['peak_rss_bytes'] / 2**20:13.0f}")
    print(f"measured fp32 matmul peak ({any_run['threads']} threads): {peak / 1e9:.1f} GFLOP/s")
    if "engine-lora" in results and "baseline-lora" in results:
        engine, base = results["engine-lora"], results["baseline-lora"]
        # Per CPU-second is the figure to trust on a shared machine: wall time includes waiting for a core.
        print(f"engine / baseline (LoRA, effective tokens): {engine['tokens_per_s'] / base['tokens_per_s']:.2f}x "
              f"per wall second, {engine['tokens_per_cpu_s'] / base['tokens_per_cpu_s']:.2f}x per CPU second "
              "(target >= 1.5x)")
    if "engine-lora" in results and "plain-lora" in results:
        engine, plain = results["engine-lora"], results["plain-lora"]
        print(f"engine / plain loop (LoRA, effective tokens): {engine['tokens_per_s'] / plain['tokens_per_s']:.2f}x "
              f"per wall second, {engine['tokens_per_cpu_s'] / plain['tokens_per_cpu_s']:.2f}x per CPU second "
              "(target >= 1.0x)")
    mem = {m: results[f"engine-{m}"]["peak_rss_bytes"] / 2**20 for m in ("lora", "qlora", "full")
           if f"engine-{m}" in results}
    if mem:
        print("peak memory, engine: " + ", ".join(f"{m} {v:.0f} MiB" for m, v in mem.items()))


if __name__ == "__main__":
    main()
