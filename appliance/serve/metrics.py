"""Prometheus text-format metrics (exposition format 0.0.4), kept in memory by the server.

Label values come from the server's own vocabulary (configured model ids, fixed route names, status
codes), never from request text: a model id a client made up is counted as "unknown", so neither
cardinality nor data can be injected through /metrics.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _fmt_labels(labels: Labels, extra: Iterable[tuple[str, str]] = ()) -> str:
    pairs = [*labels, *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def _fmt_number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Metrics:
    """Counters and one latency histogram, thread-safe. ``gauges`` are read at render time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[Labels, int] = defaultdict(int)
        self.prompt_tokens: dict[Labels, int] = defaultdict(int)
        self.completion_tokens: dict[Labels, int] = defaultdict(int)
        self._hist_counts: dict[Labels, list[int]] = {}
        self._hist_sum: dict[Labels, float] = defaultdict(float)
        self._gauges: dict[str, tuple[str, str, Callable[[], float]]] = {}

    def gauge(self, name: str, help_text: str, read: Callable[[], float], kind: str = "gauge") -> None:
        """Export ``read()`` as ``name`` at each scrape (``kind`` "counter" for monotonic values)."""
        self._gauges[name] = (help_text, kind, read)

    def observe(self, model: str, route: str, status: int, seconds: float,
                prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        request_labels = (("model", model), ("route", route), ("status", str(status)))
        model_labels = (("model", model),)
        latency_labels = (("model", model), ("route", route))
        with self._lock:
            self.requests[request_labels] += 1
            if prompt_tokens:
                self.prompt_tokens[model_labels] += prompt_tokens
            if completion_tokens:
                self.completion_tokens[model_labels] += completion_tokens
            counts = self._hist_counts.setdefault(latency_labels, [0] * (len(LATENCY_BUCKETS) + 1))
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self._hist_sum[latency_labels] += seconds

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            self._counter(lines, "appliance_requests_total", "HTTP requests by model, route and status.",
                          self.requests)
            self._counter(lines, "appliance_prompt_tokens_total", "Prompt tokens processed.", self.prompt_tokens)
            self._counter(lines, "appliance_completion_tokens_total", "Completion tokens generated.",
                          self.completion_tokens)
            name = "appliance_request_duration_seconds"
            lines += [f"# HELP {name} Time from request to last byte of the response.", f"# TYPE {name} histogram"]
            for labels, counts in sorted(self._hist_counts.items()):
                for bound, count in zip((*LATENCY_BUCKETS, float("inf")), counts, strict=True):
                    lines.append(f"{name}_bucket{_fmt_labels(labels, [('le', _fmt_number(bound))])} {count}")
                lines.append(f"{name}_sum{_fmt_labels(labels)} {_fmt_number(self._hist_sum[labels])}")
                lines.append(f"{name}_count{_fmt_labels(labels)} {counts[-1]}")
        for gauge_name, (help_text, kind, read) in sorted(self._gauges.items()):
            lines += [f"# HELP {gauge_name} {help_text}", f"# TYPE {gauge_name} {kind}",
                      f"{gauge_name} {_fmt_number(read())}"]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _counter(lines: list[str], name: str, help_text: str, values: dict[Labels, int]) -> None:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        for labels, value in sorted(values.items()):
            lines.append(f"{name}{_fmt_labels(labels)} {value}")
