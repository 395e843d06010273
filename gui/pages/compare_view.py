"""The comparison itself on the Compare page: the verdict, runs side by side, privacy audit and slices.

Every score is on one scale (0-1, three decimals) with its 95 % interval and the number of test
records it rests on; the bar chart's axis ends at 1 for such scores, and every bar has its own label.
The figures come from the core (`appliance.compare.summaries`, `appliance.evaluate.recommend`); this
module only lays them out.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from appliance.evaluate.metrics import PRIMARY_METRICS
from appliance.evaluate.recommend import Recommendation, cost_seconds, fmt_cost
from appliance.evaluate.runs import method_label
from gui.charts import BarChart
from gui.widgets import fill_table, fit_rows, make_table

GB = 1024**3
SLICE_NOTE = ("Cells show the primary metric per slice and its record count; slices under 10 records are marked "
              "small: too few to read much into.")
SIDE_COLUMNS = ["Run", "Method", "Test records", "Metric [95 % interval]", "Train time", "Inference per record",
                "Tokens per query", "Cost", "Steps", "Trainable", "Peak memory"]  # fmt: skip
SIDE_ROWS_SHOWN = 8  # the side-by-side table shows this many runs without scrolling
_SHORT = {"icl": "ICL", "icl-calibrated": "ICL cal", "tfidf": "TF-IDF", "qlora": "QLoRA", "lora": "LoRA",
          "dora": "DoRA", "full": "full FT"}  # fmt: skip


def bar_labels(runs: list[dict[str, Any]]) -> list[str]:
    """Short, distinct bar labels: the method (with its shots for in-context runs), plus the run number when
    two runs share one. Short enough that the chart never elides them into look-alikes."""
    labels = []
    for r in runs:
        method = str(r["method"])
        name = _SHORT.get(method, method)
        k = r.get("k")
        if method.startswith("icl") and k is not None:
            name = f"{k}-shot" + (" cal" if method == "icl-calibrated" else "")
        labels.append(name)
    out = []
    for label, r in zip(labels, runs, strict=True):
        if labels.count(label) > 1:
            parts = str(r["run_id"]).split("-")
            tag = parts[1] if len(parts) > 1 else str(r["run_id"])
            label = f"{label} #{int(tag) if tag.isdigit() else tag}"
        out.append(label)
    # Still equal (same run number): fall back to the position, so no two bars read alike.
    return [f"{label} ({i + 1})" if out.count(label) > 1 else label for i, label in enumerate(out)]


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def fmt(value: Any, pattern: str = "{:.3f}", empty: str = "—") -> str:
    n = number(value)
    return empty if n is None else pattern.format(n)


def seconds(value: Any) -> str:
    n = number(value)
    if n is None:
        return "—"
    return f"{n:.1f} s" if n < 120 else f"{n / 60:.1f} min"


def per_record(value: Any) -> str:
    n = number(value)
    if n is None:
        return "—"
    return f"{n * 1000:.1f} ms" if n < 1 else f"{n:.2f} s"


def count(value: Any) -> str:
    n = number(value)
    if n is None:
        return "—"
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n:,.0f}"


def score_with_interval(value: Any, span: dict[str, Any] | None) -> str:
    text = fmt(value)
    if span and number(span.get("low")) is not None and number(span.get("high")) is not None:
        text += f" [{span['low']:.3f}, {span['high']:.3f}]"
    return text


class VerdictArea(QScrollArea):
    """The verdict's scroll area: never taller than its text (a short verdict leaves the room to the table
    and chart); a long one gets its share of the height and scrolls."""

    def fit_height(self) -> None:
        content = self.widget()
        if content is not None:
            want = content.heightForWidth(max(1, self.viewport().width())) + 2 * self.frameWidth()
            self.setMaximumHeight(max(self.minimumHeight(), want))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            QTimer.singleShot(0, self.fit_height)  # not from inside the resize: it may resize again

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self.fit_height)  # the text changed
        return super().eventFilter(watched, event)


class CompareView(QWidget):
    """The right side of the Compare page: `display(runs, recommendation)` fills every part."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recommendation_label = QLabel("Tick two or more evaluated runs of one task.")
        self.recommendation_label.setObjectName("recommendation")
        self.recommendation_label.setTextFormat(Qt.TextFormat.RichText)
        self.recommendation_label.setWordWrap(True)
        self.recommendation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_label = QLabel("")
        self.sample_label.setObjectName("sampleSize")
        self.sample_label.setWordWrap(True)
        self.sample_label.setVisible(False)
        self.write_button = QPushButton("&Write report…")
        # The verdict can run to many sentences on small samples; it scrolls rather than squeezing the
        # side-by-side table and chart below it.
        rec_text = QWidget()
        rec_column = QVBoxLayout(rec_text)
        rec_column.setContentsMargins(0, 0, 4, 0)
        rec_column.addWidget(self.sample_label)
        rec_column.addWidget(self.recommendation_label)
        self.recommendation_scroll = VerdictArea()
        self.recommendation_scroll.setWidget(rec_text)
        rec_text.installEventFilter(self.recommendation_scroll)
        self.recommendation_scroll.setWidgetResizable(True)
        self.recommendation_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.recommendation_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recommendation_scroll.setMinimumHeight(60)
        rec_row = QHBoxLayout()
        rec_row.addWidget(self.recommendation_scroll, 1)
        rec_row.addWidget(self.write_button, 0, Qt.AlignmentFlag.AlignTop)

        self.side_table = make_table(SIDE_COLUMNS, "sideBySide")
        fit_rows(self.side_table, SIDE_ROWS_SHOWN)  # every run in view, not one row in a small box
        self.chart = BarChart("Primary metric on the held-out test split", "metric")
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.side_table)
        side_layout.addWidget(self.chart, 1)

        self.privacy_table = make_table(["Run", "Max exposure (bits)", "Mean", "Threshold", "Verdict",
                                         "Outputs with training identifiers", "Perplexity before → after"],
                                        "privacyTable")  # fmt: skip
        self.privacy_note = QLabel("Exposure measures how much more likely the model finds planted fake-PHI "
                                   "canaries than random strings of the same form (about 1.4 bits for a string it "
                                   "never saw). Flagged runs are never recommended. Perplexity on general text "
                                   "before and after tuning shows forgetting.")  # fmt: skip
        self.privacy_note.setObjectName("hint")
        self.privacy_note.setWordWrap(True)
        privacy = QWidget()
        privacy_layout = QVBoxLayout(privacy)
        privacy_layout.addWidget(self.privacy_table, 1)
        privacy_layout.addWidget(self.privacy_note)

        self.slice_table = make_table(["Slice"], "sliceTable")
        self.slice_note = QLabel(SLICE_NOTE)
        self.slice_note.setObjectName("hint")
        self.slice_note.setWordWrap(True)
        slices = QWidget()
        slices_layout = QVBoxLayout(slices)
        slices_layout.addWidget(self.slice_table, 1)
        slices_layout.addWidget(self.slice_note)

        self.tabs = QTabWidget()
        self.tabs.addTab(side, "&Side by side")
        self.tabs.addTab(privacy, "Pri&vacy audit")
        self.tabs.addTab(slices, "Sli&ces")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addLayout(rec_row, 1)
        layout.addWidget(self.tabs, 2)

    def clear(self, message: str = "Tick two or more evaluated runs of one task.") -> None:
        self.recommendation_label.setText(html.escape(message))
        self.sample_label.setText("")
        self.sample_label.setVisible(False)
        for table in (self.side_table, self.privacy_table, self.slice_table):
            table.setRowCount(0)
        fit_rows(self.side_table, SIDE_ROWS_SHOWN)
        self.chart.set_bars([])

    def display(self, runs: list[dict[str, Any]], rec: Recommendation) -> None:
        sentences = rec.sentences or [rec.reason]
        self.recommendation_label.setText(f"<b>{html.escape(sentences[0])}</b> "
                                          + html.escape(" ".join(sentences[1:])))
        self.sample_label.setText(self.sample_text(rec))
        self.sample_label.setVisible(True)
        metric = PRIMARY_METRICS[runs[0]["task"]]
        self.side_table.setHorizontalHeaderItem(3, QTableWidgetItem(f"{metric.label} [95 % interval]"))
        self.side_table.setHorizontalHeaderItem(7, QTableWidgetItem(f"Cost for {rec.queries:,} queries"))
        rows = []
        for r in runs:
            spans = rec.intervals.get(str(r["run_id"]), {})
            memory = r.get("peak_memory_bytes")
            rows.append([
                r["run_id"] + (" ★" if r["run_id"] == rec.run_id else ""), method_label(r),
                fmt(r["metrics"].get("n"), "{:.0f}"), score_with_interval(r["metrics"].get(metric.key),
                                                                          spans.get(metric.key)),
                seconds(r.get("train_seconds")), per_record(r.get("infer_seconds_per_record")),
                fmt(r.get("tokens_per_query"), "{:,.0f}"), fmt_cost(cost_seconds(r, rec.queries)),
                "—" if r.get("steps") is None else str(r["steps"]), count(r.get("trainable_params")),
                fmt(memory / GB, "{:.2f} GB") if isinstance(memory, int | float) and memory else "—",
            ])  # fmt: skip
        fill_table(self.side_table, rows, keys=[r["run_id"] for r in runs])
        marked = [i for i, r in enumerate(runs) if r["run_id"] == rec.run_id]
        self.chart.chart().setTitle(f"{metric.label} on {rec.test_size or '?'} test records "
                                    f"({'higher' if metric.higher_is_better else 'lower'} is better; dark = "
                                    "recommended)")  # fmt: skip
        bars = [(label, number(r["metrics"].get(metric.key))) for label, r in zip(bar_labels(runs), runs, strict=True)]
        self.chart.set_bars(bars, marked=marked, y_max=1.0 if metric.points_scale == 100.0 else None)
        self._show_privacy(runs)
        self._show_slices(runs, metric.key)

    @staticmethod
    def sample_text(rec: Recommendation) -> str:
        """The sample size every score rests on, and the warning when it is small."""
        if rec.test_size is None:
            return "Test records: unknown (these evaluations did not record their size)."
        text = f"Scores on {rec.test_size} test records, each with its 95 % interval."
        return f"{text} {rec.warning}" if rec.warning else text

    def _show_privacy(self, runs: list[dict[str, Any]]) -> None:
        rows = []
        for r in runs:
            exposure = r.get("exposure") or {}
            leakage = r.get("leakage") or {}
            forgetting = r.get("forgetting") or {}
            leak = (f"{leakage.get('leaking_outputs')} of {leakage.get('outputs')}"
                    if leakage.get("outputs") is not None else "—")  # fmt: skip
            verdict = ("flagged: not releasable" if exposure.get("flagged") else
                       "passed" if exposure else "not audited (no canaries planted)")  # fmt: skip
            rows.append([r["run_id"], fmt(exposure.get("max"), "{:.2f}"), fmt(exposure.get("mean"), "{:.2f}"),
                         fmt(exposure.get("threshold_bits"), "{:.1f}"), verdict, leak,
                         f"{fmt(forgetting.get('before'), '{:.2f}')} → {fmt(forgetting.get('after'), '{:.2f}')}"
                         if forgetting else "—"])  # fmt: skip
        fill_table(self.privacy_table, rows)

    def _show_slices(self, runs: list[dict[str, Any]], key: str) -> None:
        slicings: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for r in runs:
            for slicing, values in (r.get("slices") or {}).items():
                for value, cell in values.items():
                    slicings.setdefault((slicing, value), {})[r["run_id"]] = cell
        headers = ["Slice", *[r["run_id"] for r in runs]]
        self.slice_table.setColumnCount(len(headers))
        self.slice_table.setHorizontalHeaderLabels(headers)
        rows = []
        for (slicing, value), cells in sorted(slicings.items()):
            row = [f"{slicing.replace('_', ' ')}: {value}"]
            for r in runs:
                cell = cells.get(r["run_id"])
                if cell is None:
                    row.append("—")
                else:
                    small = " small" if cell.get("small") else ""
                    row.append(f"{fmt(cell.get(key))} (n={cell.get('n')}{small})")
            rows.append(row)
        fill_table(self.slice_table, rows)
        self.slice_note.setText(SLICE_NOTE if rows else "These runs' evaluations hold no slices: their test records "
                                "carry no note type, sex or age band to slice by.")  # fmt: skip
