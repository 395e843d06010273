"""Peak memory of this process: resident set size on CPU, allocator peak on CUDA.

On Linux the kernel's high-water mark (VmHWM) can be reset by writing "5" to /proc/self/clear_refs, so a
training run reports its own peak rather than the peak of whatever the process did before. Where that
is unavailable the lifetime peak (getrusage) is reported, which can only overstate.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import torch


def reset_peak(device: torch.device | str = "cpu") -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux, or not permitted: peak_bytes falls back to the lifetime peak


def peak_bytes(device: torch.device | str = "cpu") -> int:
    if torch.device(device).type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def available_bytes(device: torch.device | str = "cpu") -> int:
    """Memory a training run could still use: free GPU memory, or available system RAM."""
    if torch.device(device).type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)
