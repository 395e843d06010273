"""In-context scoring cost per record on the default model, side by side: k-shot calibrated with and
without the shared prefix (system prompt and examples run once for the query and its three content-free
prompts), with whole and shortened examples, and zero-shot.

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

    settings = [
        (f"{args.k}-shot whole examples, unshared", args.k, 0, False),
        (f"{args.k}-shot whole examples, shared prefix", args.k, 0, True),
        (f"{args.k}-shot examples cut to 128 tokens, unshared", args.k, 128, False),
        (f"{args.k}-shot examples cut to 128 tokens, shared prefix", args.k, 128, True),
        ("0-shot (content-free prompts scored once)", 0, 0, True),
    ]
    results: dict[tuple[int, int, bool], np.ndarray] = {}
    reference: dict[tuple[int, int], float] = {}
    print(f"{'setting':<52} {'tokens':>7} {'CPU s/record':>13} {'ratio':>6}")
    with torch.no_grad():
        for label, k, cut, shared in settings:
            icl = ICLPass(model, tokenizer, "classify", task_config, train,
                          ICLConfig(k=k, shot_note_tokens=cut, calibrate=True))
            icl.scorer.share_prefix = shared
            icl.run(test[:1])  # warm-up (and zero-shot's content-free prompts, once per pass)
            tokens = float(np.mean([icl.prompt_tokens(r) for r in test]))
            started = time.process_time()
            scored = icl.scorer.predict_scores(test, calibrate=True)
            per_record = (time.process_time() - started) / len(test)
            results[(k, cut, shared)] = scored.raw_scores
            reference.setdefault((k, cut), per_record)
            ratio = per_record / reference[(k, cut)]
            print(f"{label:<52} {tokens:7.0f} {per_record:13.2f} {ratio:6.2f}", flush=True)
    for (k, cut, shared), scores in results.items():
        if shared and (k, cut, False) in results:
            diff = float(np.abs(scores - results[(k, cut, False)]).max())
            print(f"{k}-shot cut {cut}: largest score difference shared vs unshared {diff:.2e}")


if __name__ == "__main__":
    main()
