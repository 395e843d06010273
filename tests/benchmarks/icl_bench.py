"""In-context scoring cost per record on the default model, side by side: k-shot calibrated with and
without the shared prefix (system prompt and examples run once for the query and its three content-free
prompts), with whole and shortened examples, not calibrated, in bfloat16 where the CPU has it natively
('auto'), and zero-shot.

Uses the public medical abstracts (`examples/medical-abstracts`), their `condition` labels, the first
`--train` rows as the examples' pool and `--records` test rows spread over the rest. Prints, per setting,
the mean prompt tokens, CPU seconds per record (this process, so neighbours on a shared machine do not
count) and the ratio to the unshared pass, and checks that the shared and unshared passes give the same
scores. Run by hand, one thread:

    .venv/bin/python tests/benchmarks/icl_bench.py --workdir /tmp/iclb     # ~5-10 min on one core
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import appliance  # noqa: E402,F401  (offline switches before any Hugging Face import)

DEFAULT_ID = "smollm2-135m-instruct"
CSV = REPO / "examples" / "medical-abstracts" / "medical_abstracts.csv"


def base_dir(work: Path) -> Path:
    from appliance import base_models
    from appliance.runtime.loading import load_pretrained

    entry = base_models.manifest_entry(DEFAULT_ID)
    cached = base_models.conversion_cache_dir() / entry.sha256 / "files"
    if (cached / "config.json").is_file():
        return cached
    target = work / "base"
    if not (target / "config.json").is_file():
        gguf = base_models.find_model_file(entry)
        if gguf is None:
            sys.exit(f"{entry.file} not found: run 'make model'")
        model, tokenizer = load_pretrained(gguf)
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/icl-bench"))
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--records", type=int, default=6)
    parser.add_argument("--k", type=int, default=4)
    args = parser.parse_args()

    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from appliance.data.tasks import TaskConfig
    from appliance.evaluate.icl import ICLConfig, ICLPass
    from appliance.runtime.device import scoring_autocast
    from appliance.runtime.loading import load_causal_lm

    torch.set_num_threads(1)
    args.workdir.mkdir(parents=True, exist_ok=True)
    with CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    labels = tuple(sorted({r["condition"] for r in rows}))
    task_config = TaskConfig(text_field="text", label_field="condition", label_set=labels)
    train, rest = rows[: args.train], rows[args.train :]
    step = max(1, len(rest) // args.records)
    test = rest[::step][: args.records]
    base = base_dir(args.workdir)
    model = load_causal_lm(base)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(base)

    k = args.k
    # (label, k, cut, shared prefix, calibrated, dtype); the ratio is to the first row of the same k and cut.
    settings = [
        (f"{k}-shot whole examples, unshared", k, 0, False, True, "float32"),
        (f"{k}-shot whole examples, shared prefix", k, 0, True, True, "float32"),
        (f"{k}-shot examples cut to 128 tokens, unshared", k, 128, False, True, "float32"),
        (f"{k}-shot examples cut to 128 tokens, shared prefix", k, 128, True, True, "float32"),
        (f"{k}-shot cut to 128, shared, bfloat16 (auto)", k, 128, True, True, "auto"),
        (f"{k}-shot cut to 128, not calibrated", k, 128, True, False, "float32"),
        (f"{k}-shot cut to 128, not calibrated, bfloat16 (auto)", k, 128, True, False, "auto"),
        ("0-shot (content-free prompts scored once)", 0, 0, True, True, "float32"),
        ("0-shot, bfloat16 (auto)", 0, 0, True, True, "auto"),
    ]
    results: dict[tuple[int, int, bool, bool, str], np.ndarray] = {}
    reference: dict[tuple[int, int], float] = {}
    print(f"{'setting':<56} {'tokens':>7} {'CPU s/record':>13} {'ratio':>6}")
    for label, n, cut, shared, calibrate, dtype in settings:
        icl = ICLPass(model, tokenizer, "classify", task_config, train,
                      ICLConfig(k=n, shot_note_tokens=cut, calibrate=calibrate, dtype=dtype))
        icl.scorer.share_prefix = shared
        icl.run(test[:1])  # warm-up (and zero-shot's content-free prompts, once per pass)
        tokens = float(np.mean([icl.prompt_tokens(r) for r in test]))
        started = time.process_time()
        with scoring_autocast(model, dtype):
            scored = icl.scorer.predict_scores(test, calibrate=calibrate)
        per_record = (time.process_time() - started) / len(test)
        results[(n, cut, shared, calibrate, dtype)] = scored.raw_scores
        reference.setdefault((n, cut), per_record)
        ratio = per_record / reference[(n, cut)]
        print(f"{label:<56} {tokens:7.0f} {per_record:13.2f} {ratio:6.2f}", flush=True)
    for (n, cut, shared, calibrate, dtype), scores in results.items():
        if shared and calibrate and dtype == "float32" and (n, cut, False, True, "float32") in results:
            diff = float(np.abs(scores - results[(n, cut, False, True, "float32")]).max())
            print(f"{n}-shot cut {cut}: largest score difference shared vs unshared {diff:.2e}")
        if dtype == "auto" and (n, cut, shared, calibrate, "float32") in results:
            full = results[(n, cut, shared, calibrate, "float32")]
            same = float(np.mean(scores.argmax(axis=1) == full.argmax(axis=1)))
            print(f"{n}-shot cut {cut} calibrated={calibrate}: bfloat16 vs float32 raw argmax agreement {same:.2f}, "
                  f"largest score difference {float(np.abs(scores - full).max()):.2f}")


if __name__ == "__main__":
    main()
