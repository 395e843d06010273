"""De-identification throughput and accuracy on synthetic notes (a script, not a test).

    python tests/benchmarks/deid_bench.py [--notes 2000] [--chars 1024] [--seed 7]

Generates notes of about 1 KB with `appliance.data.synthetic`, runs `DeidEngine.detect` on one core
(a single process, one note at a time) and prints notes/s and KB/s, both by wall clock and by the
process's own CPU time (the fair figure on a shared machine), then token recall/precision and the
per-label recall. Target: >= 100 notes/s with recall >= 0.99.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from appliance.data.synthetic import generate  # noqa: E402
from appliance.deid import DeidEngine, Span, score  # noqa: E402

TARGET_NOTES_PER_S = 100.0
TARGET_RECALL = 0.99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--chars", type=int, default=1024, help="target characters per note")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    t0 = time.perf_counter()
    notes = generate(args.notes, args.seed, target_chars=args.chars)
    generated = time.perf_counter() - t0
    texts = [note.text for note in notes]
    kbytes = sum(len(t.encode("utf-8")) for t in texts) / 1024

    t0 = time.perf_counter()
    engine = DeidEngine()
    engine.detect(texts[0])  # word lists and caches loaded once, as in a long-running job
    startup = time.perf_counter() - t0

    wall0, cpu0 = time.perf_counter(), time.process_time()
    predictions = [engine.detect(text) for text in texts]
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    gold = [[Span(g.start, g.end, g.label, g.subtype) for g in note.spans] for note in notes]
    report = score(gold, predictions, texts)
    token = report["token"]

    print(f"notes: {len(texts)}  mean size: {kbytes * 1024 / len(texts):.0f} B  (generated in {generated:.1f} s)")
    print(f"engine start-up (word lists): {startup:.2f} s")
    print(f"{'':14}{'notes/s':>10}{'KB/s':>10}")
    print(f"{'wall clock':14}{len(texts) / wall:10.1f}{kbytes / wall:10.1f}")
    print(f"{'process CPU':14}{len(texts) / cpu:10.1f}{kbytes / cpu:10.1f}")
    print(f"token recall {token['recall']:.4f}  precision {token['precision']:.4f}  F2 {token['f2']:.4f}")
    print("per-label recall: " + ", ".join(f"{k} {v['recall']:.4f}" for k, v in report["per_label_recall"].items()))
    strict, partial = report["entity"]["strict"], report["entity"]["partial"]
    print(
        f"entities: strict P/R {strict['precision']:.4f}/{strict['recall']:.4f}, "
        f"partial P/R {partial['precision']:.4f}/{partial['recall']:.4f}"
    )
    speed = len(texts) / cpu
    print(
        f"target {TARGET_NOTES_PER_S:.0f} notes/s (CPU): {speed / TARGET_NOTES_PER_S:.2f}x; "
        f"target recall {TARGET_RECALL}: {'met' if token['recall'] >= TARGET_RECALL else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
