"""Logging for the server process, on a terminal and under systemd.

Under systemd (``JOURNAL_STREAM`` set, as systemd does for a unit whose stderr goes to the journal)
each line starts with its syslog priority (``<6>`` info, ``<4>`` warning...), which journald reads as
the entry's priority, and has no timestamp (the journal adds one). On a terminal lines carry the time.
Without this the root logger's default level (WARNING) would drop every INFO line, the per-request
log included. Log lines never hold prompt or completion text (see ``appliance.serve.api``).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def under_journald(stream: TextIO = sys.stderr) -> bool:
    """True when ``stream`` is the socket systemd named in JOURNAL_STREAM (device:inode)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{info.st_dev}:{info.st_ino}"


def configure_logging(level: int = logging.INFO, stream: TextIO = sys.stderr) -> logging.Handler:
    """One handler on the root logger for ``stream`` (replacing any this function added before)."""
    handler = logging.StreamHandler(stream)
    if under_journald(stream):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.set_name("appliance-serve")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "appliance-serve"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
