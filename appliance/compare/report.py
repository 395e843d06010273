"""The comparison report: one JSON file and one self-contained HTML file.

The HTML has inline CSS and inline SVG charts only: no script, no external stylesheet, font or image,
so it opens identically on an air-gapped workstation and can be attached to an approval record. It
shows one comparison table (quality and cost per run), the recommendation in plain words, quality
bars, quality against training time, loss curves, slices, the privacy audit and the forgetting check.

Run summaries are described in `appliance.evaluate.runs`; the recommendation rule in
`appliance.evaluate.recommend`; intervals and paired tests in `appliance.evaluate.intervals`.
Scores are on one scale everywhere: 0-1 for proportions (3 decimals) with the 95 % bootstrap interval
in brackets and the number of test records beside them; chart axes for them end at 1.

Hazard: the report holds metrics, run metadata and slice names only. It must never receive note text
or model outputs (they can carry PHI); every string that reaches the HTML is escaped.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, TypedDict, Unpack

from appliance.compare.formats import cross_validation_notes, fmt_seconds
from appliance.compare.sections import (
    comparison_table,
    cost_chart,
    forgetting_chart,
    loss_chart,
    metric_keys,
    pairs_table,
    privacy_section,
    quality_charts,
    slices_table,
)
from appliance.evaluate.metrics import PRIMARY_METRICS
from appliance.evaluate.recommend import DEFAULT_QUERIES, DEFAULT_TOLERANCE, Recommendation, cost_seconds, recommend
from appliance.evaluate.runs import check_runs, number

__all__ = ["DEFAULT_TITLE", "ReportOptions", "render_html", "report_data", "write_report"]

DEFAULT_TITLE = "Tuning method comparison"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;color:#222;
padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin-top:0}.rec{background:#eef6ee;border-left:4px solid #2ca02c;padding:10px 14px;line-height:1.45}
.rec.none{background:#fbeeee;border-left-color:#d62728}.rec ul{margin:6px 0 0 0;padding-left:20px}
table{border-collapse:collapse;font-size:12.5px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 7px;text-align:right}
th{background:#f5f5f5;vertical-align:bottom}td.l,th.l{text-align:left}tr.chosen td{background:#f1f8f1;font-weight:600}
.flag{color:#b00020;font-weight:600}.ok{color:#2c7a2c}.muted{color:#999}.small{color:#aaa}
.charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555;font-size:12px;line-height:1.4;max-width:900px}
"""


# ---------------------------------------------------------------------------------------------------
# JSON


