"""Prometheus exposition of the server's metrics, with ``prometheus-client`` (text format 0.0.4).

Each ``Api`` has its own ``CollectorRegistry`` (not the process-wide default), so two servers in one
process, as in the tests, never mix their counts. /metrics shows every model's traffic and is therefore
answered for an admin-scoped key only (``KeyInfo.admin``).

Series:
- ``appliance_requests_total{model,route,status}``, ``appliance_prompt_tokens_total{model}``,
  ``appliance_completion_tokens_total{model}``;
- ``appliance_request_duration_seconds{model,route}``: request to last byte;
- ``appliance_time_to_first_token_seconds{model}``: request arrival to the first generated text;
- ``appliance_time_per_output_token_seconds{model}``: after the first, the mean time per further token
  of a request, observed once per such token (the definition vLLM's exposition uses);
- gauges and counters read at scrape time (models, requests in flight, audit spool and deliveries,
  unauthenticated attempts).

Label values come from the server's own vocabulary (configured model ids, fixed route names, status
codes), never from request text: a model id a client made up is counted as "unknown", so neither
cardinality nor data can be injected through /metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0)
PER_TOKEN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

disable_created_metrics()  # no "_created" series beside every counter and histogram: noise for the operators


class _Readings(Collector):
    """Values read at scrape time from the server's own state (no copy kept up to date)."""

    def __init__(self) -> None:
        self.readings: dict[str, tuple[str, str, Callable[[], float]]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (help_text, kind, read) in sorted(self.readings.items()):
            if kind == "counter":
                yield CounterMetricFamily(name.removesuffix("_total"), help_text, value=float(read()))
            else:
                yield GaugeMetricFamily(name, help_text, value=float(read()))


class Metrics:
    """The server's metrics; thread-safe (prometheus-client's own locks)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._readings = _Readings()
        self.registry.register(self._readings)
        self.requests = Counter("appliance_requests", "HTTP requests by model, route and status.",
                                ("model", "route", "status"), registry=self.registry)
        self.prompt_tokens = Counter("appliance_prompt_tokens", "Prompt tokens processed.", ("model",),
                                     registry=self.registry)
        self.completion_tokens = Counter("appliance_completion_tokens", "Completion tokens generated.", ("model",),
                                         registry=self.registry)
        self.duration = Histogram("appliance_request_duration_seconds", "Time from request to last byte of the "
                                  "response.", ("model", "route"), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.first_token = Histogram("appliance_time_to_first_token_seconds", "Time from request arrival to the "
                                     "first generated text.", ("model",), buckets=TTFT_BUCKETS, registry=self.registry)
        self.per_token = Histogram("appliance_time_per_output_token_seconds", "Mean time per output token after "
                                   "the first, observed once per such token.", ("model",), buckets=PER_TOKEN_BUCKETS,
                                   registry=self.registry)

    def gauge(self, name: str, help_text: str, read: Callable[[], float], kind: str = "gauge") -> None:
        """Export ``read()`` as ``name`` at each scrape (``kind`` "counter" for monotonic values)."""
        self._readings.readings[name] = (help_text, kind, read)

    def observe(self, model: str, route: str, status: int, seconds: float,
                prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        self.requests.labels(model, route, str(status)).inc()
        if prompt_tokens:
            self.prompt_tokens.labels(model).inc(prompt_tokens)
        if completion_tokens:
            self.completion_tokens.labels(model).inc(completion_tokens)
        self.duration.labels(model, route).observe(seconds)

    def observe_generation(self, model: str, first_token_s: float | None, after_first_s: float, tokens: int) -> None:
        """One generation's latencies: time to first token, and the mean per token after it."""
        if first_token_s is None:
            return
        self.first_token.labels(model).observe(first_token_s)
        if tokens > 1:
            per_token = after_first_s / (tokens - 1)
            histogram = self.per_token.labels(model)
            for _ in range(tokens - 1):
                histogram.observe(per_token)

    def render(self) -> bytes:
        return generate_latest(self.registry)
