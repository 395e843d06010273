"""The comparison report: JSON and one self-contained HTML file that shows every run."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from appliance.compare.formats import fmt_bytes, fmt_seconds
from appliance.compare.report import render_html, report_data, write_report
from appliance.evaluate.recommend import recommend


def _slices(f1):
    return {"note_type": {"admission": {"n": 40, "small": False, "macro_f1": f1},
                          "nursing": {"n": 4, "small": True, "macro_f1": f1 - 0.1}}}  # fmt: skip


RUNS = [
    {"run_id": "icl-0", "method": "icl", "task": "classify", "k": 0, "metrics": {"macro_f1": 0.41, "accuracy": 0.5},
     "train_seconds": 0, "tokens_per_s": 310.0, "slices": _slices(0.41)},
    {"run_id": "icl-4c", "method": "icl-calibrated", "task": "classify", "k": 4,
     "metrics": {"macro_f1": 0.62, "accuracy": 0.66}, "train_seconds": 0},
    {"run_id": "tfidf", "method": "tfidf", "task": "classify", "metrics": {"macro_f1": 0.93, "accuracy": 0.94},
     "train_seconds": 1.2, "trainable_params": 52_000, "artifact_bytes": 900_000, "slices": _slices(0.93)},
    {"run_id": "lora-r8", "method": "lora", "task": "classify", "metrics": {"macro_f1": 0.94, "accuracy": 0.95},
     "train_seconds": 540.0, "steps": 120, "epochs": 2.0, "budget_seconds": 600, "peak_memory_bytes": 2.1e9,
     "trainable_params": 4.6e5, "artifact_bytes": 1.8e6, "tokens_per_s": 280.0,
     "exposure": {"max": 1.9, "mean": 1.1, "flagged": False, "threshold_bits": 8.0, "candidates": 2000,
                  "extracted": 0},
     "leakage": {"outputs": 50, "leaking_outputs": 0, "rate": 0.0},
     "forgetting": {"before": 12.0, "after": 12.6}, "loss_curve": [2.5, 1.9, 1.4, 1.1, 0.9, 0.85],
     "slices": _slices(0.94)},
    {"run_id": "full-<b>", "method": "full", "task": "classify",
     "metrics": {"macro_f1": 0.97, "accuracy": float("nan")}, "train_seconds": 1900.0, "steps": 90, "epochs": 1.5,
     "peak_memory_bytes": 6.3e9, "trainable_params": 1.35e8, "artifact_bytes": 2.7e8, "tokens_per_s": 95.0,
     "exposure": {"max": 10.9, "mean": 7.3, "flagged": True, "threshold_bits": 8.0, "candidates": 2000,
                  "extracted": 1},
     "forgetting": {"before": 12.0, "after": 19.5}, "loss_curve": [2.5, 1.2, 0.6, 0.2]},
]  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained_and_shows_every_run():
    html = render_html(RUNS, None, title="Specialty classifier", budget=600)
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(?:src|href|xlink:href)\s*=\s*["']?\s*//""", html)
    assert not re.search(r"url\(|@import", html)
    parser = _Tags()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags and "img" not in tags
    assert tags.count("svg") >= 5  # quality bars, cost scatter, loss curves, exposure, forgetting
    for run in RUNS:
        assert re.sub("<b>", "&lt;b&gt;", run["run_id"]) in html
    assert "<b>" not in html.replace("<body>", "")  # the run id was escaped
    for label in ("zero-shot in-context learning", "4-shot in-context learning, calibrated", "TF-IDF + logistic",
                  "LoRA adapter", "full fine-tuning"):  # fmt: skip
        assert label in html
    assert "Recommendation" in html and "Rule: a winner is named only when" in html
    assert "FLAGGED" in html and "flagged: not releasable" in html
    assert "within 10.0 min" in html and "over 10.0 min" in html  # budget per run and global
    assert "n=4" in html and "Training loss" in html and "General-text perplexity" in html


def test_recommendation_in_the_report_follows_the_rule():
    rec = recommend(RUNS)
    # full is flagged, so lora (94.0) is the best releasable run and tfidf, 1 point behind, is cheaper.
    assert rec.run_id == "tfidf"
    html = render_html(RUNS, rec, title="x")
    assert '<tr class="chosen"><td class="l">tfidf' in html
    assert ("baseline (0.930) is not distinguishable from the best (0.940); no language model did distinguishably"
            " better on these test records" in html)