def _clean(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become None (strict JSON has no NaN), tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


class ReportOptions(TypedDict, total=False):
    """What the report says besides the runs; each has a default (see `_Report`)."""

    title: str  # DEFAULT_TITLE
    budget: float | None  # the time budget in seconds, None when there was none
    tolerance: float  # of the recommendation rule, DEFAULT_TOLERANCE (unused when a recommendation is given)
    queries: int  # the query volume costs are stated for, DEFAULT_QUERIES (likewise)
    notes: Sequence[str]  # shown under the recommendation, before the cross-validation notes


@dataclass(frozen=True)
class _Report:
    task: str
    rec: Recommendation
    title: str
    budget: float | None
    notes: list[str]


def _report(runs: Sequence[Mapping[str, Any]], recommendation: Recommendation | None,
            options: ReportOptions) -> _Report:
    """The runs checked, the recommendation (made when not given) and the options with their defaults."""
    task = check_runs(runs)
    rec = recommendation or recommend(runs, options.get("tolerance", DEFAULT_TOLERANCE),
                                      queries=options.get("queries", DEFAULT_QUERIES))
    return _Report(task, rec, options.get("title", DEFAULT_TITLE), options.get("budget"),
                   [*options.get("notes", ()), *cross_validation_notes(runs)])


def report_data(
    runs: Sequence[Mapping[str, Any]], recommendation: Recommendation | None = None, **options: Unpack[ReportOptions]
) -> dict[str, Any]:
    """The JSON side of the report: title, task, budget, test size, recommendation, paired tests and runs.

    Each run carries `test_size`, `intervals` ({metric: {value, low, high}}, 95 %) and its cost for the
    stated query volume; the per-record scores the intervals come from are left out.
    """
    report = _report(runs, recommendation, options)
    task, rec = report.task, report.rec
    out_runs = []
    for run in runs:
        row = {k: v for k, v in run.items() if k != "items"}
        row["test_size"] = number(run["metrics"].get("n"))
        row["intervals"] = rec.intervals.get(str(run["run_id"]), {})
        row["cost_seconds"] = cost_seconds(run, rec.queries)
        out_runs.append(row)
    return _clean(
        {
            "title": report.title,
            "task": task,
            "budget_seconds": report.budget,
            "primary_metric": PRIMARY_METRICS[task].key,
            "test_size": rec.test_size,
            "confidence": 0.95,
            "queries": rec.queries,
            "recommendation": {k: v for k, v in rec.to_dict().items() if k not in ("intervals", "pairs")},
            "pairs": rec.pairs,
            "notes": report.notes,
            "runs": out_runs,
        }
    )


def render_html(
    runs: Sequence[Mapping[str, Any]], recommendation: Recommendation | None = None, **options: Unpack[ReportOptions]
) -> str:
    """The report as one self-contained HTML document (see the module docstring)."""
    report = _report(runs, recommendation, options)
    task, rec, title, budget = report.task, report.rec, report.title, report.budget
    primary = PRIMARY_METRICS[task]
    keys = metric_keys(runs, primary)
    budget_text = f" · time budget {fmt_seconds(budget)}" if budget is not None else ""
    rec_css = "rec" if rec.run_id else "rec none"
    sentences = rec.sentences or [rec.reason]
    verdict = f"<strong>{escape(sentences[0])}</strong>"
    details = "".join(f"<li>{escape(s)}</li>" for s in sentences[1:])
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">Task: {escape(task)} · primary metric: {escape(primary.label)}'
        f" · {len(runs)} runs · {rec.test_size if rec.test_size is not None else '?'} test records"
        f"{escape(budget_text)}</p>",
        "<h2>Recommendation</h2>",
        f'<div class="{rec_css}">{verdict}<ul>{details}</ul></div>',
        *([f'<p class="note">{escape(n)}</p>' for n in report.notes]),
        "<h2>Comparison</h2>",
        comparison_table(runs, keys, rec, budget),
        '<p class="note">Quality metrics are on a 0–1 scale; brackets hold the 95 % bootstrap interval '
        "(stratified by label, seeded) over the test records. Inference per record is measured while scoring the "
        f"test split; the cost adds training time and {rec.queries:,} queries at that rate. Exposure is in bits "
        "(see Privacy). General-text perplexity: base model → tuned model on a fixed sample of plain English "
        "(higher after tuning means the model forgot some general language).</p>",
        "<h2>Paired tests</h2>",
        pairs_table(rec, primary),
        "<h2>Quality</h2>",
        quality_charts(runs, keys, rec),
        cost_chart(runs, primary, rec.run_id),
        "<h2>Loss curves</h2>",
        loss_chart(runs),
        "<h2>Slices</h2>",
        slices_table(runs, primary),
        "<h2>Privacy</h2>",
        privacy_section(runs),
        "<h2>Forgetting</h2>",
        forgetting_chart(runs),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_report(
    path: str | os.PathLike[str],
    runs: Sequence[Mapping[str, Any]],
    recommendation: Recommendation | None = None,
    **options: Unpack[ReportOptions],
) -> tuple[Path, Path]:
    """Write `<path>.html` and `<path>.json` (suffix of `path` replaced); returns both paths.

    Each file is written to a temporary sibling and renamed, so a failure leaves no half-written report.
    """
    rec = _report(runs, recommendation, options).rec
    base = Path(path)
    html_path, json_path = base.with_suffix(".html"), base.with_suffix(".json")
    data = report_data(runs, rec, **options)
    html = render_html(runs, rec, **options)
    _write_atomic(json_path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    _write_atomic(html_path, html)
    return html_path, json_path
