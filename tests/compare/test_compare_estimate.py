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
