"""Two small charts over QtCharts (PySide6-Addons): a live line chart and a labelled bar chart.

Both take plain numbers and own their axes, so a page only says what to draw. Values are also kept
in Python (``points``, ``bars``) for tests and for pages that want to say them in words too: a chart
is never the only place a number is shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from gui.style import ACCENT, INK


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    font = QFont(chart.titleFont())
    font.setPointSize(10)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.legend().setVisible(False)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setBackgroundRoundness(4)
    return chart


def _axis(title: str) -> QValueAxis:
    axis = QValueAxis()
    axis.setTitleText(title)
    font = QFont(axis.titleFont())
    font.setPointSize(9)
    font.setBold(False)
    axis.setTitleFont(font)
    axis.setLabelFormat("%.4g")
    axis.setTickCount(5)
    return axis


class LineChart(QChartView):
    """One line of (x, y) points that grows as points are added; the axes follow the data."""

    def __init__(self, title: str, x_title: str, y_title: str, parent: QWidget | None = None,
                 colour: str = ACCENT) -> None:
        super().__init__(parent)
        self.points: list[tuple[float, float]] = []
        chart = _chart(title)
        self.series = QLineSeries()
        self.series.setPen(QPen(QColor(colour), 2))
        chart.addSeries(self.series)
        self.x_axis, self.y_axis = _axis(x_title), _axis(y_title)
        self.x_axis.setLabelFormat("%d")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.x_axis)
        self.series.attachAxis(self.y_axis)
        self.setChart(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(160)
        self.setAccessibleName(title)
        self._fit()

    def clear(self) -> None:
        self.points = []
        self.series.clear()
        self._fit()

    def add_point(self, x: float, y: float) -> None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        if self.points and x <= self.points[-1][0]:
            return  # a repeated step (e.g. the final forced event) adds nothing
        self.points.append((float(x), float(y)))
        self.series.append(x, y)
        self._fit()

    def set_points(self, points: Sequence[tuple[float, float]]) -> None:
        self.points = [(float(x), float(y)) for x, y in points if math.isfinite(x) and math.isfinite(y)]
        self.series.replace([QPointF(x, y) for x, y in self.points])
        self._fit()

    def _fit(self) -> None:
        if not self.points:
            self.x_axis.setRange(0, 10)
            self.y_axis.setRange(0, 1)
            return
        xs = [x for x, _ in self.points]
        ys = [y for _, y in self.points]
        self.x_axis.setRange(min(0.0, min(xs)), max(max(xs), 1.0))
        low, high = min(ys), max(ys)
        pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
        self.y_axis.setRange(max(0.0, low - pad) if low >= 0 else low - pad, high + pad)
        self.y_axis.applyNiceNumbers()


BAR_COLOUR = "#8aa9c9"
BAR_WIDTH = 0.6  # of a category
ZERO_TEXT = "0.00"
MISSING_TEXT = "n/a"


class BarChart(QChartView):
    """Vertical bars with their values printed on them; ``marked`` bars get a second colour and the
    caller puts the reason in the label too (colour is never the only signal).

    QtCharts draws neither a zero-height bar nor its label, so a bar of exactly 0 would vanish (and a
    marked one with it); such bars get a thick baseline marker in their colour and a "0.00" label, and
    a missing value (None) gets "n/a" over an empty slot. ``notes`` holds those labels by bar index.
    """

    def __init__(self, title: str, y_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[tuple[str, float | None]] = []
        self.marked: list[int] = []
        self.notes: dict[int, str] = {}
        chart = _chart(title)
        self.setChart(chart)
        self._y_title = y_title
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(180)
        self.setAccessibleName(title)

    def set_bars(self, bars: Sequence[tuple[str, float | None]], marked: Sequence[int] = (),
                 fmt: str = "@value", precision: int = 3, y_max: float | None = None) -> None:
        """Replace the bars; a None value draws no bar (its label stays, so the gap is visible).

        ``y_max`` fixes the top of the axis (1 for scores in [0, 1], so 0.6 never looks like most of 1.5).
        """
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.bars = list(bars)
        self.marked = list(marked)
        zero = fmt.replace("@value", ZERO_TEXT)
        self.notes = {i: MISSING_TEXT if value is None else zero
                      for i, (_label, value) in enumerate(self.bars) if value is None or float(value) == 0.0}
        self.viewport().update()
        if not self.bars:
            return
        series = QBarSeries()
        values = QBarSet("runs")
        values.setColor(QColor(BAR_COLOUR))
        values.setBorderColor(QColor(BAR_COLOUR))
        values.setSelectedColor(QColor(ACCENT))
        values.setLabelColor(QColor(INK))
        for _label, value in self.bars:
            values.append(0.0 if value is None else float(value))
        for index in marked:
            values.selectBar(index)
        series.append(values)
        series.setBarWidth(BAR_WIDTH)
        series.setLabelsVisible(True)
        series.setLabelsFormat(fmt)
        series.setLabelsPrecision(precision)
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([label for label, _ in self.bars])
        font = QFont(categories.labelsFont())
        font.setPointSize(8)
        categories.setLabelsFont(font)
        y_axis = _axis(self._y_title)
        present = [v for _, v in self.bars if v is not None]
        top = max(present, default=1.0)
        if y_max is not None:
            y_axis.setRange(0, y_max)
        else:
            y_axis.setRange(0, top * 1.15 if top > 0 else 1.0)
            y_axis.applyNiceNumbers()
        chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)
        series.attachAxis(y_axis)

    def drawForeground(self, painter: QPainter, rect: QRectF | Any) -> None:  # noqa: N802 (Qt override)
        """The zero and missing bars QtCharts leaves blank: a baseline marker and a label over each."""
        super().drawForeground(painter, rect)
        chart = self.chart()
        series = chart.series()
        if not self.notes or not series:
            return
        painter.save()
        font = QFont(painter.font())
        font.setPointSize(9)
        painter.setFont(font)
        for index, text in self.notes.items():
            left = chart.mapToScene(chart.mapToPosition(QPointF(index - BAR_WIDTH / 2, 0.0), series[0]))
            right = chart.mapToScene(chart.mapToPosition(QPointF(index + BAR_WIDTH / 2, 0.0), series[0]))
            if text != MISSING_TEXT:
                colour = QColor(ACCENT if index in self.marked else BAR_COLOUR)
                painter.setPen(QPen(colour, 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
                painter.drawLine(QPointF(left.x(), left.y() - 2), QPointF(right.x(), right.y() - 2))
            painter.setPen(QColor(INK))
            width = max(right.x() - left.x(), 40.0)
            centre = (left.x() + right.x()) / 2
            painter.drawText(QRectF(centre - width / 2, left.y() - 26, width, 20),
                             int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom), text)
        painter.restore()
