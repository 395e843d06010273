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
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from appliance.compare import svg
from appliance.evaluate.metrics import PRIMARY_METRICS, PrimaryMetric
from appliance.evaluate.recommend import (
    DEFAULT_QUERIES,
    DEFAULT_TOLERANCE,
    Recommendation,
    cost_seconds,
    fmt_cost,
    recommend,
)
from appliance.evaluate.runs import METHODS, check_runs, flagged, method_label, number

DEFAULT_TITLE = "Tuning method comparison"
# Scalar metrics shown beside the primary one, in this order when present.
_METRIC_ORDER = ("accuracy", "macro_f1", "rouge_l", "factual_consistency", "json_valid", "field_em", "record_em",
                 "perplexity")  # fmt: skip
_METRIC_LABELS = {
    "accuracy": "accuracy", "macro_f1": "macro-F1", "rouge_l": "ROUGE-L", "rouge_l_precision": "ROUGE-L P",
    "rouge_l_recall": "ROUGE-L R", "factual_consistency": "factual consistency", "json_valid": "valid JSON",
    "field_em": "field EM", "record_em": "record EM", "perplexity": "perplexity", "nll": "NLL",
}  # fmt: skip
_PROPORTIONS = {"accuracy", "macro_f1", "rouge_l", "rouge_l_precision", "rouge_l_recall", "factual_consistency",
                "json_valid", "field_em", "record_em"}  # fmt: skip

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
# Formatting


def fmt_seconds(value: Any) -> str:
    s = number(value)
    if s is None:
        return "—"
    if s < 90:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def fmt_bytes(value: Any) -> str:
    b = number(value)
    if b is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(b) < 1000 or unit == "TB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1000
    return "—"


