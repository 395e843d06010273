"""What the Compare page draws: a bar of exactly 0 (or a missing score) stays visible with its label, the
recommended one in the dark colour; the side-by-side table shows every run in the window the screenshots use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from gui.charts import BarChart
from gui.pages.compare import ComparePage
from gui.pages.compare_view import SIDE_ROWS_SHOWN
from gui.screenshots import SIZE
from gui.style import ACCENT
from tests.gui.conftest import shown_page
from tests.gui.test_compare_page import _scored


def baseline_colour(chart: BarChart, index: int) -> QColor:
    """The colour just above the axis line at the centre of bar ``index``, as drawn on screen."""
    plot = chart.chart()
    scene = plot.mapToScene(plot.mapToPosition(QPointF(index, 0.0), plot.series()[0]))
    at = chart.mapFromScene(scene)
    return chart.grab().toImage().pixelColor(at.x(), at.y() - 2)


def test_a_zero_bar_keeps_a_marker_and_label_and_a_missing_one_says_n_a(qtbot) -> None:
    chart = BarChart("macro-F1 (dark = recommended)", "metric")
    qtbot.addWidget(chart)
    chart.resize(640, 320)
    chart.show()
    chart.set_bars([("TF-IDF", 0.0), ("4-shot", 0.25), ("LoRA", None), ("0-shot", 0.0)], marked=[0], y_max=1.0)
    QApplication.processEvents()
    assert chart.notes == {0: "0.00", 2: "n/a", 3: "0.00"}  # QtCharts labels neither 0 nor a missing bar
    assert baseline_colour(chart, 0).name() == QColor(ACCENT).name()  # the recommended zero bar shows dark
    assert baseline_colour(chart, 3).name() == "#8aa9c9"
    assert baseline_colour(chart, 2).name() not in (QColor(ACCENT).name(), "#8aa9c9")  # no bar where none is known
    chart.set_bars([("A", 0.5)])
    assert chart.notes == {}


def shown_compare_page(qtbot, session) -> ComparePage:
    page = shown_page(qtbot, session, ComparePage)
    page.open_reports = False
    return page


def six_runs() -> list[dict]:
    """The screenshot's mix: three test records, so a long verdict, and the cheapest run scoring 0."""
    return [_scored("run-0001-lora", "lora", 3, 1, train_seconds=60.0, steps=24),
            _scored("run-0002-icl", "icl", 3, 2, k=0, train_seconds=0, infer_seconds_per_record=9.0),
            _scored("run-0003-icl", "icl-calibrated", 3, 2, k=0, train_seconds=0, infer_seconds_per_record=9.0),
            _scored("run-0004-icl", "icl", 3, 1, k=4, train_seconds=0, infer_seconds_per_record=9.0),
            _scored("run-0005-icl", "icl-calibrated", 3, 1, k=4, train_seconds=0, infer_seconds_per_record=9.0),
            _scored("run-0006-tfidf", "tfidf", 3, 0, train_seconds=2.0, infer_seconds_per_record=0.001)]


def test_the_recommended_run_scoring_zero_is_drawn_dark_with_its_label(qtbot, deid_ws: Path, open_session,
                                                                       app_style) -> None:
    from appliance.evaluate.recommend import recommend

    runs = six_runs()
    page = shown_compare_page(qtbot, open_session(deid_ws, "rex"))
    rec = recommend(runs)
    page._show_comparison((runs, rec))
    QApplication.processEvents()
    index = [r["run_id"] for r in runs].index(rec.run_id)
    value = page.chart.bars[index][1]
    assert value == runs[index]["metrics"]["macro_f1"]  # the chart reads the primary metric's own key
    assert page.chart.marked == [index] and "dark = recommended" in page.chart.chart().title()
    tfidf = [label for label, _ in page.chart.bars].index("TF-IDF")
    assert page.chart.bars[tfidf][1] == 0.0 and page.chart.notes[tfidf] == "0.00"
    if value == 0.0:
        assert baseline_colour(page.chart, index).name() == QColor(ACCENT).name()


def test_the_side_by_side_table_shows_every_run(qtbot, deid_ws: Path, open_session, app_style) -> None:
    from appliance.evaluate.recommend import recommend

    runs = six_runs()
    page = shown_compare_page(qtbot, open_session(deid_ws, "rex"))
    page._show_comparison((runs, recommend(runs)))
    QApplication.processEvents()
    table = page.side_table
    assert table.rowCount() == 6
    assert table.verticalScrollBar().maximum() == 0  # nothing to scroll: all six rows are in view
    assert table.viewport().height() >= sum(table.rowHeight(r) for r in range(6))
    assert table.height() == table.minimumHeight() == table.maximumHeight()  # sized to its rows, not squeezed
    assert page.chart.height() >= page.chart.minimumHeight()

    many = [_scored(f"run-{i:04d}-icl", "icl", 3, i % 3, k=i, train_seconds=0) for i in range(1, 13)]
    page._show_comparison((many, recommend(many)))
    QApplication.processEvents()
    assert table.rowCount() == 12
    assert table.viewport().height() >= sum(table.rowHeight(r) for r in range(SIDE_ROWS_SHOWN))
    assert table.verticalScrollBar().maximum() > 0  # past the cap the table scrolls instead of growing
    assert (page.window().width(), page.window().height()) == SIZE  # and the window did not have to grow

    page._show_comparison(([], None))
    assert table.rowCount() == 0 and table.minimumHeight() < sum(table.rowHeight(r) for r in range(2)) + 200
