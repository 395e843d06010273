"""Comparing methods on the hospital's own data, and the comparison report.

Modules, each with one purpose:
- `service`  one comparison request: a snapshot, every method on it, each a registry run; the ``compare`` job
- `request`  what a comparison is asked to do (checked when made) and its per-method progress events
- `baselines` the in-context and TF-IDF baselines, each a registry run with its evaluation
- `report`   the JSON and self-contained HTML comparison report (metrics only, never note text)
- `sections` the report's HTML sections (tables, charts, slices, privacy, forgetting)
- `formats`  how the report writes durations, sizes and metric values
- `svg`      the report's inline SVG charts

The names below are the package's front door (``from appliance.compare import CompareRequest``).
"""

from typing import Any

from appliance.compare import service as _service
from appliance.compare.service import (
    CompareRequest,
    compare_job,
    evaluated_runs,
    run_comparison,
    run_icl_baseline,
    run_tfidf_baseline,
    run_tuned,
    summaries,
    write_report,
)

__all__ = [
    "BASELINES", "DEFAULT_METHODS", "METHODS", "TUNED", "CompareRequest", "compare_job", "evaluated_runs",
    "run_comparison", "run_icl_baseline", "run_tfidf_baseline", "run_tuned", "summaries", "write_report",
]


def __getattr__(name: str) -> Any:
    # The method lists are read live from the method table (see ``service``).
    if name in ("BASELINES", "DEFAULT_METHODS", "METHODS", "TUNED"):
        return getattr(_service, name)
    raise AttributeError(f"module 'appliance.compare' has no attribute {name!r}")
