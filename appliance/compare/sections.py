"""The sections of the comparison report's HTML: the comparison table, paired tests, quality and cost
charts, loss curves, slices, the privacy audit and the forgetting check, each a fragment of HTML.

`appliance.compare.report` puts them in order under their headings. Hazard: every string that
reaches a fragment is escaped; fragments receive metrics, run metadata and slice names only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from appliance.compare import svg
from appliance.compare.formats import (
    METRIC_ORDER,
    PROPORTIONS,
    fmt_bytes,
    fmt_count,
    fmt_interval,
    fmt_metric,
    fmt_per_record,
    fmt_seconds,
    metric_label,
)
from appliance.evaluate.intervals import min_differing_records
from appliance.evaluate.metrics import PrimaryMetric
from appliance.evaluate.recommend import Recommendation, cost_seconds, fmt_cost
from appliance.evaluate.runs import METHODS, flagged, method_label, number


def metric_keys(runs: Sequence[Mapping[str, Any]], primary: PrimaryMetric) -> list[str]:
    present = {k for r in runs for k, v in r["metrics"].items() if number(v) is not None and k != "n"}
    ordered = [k for k in METRIC_ORDER if k in present and k != primary.key]
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


def comparison_table(runs: Sequence[Mapping[str, Any]], keys: list[str], rec: Recommendation,
                     budget: float | None) -> str:
    chosen = rec.run_id
    head = ["Run", "Method", "Test records", *[f"{metric_label(k)} [95 % interval]" for k in keys], "Training time",
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


def quality_charts(runs: Sequence[Mapping[str, Any]], keys: list[str], rec: Recommendation) -> str:
    charts = []
    for key in keys[:6]:
        proportion = key in PROPORTIONS
        errors = []
        for r in runs:
            span = rec.intervals.get(str(r["run_id"]), {}).get(key)
            errors.append((float(span["low"]), float(span["high"])) if span else None)
        charts.append(
            svg.bar_chart(
                [(str(r["run_id"]), number(r["metrics"].get(key))) for r in runs],
                title=metric_label(key) + (" with 95 % interval" if any(errors) else ""),
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


def cost_chart(runs: Sequence[Mapping[str, Any]], primary: PrimaryMetric, chosen: str | None) -> str:
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


def loss_chart(runs: Sequence[Mapping[str, Any]]) -> str:
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


def slices_table(runs: Sequence[Mapping[str, Any]], primary: PrimaryMetric) -> str:
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


def privacy_section(runs: Sequence[Mapping[str, Any]]) -> str:
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


def forgetting_chart(runs: Sequence[Mapping[str, Any]]) -> str:
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


def pairs_table(rec: Recommendation, primary: PrimaryMetric) -> str:
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
            "two runs labelled right. Runs that differ on fewer than "
            f"{min_differing_records()} records are never called different: no exact test reaches p &lt; 0.05 on "
            "so few. Tests are not corrected for multiple comparisons.</p>")  # fmt: skip
    return "<table>" + "".join(rows) + "</table>" + note
