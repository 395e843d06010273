"""Serving throughput and latency with and without the request audit, side by side.

    .venv/bin/python tests/benchmarks/serve_bench.py                   # tiny random Llama, ~1 minute
    .venv/bin/python tests/benchmarks/serve_bench.py --default-model   # the embedded SmolLM2-135M

Starts the server on 127.0.0.1 (port 0) and fires ``--requests`` chat completions from ``--threads``
client threads, once per mode, the modes interleaved over ``--rounds`` rounds (the median round is
reported, which keeps a busy machine's noise out of the ratio):

- ``no-audit``: the server with a sink whose ``record`` does nothing at all (no queue, no thread);
- ``audit``: the server's ``BatchingSink`` in front of a SQLite store that chains each record's
  SHA-256 to the previous one and commits one transaction per batch, as an audit table does.

Short completions (``--max-tokens`` 8 by default) make requests fast, so the audit's share of the
time is as large as it gets. The audit must cost less than 5% of throughput. Prints requests/s, p50
and p95 latency per mode and their ratios, and, as a figure a busy machine cannot blur, the time one
``BatchingSink.record`` call takes on the request path next to the median request latency.

Torch runs on ``--torch-threads`` intra-op threads (default 1: a tiny model gains nothing from more,
and on a shared 2-core machine a second OpenMP thread waiting for a busy core makes every step many
times slower, which would bury the audit in noise). Traffic goes to 127.0.0.1 only; prompts are synthetic.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import appliance  # noqa: E402,F401  (offline guard first)
from appliance.serve import (  # noqa: E402
    BatchingSink,
    RequestRecord,
    ServeConfig,
    StaticKeyStore,
    TorchBackend,
    serve,
)

DEFAULT_MODEL = REPO / ".cache" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
KEY = "sk-bench"
PROMPTS = ["Triage: chest pain radiating to the left arm since this morning.",
           "Summarize: admitted with pneumonia, treated with antibiotics, discharged home.",
           "Label the specialty: new onset seizure in a 40 year old.",
           "Is this urgent? Mild knee pain after running for two weeks."]


class SqliteChainSink:
    """An audit store like the workspace's: each row carries the SHA-256 of the previous row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None  # opened in the flusher thread (sqlite is thread-bound)
        self._last = "0" * 64

    def record(self, event: RequestRecord) -> None:
        self.record_batch([event])

    def record_batch(self, events: Sequence[RequestRecord]) -> None:
        if self._db is None:
            self._db = sqlite3.connect(self.path)
            self._db.execute("CREATE TABLE IF NOT EXISTS audit (prev TEXT, hash TEXT, body TEXT)")
        rows = []
        for event in events:
            body = json.dumps(event.__dict__, sort_keys=True)
            digest = hashlib.sha256((self._last + body).encode()).hexdigest()
            rows.append((self._last, digest, body))
            self._last = digest
        with self._db:
            self._db.executemany("INSERT INTO audit VALUES (?, ?, ?)", rows)


class NoAudit(BatchingSink):
    """Baseline: ``serve`` uses a BatchingSink as given; this one drops every record at once."""

    def __init__(self) -> None:
        super().__init__(SqliteChainSink(Path("/dev/null")), max_batch=1, max_delay=1.0)

    def record(self, event: RequestRecord) -> None:
        pass


def tiny_backend() -> TorchBackend:
    sys.path.insert(0, str(REPO / "tests"))
    from serve.tiny import build_model, build_tokenizer

    tokenizer = build_tokenizer()
    return TorchBackend(build_model(tokenizer), tokenizer, model_id="bench")


def default_backend() -> TorchBackend:
    from appliance.base_models import load_causal_lm

    if not DEFAULT_MODEL.exists():
        sys.exit(f"{DEFAULT_MODEL} missing: run 'make model'")
    model, tokenizer = load_causal_lm(DEFAULT_MODEL)
    return TorchBackend(model, tokenizer, model_id="bench")


