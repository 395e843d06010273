"""Tune page layout: the Forecast box keeps one height whatever it says, so nothing below it jumps; the
Start button comes after every setting, Advanced included."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QPushButton

from gui.pages.tune import TunePage
from tests.gui.conftest import shown_page, wait_ops

ESTIMATE = {"event": "estimate", "total_bytes": 3 * 1024**3, "weights_bytes": 1024**3, "activations_bytes": 1024**3,
            "optimizer_bytes": 512 * 1024**2, "gradients_bytes": 512 * 1024**2, "device": "cpu",
            "seconds_per_step": 1.5, "steps_per_epoch": 40}


def open_page(qtbot, session) -> TunePage:
    page = TunePage(session)
    qtbot.addWidget(page)
    page.resize(1040, 700)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    return page


def settle() -> None:
    QApplication.processEvents()


def test_forecast_box_keeps_its_height_in_every_state(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "ivy"))
    heights: dict[str, int] = {}
    positions: dict[str, int] = {}

    def measure(state: str) -> None:
        settle()
        heights[state] = page.forecast_box.height()
        positions[state] = page.start_button.y()

    measure("before any job")  # the settings in words, and why no measured forecast exists yet
    assert "layer sizes" in page.forecast.text()
    page.forecast.setText("")
    measure("empty")
    page._begin("Starting a lora run on 'ward'…")
    assert page.forecast.text().startswith("Waiting for the job's forecast")
    measure("estimating")
    page._reported(ESTIMATE)
    assert page.forecast.text().startswith("From the job") and "GB" in page.forecast.text()
    measure("estimate shown")
    page.estimate = None
    page.advanced.editors["learning_rate"].setText("fast")
    page.advanced.changed.emit()
    assert "not valid" in page.forecast.text()
    measure("error")
    assert len(set(heights.values())) == 1, heights
    assert len(set(positions.values())) == 1, positions  # nothing below the box moved
    assert heights["error"] >= page.forecast.fontMetrics().lineSpacing() * 4


def test_start_sits_below_every_setting(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "ivy"))
    left = page.start_button.parentWidget()
    assert left is not None

    def bottom(widget) -> int:
        return widget.mapTo(left, widget.rect().bottomLeft()).y()

    def top(widget) -> int:
        return widget.mapTo(left, widget.rect().topLeft()).y()

    settle()
    settings = page.canaries.parentWidget()  # the "What to tune" box
    assert settings is not None and settings is not left
    assert top(page.start_button) > bottom(settings)
    assert top(page.start_button) > bottom(page.advanced_toggle)  # Advanced, folded
    page.advanced_toggle.setChecked(True)
    settle()
    assert page.advanced.isVisible() and page.reset_button.isVisible()
    assert top(page.start_button) > bottom(page.advanced)
    assert top(page.start_button) > bottom(page.reset_button)
    assert top(page.start_button) > bottom(page.forecast_box) > bottom(page.advanced)  # forecast of the settings
    buttons = [w for w in left.findChildren(QPushButton) if w.isVisible() and w.parentWidget() is left]
    assert page.start_button in buttons and top(page.start_button) == max(top(w) for w in buttons)  # the last one


def wrapped_lines(text: str, width: int) -> list[str]:
    """``text`` as a word-wrapped label of ``width`` pixels breaks it into lines."""
    from PySide6.QtGui import QFont, QTextLayout, QTextOption

    layout = QTextLayout(text, QFont())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    starts = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        starts.append((line.textStart(), line.textLength()))
    layout.endLayout()
    return [text[start:start + length] for start, length in starts]


def test_a_wrapped_progress_line_keeps_the_speed_and_its_unit_together(qapp) -> None:
    from gui.pages.tune_text import describe_progress

    text = describe_progress({"loss": 0.987, "tokens_per_s": 31.2, "eta_s": 258})
    assert "31" in text and "tokens/" in text
    for width in range(60, 420, 2):
        for line in wrapped_lines(text, width):
            assert not line.rstrip().endswith(("31", "tokens/", "tokens/\u2060")), (width, line)


def test_every_runs_table_header_is_visible_at_the_screenshot_size(qtbot, deid_ws: Path, open_session,
                                                                  app_style) -> None:
    page = shown_page(qtbot, open_session(deid_ws, "ivy"), TunePage)
    run = {"method": "lora", "task": "classify", "status": "running", "state": "candidate", "steps": "8 / 24",
           "final_loss": None, "created_by": "admin"}
    runs = [{**run, "run_id": "run-0001-lora"}, {**run, "run_id": "run-0002-qlora", "method": "qlora"}]
    page._show_runs({"runs": runs, "tune_jobs": []})
    settle()
    table = page.run_table
    header = table.horizontalHeader()
    assert table.rowCount() == 2
    assert table.horizontalScrollBar().maximum() == 0  # no scrollbar hides the last column
    last = table.columnCount() - 1
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= table.viewport().width()
    for column in range(table.columnCount()):  # and no header is cut short
        assert header.sectionSize(column) >= header.sectionSizeHint(column), table.horizontalHeaderItem(column).text()
    assert table.horizontalHeaderItem(last).text() == "Trained by"
