"""Compare page: run a comparison job (the TF-IDF baseline, in seconds) from the form, compare it with
an evaluated LoRA run side by side (table, bar chart, recommendation, privacy audit, slices), and write
the self-contained HTML report."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.pages.compare import ComparePage
from tests.gui.conftest import wait_ops


def open_page(qtbot, session) -> ComparePage:
    page = ComparePage(session)
    page.open_reports = False
    qtbot.addWidget(page)
    page.resize(1040, 700)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    return page


def test_run_a_comparison_compare_runs_and_write_the_report(qtbot, evaluated_ws: Path, tmp_path: Path,
                                                            open_session) -> None:
    page = open_page(qtbot, open_session(evaluated_ws, "ivy"))
    assert page.run_table.rowCount() == 1
    lora = page.choices["runs"][0]["run_id"]
    assert not page.write_button.isEnabled()

    for method, box in page.method_boxes.items():
        box.setChecked(method == "tfidf")
    page.label_field.setText("specialty")
    page.report_path.setText(str(tmp_path / "baseline.html"))
    assert page.run_button.isEnabled()
    with qtbot.waitSignal(page.job_panel.runner.finished, timeout=180_000) as finished:
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        assert not page.run_button.isEnabled()
    final = finished.args[0]
    assert final["event"] == "done", final
    (tfidf,) = final["result"]["runs"]
    assert (tmp_path / "baseline.html").is_file() and "report written" in page.banner.text()
    wait_ops(qtbot)
    assert page.run_table.rowCount() == 2 and page.checked_runs() == [tfidf]  # the new run is ticked

    page.check([tfidf, lora])
    wait_ops(qtbot)
    assert sorted(r["run_id"] for r in page.runs) == sorted([tfidf, lora])
    assert page.side_table.rowCount() == 2
    assert page.side_table.horizontalHeaderItem(3).text() == "macro-F1 [95 % interval]"
    assert sorted(label for label, _ in page.chart.bars) == ["LoRA", "TF-IDF"]
    n = page.runs[0]["metrics"]["n"]
    assert page.sample_label.text().startswith(f"Scores on {n} test records")
    assert all(page.side_table.item(row, 2).text() == str(n) for row in range(2))
    assert page.recommendation is not None and page.recommendation.run_id in (tfidf, lora)
    assert "Recommended:" in page.recommendation_label.text()
    assert page.privacy_table.rowCount() == 2
    assert page.slice_table.columnCount() == 3
    if not any(r.get("slices") for r in page.runs):
        assert page.slice_table.rowCount() == 0 and "hold no slices" in page.slice_note.text()
    assert page.write_button.isEnabled()

    page.write_report_to(tmp_path / "both.html")
    wait_ops(qtbot)
    html_file, json_file = page.report
    assert html_file == tmp_path / "both.html" and html_file.is_file() and json_file.is_file()
    text = html_file.read_text()
    assert "<html" in text.lower() and tfidf in text and lora in text
    assert {r["run_id"] for r in json.loads(json_file.read_text())["runs"]} == {tfidf, lora}
    assert page.banner.state == "ok" and str(html_file) in page.banner.text()


def test_reviewer_may_compare_but_not_run(qtbot, evaluated_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(evaluated_ws, "rex"))
    assert not page.run_button.isEnabled()
    assert page.run_button.toolTip() == "Informaticists and admins run comparisons"
    page.check([page.choices["runs"][0]["run_id"]])
    wait_ops(qtbot)
    assert page.side_table.rowCount() == 1 and page.write_button.isEnabled()
    page.task_combo.setCurrentText("summarize")
    assert not page.method_boxes["tfidf"].isEnabled()
    page.write_report_to(Path("/nonexistent-folder/report.html"))
    wait_ops(qtbot)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert box.windowTitle() == "The report was not written" and "no such folder" in box.text()
    box.close()


def test_privacy_and_slices_are_shown_from_the_summaries(qtbot, deid_ws: Path, open_session) -> None:
    from appliance.evaluate.recommend import recommend

    def run(run_id: str, method: str, f1: float, **extra: object) -> dict:
        return {"run_id": run_id, "method": method, "task": "classify", "metrics": {"macro_f1": f1}, **extra}

    slices = {"note_type": {"discharge": {"n": 12, "small": False, "macro_f1": 0.7},
                            "radiology": {"n": 3, "small": True, "macro_f1": 0.2}}}
    runs = [run("run-0001-icl", "icl", 0.40, k=0, slices=slices),
            run("run-0002-lora", "lora", 0.71, train_seconds=30.0, steps=20, slices=slices,
                exposure={"max": 2.1, "mean": 1.2, "threshold_bits": 10.0, "flagged": False},
                forgetting={"before": 12.0, "after": 12.6}),
            run("run-0003-full", "full", 0.72, exposure={"max": 11.0, "mean": 6.0, "threshold_bits": 10.0,
                                                         "flagged": True})]
    page = open_page(qtbot, open_session(deid_ws, "rex"))
    page._show_comparison((runs, recommend(runs)))
    assert page.recommendation is not None and page.recommendation.run_id == "run-0002-lora"
    assert page.side_table.item(1, 0).text() == "run-0002-lora ★"
    assert page.chart.bars == [("0-shot", 0.40), ("LoRA", 0.71), ("full FT", 0.72)]
    verdicts = [page.privacy_table.item(row, 4).text() for row in range(3)]
    assert verdicts == ["not audited (no canaries planted)", "passed", "flagged: not releasable"]
    assert page.privacy_table.item(1, 6).text() == "12.00 → 12.60"
    cells = {page.slice_table.item(row, 0).text(): page.slice_table.item(row, 2).text() for row in range(2)}
    assert cells == {"note type: discharge": "0.700 (n=12)", "note type: radiology": "0.200 (n=3 small)"}
    assert page.slice_table.item(0, 3).text() == "—"


def _scored(run_id: str, method: str, n: int, right: int, **extra: object) -> dict:
    from appliance.evaluate.metrics import classification_metrics

    labels = ["cardiology", "oncology"]
    refs = [labels[i % 2] for i in range(n)]
    preds = [r if i < right else labels[(labels.index(r) + 1) % 2] for i, r in enumerate(refs)]
    metrics = classification_metrics(preds, refs, labels)
    return {"run_id": run_id, "method": method, "task": "classify", "snapshot": "s", "items": metrics.pop("items"),
            "metrics": metrics, **extra}


def test_sample_size_interval_and_axis_are_shown(qtbot, deid_ws: Path, open_session) -> None:
    """Three test notes: the page says so, warns, shows every score with its interval, and ends the axis at 1."""
    from PySide6.QtCharts import QValueAxis

    from appliance.evaluate.recommend import recommend

    runs = [_scored("run-0001-icl", "icl-calibrated", 3, 3, k=4, train_seconds=0, infer_seconds_per_record=9.0),
            _scored("run-0002-icl", "icl-calibrated", 3, 2, k=4, train_seconds=0, infer_seconds_per_record=9.0),
            _scored("run-0003-tfidf", "tfidf", 3, 2, train_seconds=2.0, infer_seconds_per_record=0.001)]
    page = open_page(qtbot, open_session(deid_ws, "rex"))
    page._show_comparison((runs, recommend(runs)))
    sample = page.sample_label.text()
    assert sample.startswith("Scores on 3 test records, each with its 95 % interval.")
    assert "Warning: only 3 test records (fewer than 100)" in sample
    assert "Not distinguishable on 3 test records" in page.recommendation_label.text()
    assert [page.side_table.item(row, 2).text() for row in range(3)] == ["3", "3", "3"]
    for row in range(3):
        assert re.fullmatch(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", page.side_table.item(row, 3).text())
    labels = [label for label, _ in page.chart.bars]
    assert labels == ["4-shot cal #1", "4-shot cal #2", "TF-IDF"]  # short and distinct: never two "icl-calibrat…"
    (axis,) = [a for a in page.chart.chart().axes() if isinstance(a, QValueAxis)]
    assert axis.max() == 1.0
    assert "3 test records" in page.chart.chart().title()


def test_defaults_cannot_start_uncapped_training(qtbot, evaluated_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(evaluated_ws, "ivy"))
    assert [m for m, box in page.method_boxes.items() if box.isChecked()] == ["icl", "tfidf"]
    assert page.run_button.isEnabled()
    page.method_boxes["lora"].setChecked(True)
    assert not page.run_button.isEnabled() and page.run_button.toolTip().startswith("Set a budget in minutes: lora")
    page.method_boxes["lora"].setChecked(False)
    page.method_boxes["lora-head"].setChecked(True)  # not trained by the engine, but it reads the budget too
    assert not page.run_button.isEnabled()
    assert page.run_button.toolTip().startswith("Set a budget in minutes: lora-head")
    page.method_boxes["lora"].setChecked(True)
    page.budget.setValue(15)
    assert page.run_button.isEnabled()
    assert page.request()["budget_seconds"] == 900 and page.request()["queries"] == 10_000


def test_progress_line_names_the_method_and_phase(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "ivy"))
    page.job_panel.follow(page.job_panel.runner)
    page._reported({"event": "stage", "stage": "method 2 of 4: lora", "method": "lora", "phase": "start",
                    "method_index": 2, "methods": 4})
    page._reported({"event": "stage", "stage": "lora: training", "method": "lora", "phase": "training"})
    page.job_panel._on_progress({"event": "progress", "step": 5, "total": 10, "method": "lora", "phase": "training",
                                 "eta_s": 65.0, "loss": 1.25})
    status = page.job_panel.status.text()
    assert status == "Method 2 of 4 · lora: training: 5 of 10 steps · loss 1.250 · about 1 min 05 s left"


def test_a_skipped_in_context_pass_is_said(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "ivy"))
    page._job_finished({"event": "done", "result": {"runs": ["run-0001-tfidf"], "skipped_icl": [
        {"k": 4, "estimate_s": 2460, "budget_s": 420}]}})
    assert "the 4-shot in-context pass was skipped (estimated at 41 min, over the budget)" in page.banner.text()


def test_an_in_context_pass_with_fewer_examples_is_said(qtbot, deid_ws: Path, open_session) -> None:
    page = open_page(qtbot, open_session(deid_ws, "ivy"))
    page._job_finished({"event": "done", "result": {"runs": ["run-0001-icl"], "skipped_icl": [
        {"k": 4, "estimate_s": 1500, "budget_s": 600, "ran_k": 2, "ran_estimate_s": 420}]}})
    assert ("the 4-shot in-context pass ran with 2 example(s) (the most that fit: 4 were estimated at 25 min, "
            "over the budget)") in page.banner.text()