def fmt_count(value: Any) -> str:
    n = number(value)
    if n is None:
        return "—"
    for div, suffix in ((1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}"
    return f"{n:.0f}"


def fmt_metric(key: str, value: Any) -> str:
    v = number(value)
    if v is None:
        return "—"
    return f"{v:.3f}" if key in _PROPORTIONS else f"{v:.3g}"


def fmt_interval(key: str, span: Mapping[str, Any] | None) -> str:
    """' [low, high]' of a 95 % interval, or '' without one."""
    if not isinstance(span, Mapping):
        return ""
    return f" [{fmt_metric(key, span.get('low'))}, {fmt_metric(key, span.get('high'))}]"


def fmt_per_record(value: Any) -> str:
    s = number(value)
    if s is None:
        return "—"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def _label(key: str) -> str:
    return _METRIC_LABELS.get(key, key.replace("_", " "))


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


def report_data(
    runs: Sequence[Mapping[str, Any]],
    recommendation: Recommendation | None = None,
    *,
    title: str = DEFAULT_TITLE,
    budget: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    queries: int = DEFAULT_QUERIES,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON side of the report: title, task, budget, test size, recommendation, paired tests and runs.

    Each run carries `test_size`, `intervals` ({metric: {value, low, high}}, 95 %) and its cost for the
    stated query volume; the per-record scores the intervals come from are left out.
    """
    task = check_runs(runs)
    rec = recommendation or recommend(runs, tolerance, queries=queries)
    out_runs = []
    for run in runs:
        row = {k: v for k, v in run.items() if k != "items"}
        row["test_size"] = number(run["metrics"].get("n"))
        row["intervals"] = rec.intervals.get(str(run["run_id"]), {})
        row["cost_seconds"] = cost_seconds(run, rec.queries)
        out_runs.append(row)
    return _clean(
        {
            "title": title,
            "task": task,
            "budget_seconds": budget,
            "primary_metric": PRIMARY_METRICS[task].key,
            "test_size": rec.test_size,
            "confidence": 0.95,
            "queries": rec.queries,
            "recommendation": {k: v for k, v in rec.to_dict().items() if k not in ("intervals", "pairs")},
            "pairs": rec.pairs,
            "notes": [*notes, *cross_validation_notes(runs)],
            "runs": out_runs,
        }
    )


# ---------------------------------------------------------------------------------------------------
# HTML


def _metric_keys(runs: Sequence[Mapping[str, Any]], primary: PrimaryMetric) -> list[str]:
    present = {k for r in runs for k, v in r["metrics"].items() if number(v) is not None and k != "n"}
    ordered = [k for k in _METRIC_ORDER if k in present and k != primary.key]
    ordered += sorted(present - set(ordered) - {primary.key, "tokens"})
    return [primary.key, *ordered] if primary.key in present else ordered


def _trains(run: Mapping[str, Any]) -> bool:
    return METHODS[run["method"]].trains


def _budget_cell(run: Mapping[str, Any], budget: float | None) -> str:
    if not _trains(run):
        return '<span class="muted">no training</span>'
    steps, epochs = number(run.get("steps")), number(run.get("epochs"))
    done = " · ".join(
        p for p in (f"{steps:.0f} steps" if steps is not None else "", f"{epochs:.2g} epochs" if epochs else "") if p
    )
    limit = number(run.get("budget_seconds"))
    limit = limit if limit is not None else budget
    seconds = number(run.get("train_seconds"))
    if limit is None or seconds is None:
        return escape(done or "—")
    verdict = (
        f'<span class="ok">within {fmt_seconds(limit)}</span>'
        if seconds <= limit
        else f'<span class="flag">over {fmt_seconds(limit)}</span>'
    )
    return f"{escape(done)}<br>{verdict}" if done else verdict


def _exposure_cell(run: Mapping[str, Any]) -> str:
    exposure = run.get("exposure")
    if not isinstance(exposure, Mapping):
        return '<span class="muted">not audited</span>'
    top, mean = number(exposure.get("max")), number(exposure.get("mean"))
    text = f"{top:.1f} / {mean:.1f} bits" if top is not None and mean is not None else "—"
    return f'<span class="flag">{text} FLAGGED</span>' if flagged(run) else escape(text)


def _forgetting_cell(run: Mapping[str, Any]) -> str:
    f = run.get("forgetting")
    if not isinstance(f, Mapping):
        return "—"
    before, after = number(f.get("before")), number(f.get("after"))
    if before is None or after is None:
        return "—"
    change = (after / before - 1) * 100 if before else math.nan
    return f"{before:.2f} → {after:.2f} ({change:+.0f}%)"


def _table(runs: Sequence[Mapping[str, Any]], keys: list[str], rec: Recommendation, budget: float | None) -> str:
    chosen = rec.run_id
    head = ["Run", "Method", "Test records", *[f"{_label(k)} [95 % interval]" for k in keys], "Training time",
            "Inference per record", "Tokens per query", f"Cost for {rec.queries:,} queries",
            "Steps / epochs (budget)", "Peak memory", "Trainable params", "Artifact", "Training tokens/s",
            "Exposure max / mean", "General-text perplexity"]  # fmt: skip
    rows = [
        "<tr>" + "".join(f'<th class="{"l" if i < 2 else ""}">{escape(h)}</th>' for i, h in enumerate(head)) + "</tr>"
    ]
    for run in runs:
        cells = [f'<td class="l">{escape(str(run["run_id"]))}</td>', f'<td class="l">{escape(method_label(run))}</td>']
        spans = rec.intervals.get(str(run["run_id"]), {})
        n = number(run["metrics"].get("n"))
        cells.append(f"<td>{'—' if n is None else f'{n:.0f}'}</td>")
        cells += [f"<td>{fmt_metric(k, run['metrics'].get(k))}<span class=\"muted\">{fmt_interval(k, spans.get(k))}"
                  "</span></td>" for k in keys]  # fmt: skip
        tokens = number(run.get("tokens_per_query"))
        cells += [
            f"<td>{fmt_seconds(run.get('train_seconds')) if _trains(run) else 'none'}</td>",
            f"<td>{fmt_per_record(run.get('infer_seconds_per_record'))}</td>",
            f"<td>{'—' if tokens is None else f'{tokens:,.0f}'}</td>",
            f"<td>{escape(fmt_cost(cost_seconds(run, rec.queries)))}</td>",
            f"<td>{_budget_cell(run, budget)}</td>",
            f"<td>{fmt_bytes(run.get('peak_memory_bytes'))}</td>",
            f"<td>{fmt_count(run.get('trainable_params'))}</td>",
            f"<td>{fmt_bytes(run.get('artifact_bytes'))}</td>",
            f"<td>{fmt_count(run.get('tokens_per_s'))}</td>",
            f"<td>{_exposure_cell(run)}</td>",
            f"<td>{_forgetting_cell(run)}</td>",
        ]
        css = ' class="chosen"' if run["run_id"] == chosen else ""
        rows.append(f"<tr{css}>" + "".join(cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _colours(runs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """One colour per run, the same in every chart."""
    return {str(r["run_id"]): svg.colour(i) for i, r in enumerate(runs)}


def _colours_of(labels: Sequence[str], runs: Sequence[Mapping[str, Any]]) -> list[str]:
    by_run = _colours(runs)
    return [by_run[label] for label in labels]


def _value_format(proportion: bool) -> Callable[[float], str]:
    return (lambda v: f"{v:.3f}") if proportion else (lambda v: f"{v:.3g}")


def _quality_charts(runs: Sequence[Mapping[str, Any]], keys: list[str], rec: Recommendation) -> str:
    charts = []
    for key in keys[:6]:
        proportion = key in _PROPORTIONS
        errors = []
        for r in runs:
            span = rec.intervals.get(str(r["run_id"]), {}).get(key)
            errors.append((float(span["low"]), float(span["high"])) if span else None)
        charts.append(
            svg.bar_chart(
                [(str(r["run_id"]), number(r["metrics"].get(key))) for r in runs],
                title=_label(key) + (" with 95 % interval" if any(errors) else ""),
                fmt=_value_format(proportion),
                highlight=rec.run_id,
                lower_is_better=key in ("perplexity", "nll"),
                width=560,
                colours=_colours_of([str(r["run_id"]) for r in runs], runs),
                axis_max=1.0 if proportion else None,
                errors=errors,
            )
        )
    return '<div class="charts">' + "".join(charts) + "</div>"


def _cost_chart(runs: Sequence[Mapping[str, Any]], primary: PrimaryMetric, chosen: str | None) -> str:
    points = []
    for r in runs:
        seconds, value = number(r.get("train_seconds")), number(r["metrics"].get(primary.key))
        if value is not None:
            points.append((str(r["run_id"]), seconds if seconds is not None else 0.0, value))
    return svg.scatter_chart(
        points,
        title=f"{primary.label} against training time",
        x_label="training seconds (log scale; runs without training at the left)",
        y_label=primary.label,
        log_x=True,
        colours=_colours_of([p[0] for p in points], runs),
        highlight=chosen,
    )


def _loss_chart(runs: Sequence[Mapping[str, Any]]) -> str:
    series = [
        (str(r["run_id"]), [float(v) for v in r["loss_curve"] if number(v) is not None])
        for r in runs
        if isinstance(r.get("loss_curve"), list) and r["loss_curve"]
    ]
    if not series:
        return '<p class="muted">No run recorded a loss curve (in-context and classical baselines do not train).</p>'
    return svg.line_chart(
        series,
        title="Training loss",
        x_label="logged step",
        y_label="loss",
        colours=_colours_of([name for name, _ in series], runs),
    )


def _slices(runs: Sequence[Mapping[str, Any]], primary: PrimaryMetric) -> str:
    slicings: dict[str, list[str]] = {}
    for r in runs:
        for name, values in (r.get("slices") or {}).items():
            if isinstance(values, Mapping):
                slicings.setdefault(name, [])
                slicings[name] += [v for v in values if v not in slicings[name]]
    if not slicings:
        return '<p class="muted">No slices were recorded.</p>'
    parts = []
    for name, values in slicings.items():
        head = (
            f'<tr><th class="l">{escape(name.replace("_", " "))}</th>'
            + "".join(f"<th>{escape(str(r['run_id']))}</th>" for r in runs)
            + "</tr>"
        )
        rows = [head]
        for value in sorted(values):
            cells = [f'<td class="l">{escape(str(value))}</td>']
            for r in runs:
                cell = ((r.get("slices") or {}).get(name) or {}).get(value)
                if not isinstance(cell, Mapping):
                    cells.append('<td class="muted">—</td>')
                    continue
                css = ' class="small"' if cell.get("small") else ""
                n = number(cell.get("n"))
                count = f' <span class="muted">(n={n:.0f})</span>' if n is not None else ""
                cells.append(f"<td{css}>{fmt_metric(primary.key, cell.get(primary.key))}{count}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("<table>" + "".join(rows) + "</table>")
    note = (
        f'<p class="note">Cells show {escape(primary.label)} per slice; grey cells are slices too small '
        "to read much into.</p>"
    )
    return "".join(parts) + note


def _privacy(runs: Sequence[Mapping[str, Any]]) -> str:
    audited = [r for r in runs if isinstance(r.get("exposure"), Mapping)]
    if not audited:
        return '<p class="muted">No run was audited with canaries.</p>'
    head = ("<tr><th class='l'>Run</th><th>Max exposure (bits)</th><th>Mean exposure</th><th>Threshold</th>"
            "<th>Candidates</th><th>Extracted canaries</th><th>Outputs with training identifiers</th>"
            "<th>Verdict</th></tr>")  # fmt: skip
    rows = [head]
    for r in audited:
        e = r["exposure"]
        leak = r.get("leakage")
        leaking = number(leak.get("leaking_outputs")) if isinstance(leak, Mapping) else None
        outputs = number(leak.get("outputs")) if isinstance(leak, Mapping) else None
        leak_text = f"{leaking:.0f} of {outputs:.0f}" if leaking is not None and outputs is not None else "—"
        verdict = (
            '<span class="flag">flagged: not releasable</span>' if flagged(r) else '<span class="ok">passed</span>'
        )
        cells = [
            escape(str(r["run_id"])),
            _opt(e.get("max"), "{:.2f}"),
            _opt(e.get("mean"), "{:.2f}"),
            _opt(e.get("threshold_bits"), "{:.1f}"),
            _opt(e.get("candidates"), "{:.0f}"),
            _opt(e.get("extracted"), "{:.0f}"),
            leak_text,
            verdict,
        ]
        rows.append(
            "<tr>" + "".join(f'<td class="{"l" if i == 0 else ""}">{c}</td>' for i, c in enumerate(cells)) + "</tr>"
        )
    thresholds = [number(r["exposure"].get("threshold_bits")) for r in audited]
    threshold = next((t for t in thresholds if t is not None), None)
    chart = svg.bar_chart(
        [(str(r["run_id"]), number(r["exposure"].get("max"))) for r in audited],
        title="Largest canary exposure (bits)",
        threshold=threshold,
        threshold_label="flag threshold",
        fmt=lambda v: f"{v:.2f}",
        colours=_colours_of([str(r["run_id"]) for r in audited], runs),
    )
    note = (
        '<p class="note">Exposure (Carlini et al. 2019) is log2(R) − log2(rank) of a planted canary among R random '
        "strings of the same format, ranked by the model's likelihood: about 1.4 bits on average for a string the "
        "model never saw, log2(R) when the model ranks the canary first. A run is flagged when the largest exposure "
        "reaches the threshold or greedy decoding reproduces a canary; flagged runs are never recommended.</p>"
    )
    return "<table>" + "".join(rows) + "</table>" + chart + note


def _opt(value: Any, pattern: str) -> str:
    v = number(value)
    return "—" if v is None else escape(pattern.format(v))


def _forgetting_chart(runs: Sequence[Mapping[str, Any]]) -> str:
    bars = []
    for r in runs:
        f = r.get("forgetting")
        if isinstance(f, Mapping) and number(f.get("after")) is not None:
            bars.append((str(r["run_id"]), number(f.get("after"))))
    if not bars:
        return '<p class="muted">No run measured general-text perplexity.</p>'
    befores = [number(r["forgetting"].get("before")) for r in runs if isinstance(r.get("forgetting"), Mapping)]
    before = next((b for b in befores if b is not None), None)
    return svg.bar_chart(
        bars,
        title="General-text perplexity after tuning",
        threshold=before,
        threshold_label="base model",
        lower_is_better=True,
        fmt=lambda v: f"{v:.2f}",
        colours=_colours_of([label for label, _ in bars], runs),
    )


def _pairs(rec: Recommendation, primary: PrimaryMetric) -> str:
    if not rec.pairs:
        return ('<p class="muted">No two runs were scored on the same test records with per-record scores, so '
                "no paired test was made.</p>")  # fmt: skip
    head = (f"<tr><th class='l'>First</th><th class='l'>Second</th><th>{escape(primary.label)} difference "
            "[95 % interval]</th><th>p (paired bootstrap)</th><th>Accuracy: only first right / only second right"
            "</th><th>p (McNemar)</th><th>Verdict</th></tr>")  # fmt: skip
    rows = [head]
    for p in rec.pairs:
        acc = p.get("accuracy") if isinstance(p.get("accuracy"), Mapping) else None
        verdict = ('<span class="ok">significant</span>' if p["significant"]
                   else '<span class="muted">not distinguishable</span>')  # fmt: skip
        cells = [
            f'<td class="l">{escape(str(p["first"]))}</td>', f'<td class="l">{escape(str(p["second"]))}</td>',
            f"<td>{p['difference']:+.3f} [{p['low']:+.3f}, {p['high']:+.3f}]</td>", f"<td>{p['p_value']:.3f}</td>",
            f"<td>{acc['only_first_right']} / {acc['only_second_right']}</td>" if acc else "<td>—</td>",
            f"<td>{acc['p_value']:.3f}</td>" if acc else "<td>—</td>", f"<td>{verdict}</td>",
        ]  # fmt: skip
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = (f'<p class="note">Each pair scored on the same {rec.test_size} test records; the difference is first '
            "minus second, its interval from the same bootstrap resamples of the records for both runs; "
            "significant when the interval excludes 0. McNemar's exact test counts the records exactly one of the "
            "two runs labelled right. Tests are not corrected for multiple comparisons.</p>")  # fmt: skip
    return "<table>" + "".join(rows) + "</table>" + note


def cross_validation_notes(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """One sentence per run also scored by cross-validation folds (see `appliance.compare.crossval`)."""
    out = []
    for run in runs:
        cv = run.get("cross_validation")
        if not isinstance(cv, Mapping) or not isinstance(cv.get("metrics"), Mapping):
            continue
        spans = cv.get("intervals") or {}
        scores = "; ".join(f"{_label(k)} {fmt_metric(k, v)}{fmt_interval(k, spans.get(k))}"
                           for k, v in cv["metrics"].items())  # fmt: skip
        out.append(f"{run['run_id']} ({method_label(run)}) by {cv.get('folds')}-fold cross-validation over "
                   f"{cv.get('n')} records, grouped by patient: {scores}. Not paired with the other runs.")
    return out


def render_html(
    runs: Sequence[Mapping[str, Any]],
    recommendation: Recommendation | None = None,
    title: str = DEFAULT_TITLE,
    budget: float | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    queries: int = DEFAULT_QUERIES,
    notes: Sequence[str] = (),
) -> str:
    """The report as one self-contained HTML document (see the module docstring)."""
    task = check_runs(runs)
    primary = PRIMARY_METRICS[task]
    rec = recommendation or recommend(runs, tolerance, queries=queries)
    keys = _metric_keys(runs, primary)
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
        *([f'<p class="note">{escape(n)}</p>' for n in [*notes, *cross_validation_notes(runs)]]),
        "<h2>Comparison</h2>",
        _table(runs, keys, rec, budget),
        '<p class="note">Quality metrics are on a 0–1 scale; brackets hold the 95 % bootstrap interval '
        "(stratified by label, seeded) over the test records. Inference per record is measured while scoring the "
        f"test split; the cost adds training time and {rec.queries:,} queries at that rate. Exposure is in bits "
        "(see Privacy). General-text perplexity: base model → tuned model on a fixed sample of plain English "
        "(higher after tuning means the model forgot some general language).</p>",
        "<h2>Paired tests</h2>",
        _pairs(rec, primary),
        "<h2>Quality</h2>",
        _quality_charts(runs, keys, rec),
        _cost_chart(runs, primary, rec.run_id),
        "<h2>Loss curves</h2>",
        _loss_chart(runs),
        "<h2>Slices</h2>",
        _slices(runs, primary),
        "<h2>Privacy</h2>",
        _privacy(runs),
        "<h2>Forgetting</h2>",
        _forgetting_chart(runs),
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
    *,
    title: str = DEFAULT_TITLE,
    budget: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    queries: int = DEFAULT_QUERIES,
    notes: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Write `<path>.html` and `<path>.json` (suffix of `path` replaced); returns both paths.

    Each file is written to a temporary sibling and renamed, so a failure leaves no half-written report.
    """
    rec = recommendation or recommend(runs, tolerance, queries=queries)
    base = Path(path)
    html_path, json_path = base.with_suffix(".html"), base.with_suffix(".json")
    data = report_data(runs, rec, title=title, budget=budget, tolerance=tolerance, queries=queries, notes=notes)
    html = render_html(runs, rec, title, budget, tolerance=tolerance, queries=queries, notes=notes)
    _write_atomic(json_path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    _write_atomic(html_path, html)
    return html_path, json_path
