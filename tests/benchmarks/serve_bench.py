"""Serving throughput and latency under concurrent clients; and what the request audit costs.

    .venv/bin/python tests/benchmarks/serve_bench.py                   # tiny random Llama (torch), ~1 minute
    .venv/bin/python tests/benchmarks/serve_bench.py --default-model   # SmolLM2-135M, ONNX int8, ~5 minutes
    .venv/bin/python tests/benchmarks/serve_bench.py --audit-overhead  # audit vs no audit, side by side

Concurrency (the default): starts the server on 127.0.0.1 (port 0) and, for 1, 4 and 16 concurrent
clients (``--clients``), has every client send ``--per-client`` streaming chat completions one after
the other (greedy, ``--max-tokens`` 64, ``stream_options.include_usage``). Per level it prints, side by
side: requests/s, completion tokens/s (aggregate), p50/p95 request latency and p50/p95 time to first
token (the first chunk with text), errors, and the tokens/s ratio to one client. The model decodes
the requests of all clients in shared batched steps (`appliance.serve.backends.batching`); the
target is 16 clients >= 4x the tokens/s of one client, with no errors.

``--default-model`` serves the default model as the demo exports it in format ``onnx-int8``: the
GGUF file is converted to a Hugging Face directory, exported to ONNX and quantized by the formats' own
code (`appliance.export.formats.onnx_fp32`, `appliance.export.formats.onnx_int8`), once, into ``.cache/bench/``
(``--workdir`` to put it elsewhere); later runs reuse it.

``--audit-overhead`` fires ``--requests`` short completions from ``--threads`` client threads, once
per mode, the modes interleaved over ``--rounds`` rounds (the median round is reported):

- ``no-audit``: the server with a sink whose ``record`` does nothing at all (no queue, no thread);
- ``audit``: the server's ``BatchingSink`` in front of a SQLite store that chains each record's
  SHA-256 to the previous one and commits one transaction per batch, as an audit table does.

The audit must cost less than 5% of throughput; it also prints the time one ``BatchingSink.record``
call takes on the request path next to the median request latency.

Torch and ONNX Runtime run on ``--torch-threads`` intra-op threads (default 1: on a shared 2-core
machine a second thread waiting for a busy core makes every step slower). Traffic goes to 127.0.0.1
only; prompts are synthetic. On a machine shared with other work, every figure measures the
neighbours too: compare the levels of one run, not runs.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import itertools
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import appliance  # noqa: E402,F401  (offline guard first)
from appliance.serve import (  # noqa: E402
    Backend,
    BatchingSink,
    RequestRecord,
    ServeConfig,
    StaticKeyStore,
    TorchBackend,
    serve,
)

KEY = "sk-bench"
CASES = itertools.count(1)
PROMPTS = ["Explain to a patient what happens during a cardiac stress test and how to prepare for it.",
           "Write a short discharge note for a patient treated for community-acquired pneumonia.",
           "Describe the first steps in assessing an adult with new onset seizure in the emergency room.",
           "Explain the difference between type 1 and type 2 diabetes to a newly diagnosed patient."]


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


def tiny_backend() -> Backend:
    sys.path.insert(0, str(REPO / "tests"))
    from serve.tiny import build_model, build_tokenizer

    tokenizer = build_tokenizer()
    return TorchBackend(build_model(tokenizer), tokenizer, model_id="bench")


def default_onnx_int8(workdir: Path) -> Path:
    """The default model's ``onnx-int8`` export, made once into ``workdir`` (as infer_bench.py makes it)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from infer_bench import base_dir_for, make_exports

    workdir.mkdir(parents=True, exist_ok=True)
    exports = make_exports(base_dir_for(argparse.Namespace(model=None), workdir), workdir)
    return exports["onnx-int8"]


def default_backend(workdir: Path) -> Backend:
    from appliance.serve.backends import OnnxBackend

    return OnnxBackend.from_dir(default_onnx_int8(workdir), "bench", fmt="onnx-int8")


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


@dataclass
class Outcome:
    latency: float = 0.0
    ttft: float = 0.0
    tokens: int = 0
    error: str = ""