def one_request(port: int, prompt: str, max_tokens: int) -> float:
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": prompt}],
                       "max_tokens": max_tokens, "temperature": 0})
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/v1/chat/completions", body=body,
                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}")
    finally:
        conn.close()
    return time.perf_counter() - started


def run_mode(backend: TorchBackend, sink: BatchingSink, args: argparse.Namespace) -> dict[str, float]:
    keys = StaticKeyStore.from_plain({"bench": (KEY, None)})
    config = ServeConfig(port=0, max_queue_per_model=args.requests + args.threads)
    with serve({"bench": backend}, keys, sink, config) as handle:
        for prompt in PROMPTS:  # warm-up: first-call allocations stay out of the figures
            one_request(handle.port, prompt, args.max_tokens)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            latencies = list(pool.map(lambda i: one_request(handle.port, PROMPTS[i % len(PROMPTS)], args.max_tokens),
                                      range(args.requests)))
        elapsed = time.perf_counter() - started
        flushed = sink.flush(30)
    quantiles = statistics.quantiles(latencies, n=20)
    return {"rps": args.requests / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": quantiles[18] * 1000, "flushed": float(flushed), "delivered": float(sink.delivered)}


def record_cost_us(n: int = 20_000) -> float:
    """Time of one record() call in the calling thread (hashing happens before, and is included)."""
    with tempfile.TemporaryDirectory() as tmp:
        sink = BatchingSink(SqliteChainSink(Path(tmp) / "micro.db"), max_queue=n + 1)
        started = time.perf_counter()
        for i in range(n):
            digest = hashlib.sha256(PROMPTS[i % len(PROMPTS)].encode()).hexdigest()
            sink.record(RequestRecord("bench", "bench", "/v1/chat/completions", 20, 8, 50.0, digest, digest, 200,
                                      f"id-{i}", time.time()))
        elapsed = time.perf_counter() - started
        sink.close(60)
    return elapsed / n * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default-model", action="store_true", help="serve the embedded SmolLM2-135M instead")
    parser.add_argument("--requests", type=int, default=200, help="requests per mode and round")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--torch-threads", type=int, default=1, help="torch intra-op threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    backend = default_backend() if args.default_model else tiny_backend()
    results: dict[str, list[dict[str, float]]] = {"no-audit": [], "audit": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(args.rounds):
            for mode in ("no-audit", "audit") if round_no % 2 == 0 else ("audit", "no-audit"):
                if mode == "audit":
                    sink: BatchingSink = BatchingSink(SqliteChainSink(Path(tmp) / f"audit-{round_no}.db"))
                else:
                    sink = NoAudit()
                result = run_mode(backend, sink, args)
                sink.close()
                results[mode].append(result)
                print(f"round {round_no + 1} {mode:9s} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
                      f"p95 {result['p95_ms']:7.1f} ms", flush=True)
                if mode == "audit":
                    assert result["delivered"] == args.requests + len(PROMPTS), "audit lost records"

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    model = "SmolLM2-135M" if args.default_model else "tiny random Llama"
    print(f"\n{model}, {args.requests} requests x {args.rounds} rounds, {args.threads} client threads, "
          f"max_tokens {args.max_tokens} (median round)")
    print(f"{'':10s} {'req/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for mode in ("no-audit", "audit"):
        print(f"{mode:10s} {median(mode, 'rps'):8.1f} {median(mode, 'p50_ms'):8.1f} {median(mode, 'p95_ms'):8.1f}")
    record_us = record_cost_us()
    print(f"BatchingSink.record on the request path: {record_us:.1f} us per request = "
          f"{100 * record_us / 1000 / median('audit', 'p50_ms'):.3f}% of the median request latency")
    ratio = median("audit", "rps") / median("no-audit", "rps")
    p50_ratio = median("audit", "p50_ms") / median("no-audit", "p50_ms")
    p95_ratio = median("audit", "p95_ms") / median("no-audit", "p95_ms")
    print(f"audit / no-audit: throughput x{ratio:.3f}, p50 x{p50_ratio:.3f}, p95 x{p95_ratio:.3f}  "
          f"(audit cost {100 * (1 - ratio):+.1f}% throughput; target < 5%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
