"""Serve and Compare tables at the screenshot window size: every column in view without a horizontal
scrollbar, every header whole (the Tune runs table is checked in test_tune_layout)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QTableWidget

from gui.pages.compare import ComparePage
from gui.pages.serve import ServePage
from tests.gui.conftest import shown_page


def assert_every_column_fits(table: QTableWidget, last_header: str) -> None:
    QApplication.processEvents()
    header = table.horizontalHeader()
    assert table.rowCount() > 0
    assert table.horizontalScrollBar().maximum() == 0, table.objectName()  # no scrollbar hides the last column
    last = table.columnCount() - 1
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= table.viewport().width()
    for column in range(table.columnCount()):  # and no header is cut short
        assert header.sectionSize(column) >= header.sectionSizeHint(column), table.horizontalHeaderItem(column).text()
    assert table.horizontalHeaderItem(last).text() == last_header


def test_serve_key_and_request_tables_show_every_column(qtbot, deid_ws: Path, open_session, app_style) -> None:
    page = shown_page(qtbot, open_session(deid_ws, "admin"), ServePage)
    keys = [{"name": name, "models": models, "created": "2026-12-06T03:20:11.123456+00:00", "created_by": "admin",
             "revoked": revoked}
            for name, models, revoked in [("ehr-triage", [], False),
                                          ("ward-coding", ["ward-specialty-merged", "ward-specialty-lora"], True)]]
    page._show({**page.state, "exports": [], "keys": keys})
    assert_every_column_fits(page.key_table, "Status")
    row = {"requests": 12_345, "errors": 3, "latencies": [1234.5, 2345.6, 987.6], "prompt_tokens": 1_234_567,
           "completion_tokens": 98_765}
    page._show_traffic({"since": "2026-12-06T03:20:11+00:00", "total": 24_690,
                        "models": {"ward-specialty-merged": row, "ward-specialty-lora": row}})
    assert_every_column_fits(page.traffic_table, "Tokens out")


def test_compare_evaluated_runs_table_shows_every_column(qtbot, deid_ws: Path, open_session, app_style) -> None:
    page = shown_page(qtbot, open_session(deid_ws, "rex"), ComparePage)
    run = {"task": "classify", "metric_name": "macro_f1", "primary_metric": 0.6667}
    methods = ["lora", "icl", "icl-calibrated", "icl", "icl-calibrated", "tfidf"]  # the screenshot's runs
    runs = [{**run, "method": method, "run_id": f"run-{i:04d}-{method}"} for i, method in enumerate(methods, 1)]
    page._show_choices({**page.choices, "runs": runs})
    assert_every_column_fits(page.run_table, "Metric")