def stream_request(port: int, prompt: str, max_tokens: int) -> Outcome:
    """One streaming chat completion: latency, time to the first text chunk, completion tokens."""
    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": prompt}], "stream": True,
                       "stream_options": {"include_usage": True}, "max_tokens": max_tokens, "temperature": 0})
    outcome = Outcome()
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("POST", "/v1/chat/completions", body=body,
                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            resp.read()
            outcome.error = f"HTTP {resp.status}"
            return outcome
        done = False
        for raw in resp:
            line = raw.strip()
            if not line.startswith(b"data: "):
                continue
            data = line[len(b"data: "):]
            if data == b"[DONE]":
                done = True
                break
            chunk = json.loads(data)
            if "error" in chunk:
                outcome.error = str(chunk["error"].get("code"))
                break
            if not outcome.ttft and any(c.get("delta", {}).get("content") for c in chunk.get("choices", [])):
                outcome.ttft = time.perf_counter() - started
            if chunk.get("usage"):
                outcome.tokens = int(chunk["usage"]["completion_tokens"])
        if not done and not outcome.error:
            outcome.error = "stream ended without [DONE]"
    except OSError as exc:
        outcome.error = type(exc).__name__
    finally:
        conn.close()
    outcome.latency = time.perf_counter() - started
    if not outcome.ttft:
        outcome.ttft = outcome.latency
    return outcome


def run_level(port: int, backend: Backend, clients: int, args: argparse.Namespace) -> dict[str, float]:
    """``clients`` threads, each sending ``--per-client`` requests back to back."""
    def client(c: int) -> list[Outcome]:
        # Every prompt differs (a case number first): only the chat template's opening is shared.
        return [stream_request(port, f"Case {next(CASES)}. {PROMPTS[(c + i * clients) % len(PROMPTS)]}",
                               args.max_tokens) for i in range(args.per_client)]

    scheduler = getattr(backend, "scheduler", None)
    steps, rows = (scheduler.steps, scheduler.rows_stepped) if scheduler is not None else (0, 0)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        outcomes = [o for batch in pool.map(client, range(clients)) for o in batch]
    elapsed = time.perf_counter() - started
    if scheduler is not None:
        steps, rows = scheduler.steps - steps, scheduler.rows_stepped - rows
    good = [o for o in outcomes if not o.error]
    latencies = sorted(o.latency for o in good) or [0.0]
    ttfts = sorted(o.ttft for o in good) or [0.0]
    return {"clients": clients, "requests": len(outcomes), "errors": len(outcomes) - len(good),
            "rps": len(good) / elapsed, "tps": sum(o.tokens for o in good) / elapsed,
            "tokens": sum(o.tokens for o in good), "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000, "ttft50_ms": percentile(ttfts, 50) * 1000,
            "ttft95_ms": percentile(ttfts, 95) * 1000, "seconds": elapsed, "batch": rows / steps if steps else 0.0,
            "error_kinds": ", ".join(sorted({o.error for o in outcomes if o.error}))}


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def concurrency(backend: Backend, label: str, args: argparse.Namespace) -> int:
    keys = StaticKeyStore.from_plain({"bench": (KEY, None)})
    levels = sorted(set(args.clients))
    config = ServeConfig(port=0, max_queue_per_model=max(levels), max_tokens_limit=max(args.max_tokens, 256))
    results: list[dict[str, float]] = []
    with serve({"bench": backend}, keys, NoAudit(), config) as handle:
        for prompt in PROMPTS[:2]:  # warm-up: first-call allocations stay out of the figures
            stream_request(handle.port, prompt, 4)
        for clients in levels:
            result = run_level(handle.port, backend, clients, args)
            results.append(result)
            print(f"{clients:3d} clients: {result['requests']:.0f} requests, {result['tokens']:.0f} tokens in "
                  f"{result['seconds']:.1f} s" + (f"; errors: {result['error_kinds']}" if result["errors"] else ""),
                  flush=True)
    scheduler = getattr(backend, "scheduler", None)
    print(f"\n{label}, streaming chat completions, greedy, max_tokens {args.max_tokens}, {args.per_client} requests "
          f"per client, {args.torch_threads or 'default'} intra-op thread(s)")
    print(f"{'clients':>7s} {'req/s':>7s} {'tok/s':>7s} {'x 1 cl.':>7s} {'p50 ms':>8s} {'p95 ms':>8s} "
          f"{'TTFT p50':>9s} {'TTFT p95':>9s} {'errors':>6s} {'batch':>6s}")
    base = results[0]["tps"] or 1.0
    for r in results:
        print(f"{r['clients']:7.0f} {r['rps']:7.2f} {r['tps']:7.1f} {r['tps'] / base:7.2f} {r['p50_ms']:8.0f} "
              f"{r['p95_ms']:8.0f} {r['ttft50_ms']:9.0f} {r['ttft95_ms']:9.0f} {r['errors']:6.0f} {r['batch']:6.1f}")
    print("batch: mean rows per decode step. TTFT: time to the first chunk with text.")
    if scheduler is not None:
        print(f"prompt tokens served from the cached chat-template opening: {scheduler.prefix_tokens_reused}")
    top = results[-1]
    errors = sum(r["errors"] for r in results)
    print(f"{top['clients']:.0f} clients / 1 client: tokens/s x{top['tps'] / base:.2f} (target >= 4), "
          f"errors {errors:.0f} (target 0)")
    return 0


def run_mode(backend: Backend, sink: BatchingSink, args: argparse.Namespace) -> dict[str, float]:
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


def audit_overhead(backend: Backend, model: str, args: argparse.Namespace) -> int:
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




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--default-model", action="store_true",
                        help="serve SmolLM2-135M as the demo's onnx-int8 export instead of a tiny random Llama")
    parser.add_argument("--workdir", type=Path, default=REPO / ".cache" / "bench" / "smollm2-135m-instruct",
                        help="where the default model's exports are made once and reused")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16], help="concurrency levels")
    parser.add_argument("--per-client", type=int, default=3, help="requests each client sends, one after the other")
    parser.add_argument("--max-tokens", type=int, default=None,
                        help="completion tokens per request (default 64; 8 with --audit-overhead)")
    parser.add_argument("--audit-overhead", action="store_true", help="compare audit and no audit instead")
    parser.add_argument("--requests", type=int, default=200, help="--audit-overhead: requests per mode and round")
    parser.add_argument("--threads", type=int, default=4, help="--audit-overhead: client threads")
    parser.add_argument("--rounds", type=int, default=5, help="--audit-overhead: rounds")
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="torch and ONNX Runtime intra-op threads (0: the libraries' default)")
    args = parser.parse_args(argv)
    if args.max_tokens is None:
        args.max_tokens = 8 if args.audit_overhead else 64
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    if args.default_model:
        backend, label = default_backend(args.workdir), "SmolLM2-135M ONNX int8"
    else:
        backend, label = tiny_backend(), "tiny random Llama (torch)"
    if args.audit_overhead:
        return audit_overhead(backend, label, args)
    return concurrency(backend, label, args)


if __name__ == "__main__":
    raise SystemExit(main())
