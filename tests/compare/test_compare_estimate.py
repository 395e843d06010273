"""The in-context estimate: records spread over the prompt lengths are timed, the fit is summed over every
record's tokens, once-per-pass work is counted once; a pass that does not fit runs with fewer examples."""

from __future__ import annotations

import random

import pytest

from appliance.compare import baselines


def cost_of(tokens: int) -> float:
    """A fake pass cost: a fixed part per record and a part growing with the prompt."""
    return 0.4 + 0.003 * tokens


def lengths_short_first(n: int = 277) -> list[int]:
    # The split's first records happen to be the short ones, as a split ordered by source can be.
    rng = random.Random(7)
    values = sorted(rng.randint(200, 2000) for _ in range(n))
    return values[:10] + rng.sample(values[10:], n - 10)


def test_probes_are_spread_over_the_lengths() -> None:
    lengths = lengths_short_first()
    probes = baselines.probe_indices(lengths, 4)
    ranked = sorted(lengths)
    assert [lengths[i] for i in probes] == [ranked[int(q * len(ranked))] for q in (0.125, 0.375, 0.625, 0.875)]
    assert baselines.probe_indices([5, 5, 5], 4) == [0, 1, 2]  # distinct records, never more than there are
    assert baselines.probe_indices([], 4) == []


def test_extrapolation_by_tokens_matches_the_true_total() -> None:
    lengths = lengths_short_first()
    truth = sum(cost_of(n) for n in lengths)
    probes = baselines.probe_indices(lengths)
    cost = baselines.fit_pass_cost([lengths[i] for i in probes], [cost_of(lengths[i]) for i in probes], setup=3.0)
    assert cost.seconds(lengths) == pytest.approx(3.0 + truth, rel=1e-9)
    assert cost.per_record == pytest.approx(0.4) and cost.per_token == pytest.approx(0.003)
    # What timing the first records gives on the same split: far too low.
    first = sum(cost_of(n) for n in lengths[:4]) / 4 * len(lengths)
    assert first < 0.5 * truth


