"""Progress events of a training run: plain JSON-able dicts, throttled so listeners are never flooded.

Event shapes (every event has "event"):
  {"event": "progress", "step", "total", "epoch", "loss", "tokens_per_s", "eta_s", "lr"}
  {"event": "checkpoint", "step", "path"}
  {"event": "eval", "step", "loss", "tokens"}
  {"event": "done", "steps", "total", "loss", "cancelled", "tokens_seen", "tokens_per_s", "wall_time_s",
   "peak_memory_bytes", "trainable_params", "artifact_dir", "artifact_bytes"}
Events carry numbers and paths only, never text from the training data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

EventFn = Callable[[dict[str, Any]], None]


class EventSink:
    """Forwards events to `on_event`; "progress" at most `rate` per second unless forced (the final one).

    Other kinds (checkpoint, eval, done) are rare and always delivered. With `enabled=False` (processes
    other than the main one) nothing is delivered.
    """

    def __init__(self, on_event: EventFn | None, *, rate: float = 4.0, enabled: bool = True) -> None:
        self._on_event = on_event if enabled else None
        self._interval = 1.0 / rate
        self._last = float("-inf")

    def progress(self, event: dict[str, Any], *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        self.emit({"event": "progress", **event})

    def emit(self, event: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(event)
