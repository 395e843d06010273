"""Terminal progress: a bar on a terminal, a few plain lines otherwise (logs, CI). Throttled."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Call ``update(done, total)`` as often as you like; it redraws at most ``rate`` times a second."""

    def __init__(self, label: str, stream: TextIO | None = None, rate: float = 4.0, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.interval = 1.0 / rate
        self.width = width
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._last_pct = -1
        self._start = time.monotonic()

    def update(self, done: int, total: int, extra: str = "") -> None:
        now = time.monotonic()
        finished = total > 0 and done >= total
        if not finished and now - self._last < self.interval:
            return
        self._last = now
        frac = min(1.0, done / total) if total else 0.0
        pct = int(frac * 100)
        if self.tty:
            filled = int(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {pct:3d}% {extra}".rstrip() + ("\n" if finished else ""))
            self.stream.flush()
        elif finished or pct >= self._last_pct + 25:
            # Without a terminal, print quarter steps only so logs stay readable.
            self._last_pct = pct
            self.stream.write(f"{self.label}: {pct}% {extra}".rstrip() + "\n")
            self.stream.flush()

    def __call__(self, done: int, total: int) -> None:
        self.update(done, total)


def say(message: str, stream: TextIO | None = None) -> None:
    """A progress line for humans (stderr, so stdout stays machine-readable)."""
    out = stream or sys.stderr
    out.write(message + "\n")
    out.flush()