def test_a_fit_with_a_negative_part_falls_back_to_seconds_per_token() -> None:
    cost = baselines.fit_pass_cost([100, 101], [2.0, 1.0])  # noise: longer took less
    assert cost.per_record == 0.0 and cost.per_token == pytest.approx(3.0 / 201)
    assert baselines.fit_pass_cost([300], [1.5]).seconds([300, 600]) == pytest.approx(4.5)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_estimate_times_the_probes_and_counts_setup_once(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    lengths = lengths_short_first()
    test = [{"n": n} for n in lengths]
    timed: list[int] = []

    class FakePass:
        def __init__(self, *args, **kwargs) -> None:
            clock.now += 20.0  # examples' index
            self.warm = False

        def prompt_tokens(self, record) -> int:
            return record["n"]

        def run(self, records, progress=None) -> None:
            (record,) = records
            if not self.warm:
                clock.now += 10.0  # once per pass: zero-shot calibration, warm-up
                self.warm = True
            else:
                timed.append(record["n"])
            clock.now += cost_of(record["n"])

    monkeypatch.setattr("appliance.evaluate.icl.ICLPass", FakePass)
    estimate, cost = baselines._estimate_icl(None, None, "classify", None, [], test, None, clock=clock)
    assert len(timed) == baselines._PROBE_RECORDS and sorted(timed) == timed  # shortest first, each once
    warm_up = cost_of(timed[0])
    assert estimate == pytest.approx(20.0 + 10.0 + warm_up + sum(cost_of(n) for n in lengths))
    assert cost.per_token == pytest.approx(0.003)
    assert baselines._estimate_icl(None, None, "classify", None, [], test[:8], None, clock=clock) is None


def test_the_most_examples_that_fit_are_chosen() -> None:
    seconds = {1: 100.0, 2: 200.0, 3: 300.0, 4: 400.0}
    asked: list[int] = []

    def seconds_for(k: int) -> float:
        asked.append(k)
        return seconds[k]

    assert baselines.fewer_shots_that_fit(4, 250.0, seconds_for) == (2, 200.0)
    assert asked == [3, 2]  # largest first, stops at the first that fits
    assert baselines.fewer_shots_that_fit(4, 250.0, seconds.__getitem__, taken=[0, 2, 4]) == (1, 100.0)
    assert baselines.fewer_shots_that_fit(4, 50.0, seconds.__getitem__) is None
    assert baselines.fewer_shots_that_fit(1, 1e9, seconds.__getitem__) is None  # never zero examples


def test_notes_say_what_ran_and_why() -> None:
    notes = baselines.skipped_notes([
        {"k": 4, "estimate_s": 1500, "budget_s": 600, "ran_k": 2, "ran_estimate_s": 420},
        {"k": 8, "estimate_s": 3000, "budget_s": 600},
    ])
    assert notes[0] == ("In-context 4-shot pass estimated at 25 min on this machine, more than was left of the "
                        "10 min budget: run with 2 examples instead (estimated at 7 min), the most that fit.")
    assert notes[1].endswith("8-shot pass estimated at 50 min on this machine, more than was left of the 10 min "
                             "budget: skipped, and no fewer examples fit.")


def test_one_example_is_said_in_the_singular() -> None:
    (note,) = baselines.skipped_notes([{"k": 4, "estimate_s": 1020, "budget_s": 600, "ran_k": 1,
                                        "ran_estimate_s": 540}])
    assert note.endswith("run with 1 example instead (estimated at 9 min), the most that fit.")


def test_zero_shot_time_is_kept_free_when_k_shot_passes_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--shots 4,0` under a 12-minute budget: zero-shot (5 min) is estimated first and kept free, so the
    4-shot pass runs with the most examples that fit in what is left (2, not 3), and zero-shot still runs."""
    import contextlib
    import types
    from pathlib import Path

    from appliance.compare.request import CompareRequest
    from appliance.data.tasks import TaskConfig
    from appliance.evaluate.icl import ICLResult

    clock = Clock()
    seconds = {0: 300.0, 1: 350.0, 2: 400.0, 3: 500.0, 4: 900.0}
    estimated: list[int] = []
    ran: list[int] = []
    stages: list[str] = []
    test = [{"text": f"note {i}", "label": "x"} for i in range(20)]

    def estimate(model, tokenizer, task, task_config, train, records, config):
        estimated.append(config.k)
        return seconds[config.k], baselines.PassCost(0.0, 0.0, 1.0)

    def run_icl(model, tokenizer, task, task_config, train, records, config, progress=None):
        ran.append(config.k)
        clock.now += seconds[config.k]
        return ICLResult(["x"] * len(records), None, [config.k] * len(records))

    workspace = types.SimpleNamespace(scratch=lambda: contextlib.nullcontext(Path("/nonexistent")))
    monkeypatch.setattr(baselines, "time", types.SimpleNamespace(monotonic=clock))
    monkeypatch.setattr(baselines, "load_split", lambda ws, snapshot, split: [] if split == "train" else test)
    monkeypatch.setattr(baselines, "task_config_for",
                        lambda *a: TaskConfig(label_field="label", label_set=("x", "y")))
    monkeypatch.setattr(baselines, "open_base", lambda *a, **k: (Path("/nonexistent"), None))
    monkeypatch.setattr(baselines, "load_causal_lm", lambda path: types.SimpleNamespace(eval=lambda: None))
    monkeypatch.setattr(baselines, "_estimate_icl", estimate)
    monkeypatch.setattr(baselines, "_prompt_lengths", lambda *a: [int(seconds[a[-1].k])])
    monkeypatch.setattr(baselines, "_icl_tokens_per_query", lambda *a: (10.0, 0.0))
    monkeypatch.setattr(baselines, "baseline_evaluation", lambda *a, **k: {"primary_metric": 0.5})
    monkeypatch.setattr(baselines, "register_baseline", lambda ws, method, *a: f"run-{method}-{len(ran)}")
    monkeypatch.setattr("appliance.evaluate.icl.run_icl", run_icl)
    monkeypatch.setattr("appliance.evaluate.service.output_leakage", lambda *a: {})

    request = CompareRequest(dataset="d", methods=["icl"], shots=[4, 0], budget_seconds=720)
    skipped: list[dict] = []
    baselines.run_icl_baseline(workspace, request, "snap", skipped_passes=skipped,
                               event=lambda name, **f: stages.append(f.get("stage", "")))
    assert estimated == [0, 4]  # zero-shot first, once
    assert ran == [2, 0]
    assert skipped == [{"k": 4, "estimate_s": 900, "budget_s": 720, "ran_k": 2, "ran_estimate_s": 400}]
    assert any("after zero-shot's 5 min" in s for s in stages)
    # Without a zero-shot pass after it, the k-shot pass has the whole budget: 3 examples fit.
    ran.clear()
    estimated.clear()
    baselines.run_icl_baseline(workspace, CompareRequest(dataset="d", methods=["icl"], shots=[4], budget_seconds=720),
                               "snap")
    assert ran == [3]
