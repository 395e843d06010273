"""Small inline-SVG charts for the self-contained HTML report: lines, horizontal bars, scatter.

Charts are strings of SVG markup meant to be pasted inside HTML: no `xmlns` URL, no external fonts, no
script, so the report opens on an air-gapped machine exactly as it was written. Every text is escaped.
Colours come from a fixed palette by series index, so one run keeps its colour across charts when
callers pass series in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
)  # fmt: skip
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 12))
    return ticks


def _num(value: float) -> str:
    return f"{value:.4g}"


def _tick(value: float) -> str:
    """Tick text without scientific notation for the magnitudes charts here show."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return _num(value)


def _pick(colours: Sequence[str] | None, index: int) -> str:
    return colours[index] if colours is not None and index < len(colours) else colour(index)


def _y_title(text: str, top: int, height: int, bottom: int) -> str:
    mid = f"{top + (height - top - bottom) / 2:.0f}"
    return f'<text x="12" y="{mid}" transform="rotate(-90 12 {mid})" text-anchor="middle">{escape(text)}</text>'


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" {_FONT}>' + "".join(body) + "</svg>"
    )


def line_chart(
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    x_label: str = "step",
    y_label: str = "",
    width: int = 640,
    height: int = 300,
    colours: Sequence[str] | None = None,
) -> str:
    """One polyline per (name, values); x is the index of the value. Non-finite values are skipped."""
    points = [[(i, v) for i, v in enumerate(vals) if math.isfinite(v)] for _, vals in series]
    ys = [v for pts in points for _, v in pts]
    xs = [i for pts in points for i, _ in pts]
    if not ys:
        return _svg(width, 40, [f'<text x="8" y="24">{escape(title)}: no data</text>'], title)
    left, right, top, bottom = 56, 150, 24, 40
    y_ticks = nice_ticks(min(ys), max(ys))
    x_ticks = nice_ticks(0, max(max(xs), 1), 6)
    y0, y1, x1 = y_ticks[0], y_ticks[-1], x_ticks[-1]

    def px(x: float) -> float:
        return left + (x / x1) * (width - left - right)

    def py(y: float) -> float:
        return height - bottom - (y - y0) / ((y1 - y0) or 1.0) * (height - top - bottom)

    body = [f'<text x="{left}" y="14" font-weight="bold">{escape(title)}</text>']
    for t in y_ticks:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e5e5e5"/>')
        body.append(f'<text x="{left - 4}" y="{py(t) + 4:.1f}" text-anchor="end">{_tick(t)}</text>')
    for t in x_ticks:
        body.append(f'<text x="{px(t):.1f}" y="{height - bottom + 14}" text-anchor="middle">{_tick(t)}</text>')
    body.append(
        f'<text x="{(left + width - right) / 2:.0f}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>'
    )
    if y_label:
        body.append(_y_title(y_label, top, height, bottom))
    for k, ((name, _), pts) in enumerate(zip(series, points, strict=True)):
        if pts:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            body.append(f'<polyline fill="none" stroke="{_pick(colours, k)}" stroke-width="1.6" points="{path}"/>')
        ly = top + 14 * k
        body.append(f'<rect x="{width - right + 10}" y="{ly}" width="10" height="10" fill="{_pick(colours, k)}"/>')
        body.append(f'<text x="{width - right + 24}" y="{ly + 9}">{escape(name)}</text>')
    return _svg(width, height, body, title)


