"""The in-context estimate: once-per-pass work counted once, the pace per record taken between probe records."""

from __future__ import annotations

import pytest

from appliance.compare import baselines


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def test_setup_is_counted_once_and_the_pace_per_record(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    seen = {}

    def fake_run_icl(model, tokenizer, task, task_config, train, test, config, progress=None):
        seen["records"] = len(test)
        clock.now += 30.0  # once per pass: examples' index, calibration, warm-up
        for done in range(1, len(test) + 1):
            clock.now += 2.0  # each record
            progress(done, len(test))

    monkeypatch.setattr(baselines.time, "monotonic", clock.monotonic)
    monkeypatch.setattr("appliance.evaluate.icl.run_icl", fake_run_icl)
    estimate = baselines._estimate_icl_seconds(None, None, "classify", None, [], [{}] * 277, None)
    assert seen["records"] == baselines._PROBE_RECORDS + 1
    assert estimate == pytest.approx(30.0 + 2.0 * 277)  # not (30 + 2 * 4) / 4 * 277
    assert baselines._estimate_icl_seconds(None, None, "classify", None, [], [{}] * 6, None) is None