def test_write_report_writes_strict_json_and_html(tmp_path):
    html_path, json_path = write_report(tmp_path / "compare.html", RUNS, title="Specialty", budget=600)
    assert html_path.name == "compare.html" and json_path.name == "compare.json"
    data = json.loads(json_path.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert data["task"] == "classify" and data["primary_metric"] == "macro_f1" and data["budget_seconds"] == 600
    assert [r["run_id"] for r in data["runs"]] == [r["run_id"] for r in RUNS]
    assert data["runs"][4]["metrics"]["accuracy"] is None  # NaN became null
    assert data["recommendation"]["run_id"] == recommend(RUNS).run_id
    assert html_path.read_text().startswith("<!DOCTYPE html>")
    assert not list(tmp_path.glob("*.partial"))


def test_report_without_optional_fields():
    runs = [{"run_id": "a", "method": "icl", "task": "summarize", "metrics": {"rouge_l": 0.3}}]
    html = render_html(runs)
    assert "No run recorded a loss curve" in html and "No run was audited" in html and "No slices" in html
    assert report_data(runs)["recommendation"]["run_id"] == "a"


@pytest.mark.parametrize(("value", "text"), [(5, "5.0 s"), (42, "42 s"), (600, "10.0 min"), (7200, "2.0 h"),
                                             (None, "—")])  # fmt: skip
def test_seconds_format(value, text):
    assert fmt_seconds(value) == text


def test_bytes_format():
    assert fmt_bytes(999) == "999 B" and fmt_bytes(2.1e9) == "2.1 GB" and fmt_bytes(None) == "—"


def _scored_runs():
    from appliance.evaluate.metrics import classification_metrics

    refs = ["a", "b", "c"] * 50
    out = []
    for run_id, method, wrong_every, extra in (
        ("icl-4", "icl", 2, {"k": 4, "train_seconds": 0, "infer_seconds_per_record": 6.0, "tokens_per_query": 1900}),
        ("tfidf", "tfidf", 7, {"train_seconds": 3.0, "infer_seconds_per_record": 0.0004}),
        ("full", "full", 8, {"train_seconds": 900.0, "infer_seconds_per_record": 0.08, "tokens_per_query": 310}),
    ):
        preds = ["a" if i % wrong_every == 0 and r != "a" else r for i, r in enumerate(refs)]
        metrics = classification_metrics(preds, refs, ["a", "b", "c"])
        items = metrics.pop("items")
        out.append({"run_id": run_id, "method": method, "task": "classify", "snapshot": "s1", "metrics": metrics,
                    "items": items, **extra})
    return out


def test_every_score_carries_its_interval_and_test_size(tmp_path):
    runs = _scored_runs()
    html_path, json_path = write_report(tmp_path / "r.html", runs, title="x", queries=1000)
    data = json.loads(json_path.read_text())
    assert data["test_size"] == 150 and data["confidence"] == 0.95 and data["queries"] == 1000
    for run in data["runs"]:
        assert "items" not in run and run["test_size"] == 150
        for key in ("accuracy", "macro_f1"):
            span = run["intervals"][key]
            assert span["low"] <= run["metrics"][key] <= span["high"] and span["high"] - span["low"] > 0.01
    assert {(p["first"], p["second"]) for p in data["pairs"]} == {("icl-4", "tfidf"), ("icl-4", "full"),
                                                                  ("tfidf", "full")}  # fmt: skip
    assert data["runs"][0]["cost_seconds"] == 6000.0  # nothing trained, 1,000 queries at 6 s
    html = html_path.read_text()
    tfidf = data["runs"][1]["intervals"]["macro_f1"]
    assert f"[{tfidf['low']:.3f}, {tfidf['high']:.3f}]" in html
    assert "150 test records" in html and "Paired tests" in html and "McNemar" in html
    assert "Cost for 1,000 queries" in html and "1,900" in html and "0.4 ms" in html
    assert "×100" not in html


def test_bars_of_scores_end_at_one():
    html = render_html(_scored_runs())
    bars = [chart for chart in html.split("<svg")[1:] if "with 95 % interval" in chart]
    assert len(bars) == 2  # macro-F1 and accuracy
    for chart in bars:
        ticks = re.findall(r'text-anchor="middle">([0-9.]+)</text>', chart)
        assert max(float(t) for t in ticks) == 1.0


def test_notes_and_cross_validation_are_reported(tmp_path):
    runs = _scored_runs()
    runs[1]["cross_validation"] = {"folds": 5, "n": 2888, "grouped_by": "patient",
                                   "metrics": {"accuracy": 0.61, "macro_f1": 0.55},
                                   "intervals": {"macro_f1": {"value": 0.55, "low": 0.53, "high": 0.57}}}
    note = "In-context 4-shot pass skipped: estimated at 41 min, more than was left of the 7 min budget."
    html_path, json_path = write_report(tmp_path / "r.html", runs, notes=[note])
    data = json.loads(json_path.read_text())
    assert data["notes"][0] == note
    assert data["notes"][1] == ("tfidf (TF-IDF + logistic regression) by 5-fold cross-validation over 2888 records, "
                                "grouped by patient: accuracy 0.610; macro-F1 0.550 [0.530, 0.570]. Not paired with "
                                "the other runs.")
    html = html_path.read_text()
    assert "4-shot pass skipped" in html and "5-fold cross-validation over 2888 records" in html