def bar_chart(
    bars: Sequence[tuple[str, float | None]],
    *,
    title: str,
    fmt: Callable[[float], str] = _num,
    threshold: float | None = None,
    threshold_label: str = "threshold",
    highlight: str | None = None,
    lower_is_better: bool = False,
    width: int = 640,
    colours: Sequence[str] | None = None,
    axis_max: float | None = None,
    errors: Sequence[tuple[float, float] | None] | None = None,
) -> str:
    """Horizontal bars, one per (label, value); None is drawn as "n/a". Bars start at zero.

    `axis_max` fixes the end of the axis (1 for scores in [0, 1]); `errors` draws a (low, high) whisker per bar.
    """
    row = 20
    left, right, top = 170, 70, 24
    height = top + row * len(bars) + 22
    values = [v for _, v in bars if v is not None and math.isfinite(v)]
    top_value = max([*values, threshold or 0.0, 0.0])
    ticks = nice_ticks(0.0, axis_max, 4) if axis_max else nice_ticks(0.0, top_value or 1.0, 4)
    scale = (width - left - right) / (ticks[-1] or 1.0)
    note = " (lower is better)" if lower_is_better else ""
    body = [f'<text x="8" y="14" font-weight="bold">{escape(title + note)}</text>']
    for t in ticks:
        x = left + t * scale
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{height - 18}" stroke="#eeeeee"/>')
        body.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{_tick(t)}</text>')
    for k, (label, value) in enumerate(bars):
        y = top + k * row
        weight = ' font-weight="bold"' if label == highlight else ""
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end"{weight}>{escape(label)}</text>')
        if value is None or not math.isfinite(value):
            body.append(f'<text x="{left + 4}" y="{y + 13}" fill="#888888">n/a</text>')
            continue
        w = max(0.0, value) * scale
        body.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{_pick(colours, k)}"/>')
        span = errors[k] if errors is not None and k < len(errors) else None
        text_x = left + w + 4
        if span is not None:
            x0, x1 = left + max(0.0, span[0]) * scale, left + max(0.0, span[1]) * scale
            body.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y + 10}" y2="{y + 10}" stroke="#333333"/>'
                        f'<line x1="{x0:.1f}" x2="{x0:.1f}" y1="{y + 6}" y2="{y + 14}" stroke="#333333"/>'
                        f'<line x1="{x1:.1f}" x2="{x1:.1f}" y1="{y + 6}" y2="{y + 14}" stroke="#333333"/>')
            text_x = max(text_x, x1 + 4)
        body.append(f'<text x="{text_x:.1f}" y="{y + 13}">{escape(fmt(value))}</text>')
    if threshold is not None:
        x = left + threshold * scale
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 18}" stroke="#d62728" '
                    'stroke-dasharray="4 3" stroke-width="1.5"/>')  # fmt: skip
        body.append(f'<text x="{x + 3:.1f}" y="{top - 8}" fill="#d62728">{escape(threshold_label)}</text>')
    return _svg(width, height, body, title)


def scatter_chart(
    points: Sequence[tuple[str, float, float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = False,
    width: int = 640,
    height: int = 320,
    colours: Sequence[str] | None = None,
    highlight: str | None = None,
) -> str:
    """Labelled points (label, x, y); with `log_x`, x is drawn on a log10 scale (x <= 0.1 placed at 0.1).
    `colours` index the points as given; non-finite points are skipped."""
    usable = [(k, lab, x, y) for k, (lab, x, y) in enumerate(points) if math.isfinite(x) and math.isfinite(y)]
    if not usable:
        return _svg(width, 40, [f'<text x="8" y="24">{escape(title)}: no data</text>'], title)
    left, right, top, bottom = 64, 24, 24, 40

    def tx(x: float) -> float:
        return math.log10(max(x, 0.1)) if log_x else x

    xs = [tx(x) for _, _, x, _ in usable]
    ys = [y for _, _, _, y in usable]
    x_ticks = nice_ticks(min(xs), max(xs), 5)
    y_ticks = nice_ticks(min(ys), max(ys), 5)

    def px(x: float) -> float:
        return left + (x - x_ticks[0]) / ((x_ticks[-1] - x_ticks[0]) or 1.0) * (width - left - right)

    def py(y: float) -> float:
        return height - bottom - (y - y_ticks[0]) / ((y_ticks[-1] - y_ticks[0]) or 1.0) * (height - top - bottom)

    body = [f'<text x="{left}" y="14" font-weight="bold">{escape(title)}</text>']
    for t in y_ticks:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e5e5e5"/>')
        body.append(f'<text x="{left - 4}" y="{py(t) + 4:.1f}" text-anchor="end">{_tick(t)}</text>')
    for t in x_ticks:
        shown = _tick(10**t) if log_x else _tick(t)
        body.append(f'<text x="{px(t):.1f}" y="{height - bottom + 14}" text-anchor="middle">{shown}</text>')
    body.append(
        f'<text x="{(left + width - right) / 2:.0f}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>'
    )
    body.append(_y_title(y_label, top, height, bottom))
    for (k, label, _, y), x in zip(usable, xs, strict=True):
        ring = ' stroke="#222222" stroke-width="2"' if label == highlight else ""
        weight = ' font-weight="bold"' if label == highlight else ""
        body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="5" fill="{_pick(colours, k)}"{ring}/>')
        body.append(f'<text x="{px(x) + 7:.1f}" y="{py(y) - 6:.1f}"{weight}>{escape(label)}</text>')
    return _svg(width, height, body, title)
