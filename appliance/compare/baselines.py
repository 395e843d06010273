"""The baselines a comparison runs beside the tuned methods: in-context learning (the base model
prompted zero-shot and with k examples) and TF-IDF + logistic regression. Each becomes a registry run
with its evaluation, like a tuned run, so gates, approval and the report treat them alike.

In-context learning trains nothing but pays its scoring time on every query, so each pass is
estimated before it starts (records spread over the prompt lengths are timed, the fit is summed over
every record's prompt tokens); a k-shot pass that would overrun the comparison's budget runs with the
most examples that fit, and is skipped when not even one does. When k-shot passes come before zero-shot,
zero-shot's estimated time is kept free of their share.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from appliance import registry
from appliance.catalog import runs
from appliance.compare.crossval import cross_validate_tfidf
from appliance.compare.request import CompareRequest, Event, PhaseProgress, PhaseStopped
from appliance.data.snapshots import load_split
from appliance.data.tasks import TaskConfig, get_task
from appliance.runtime.bases import open_base
from appliance.runtime.loading import load_causal_lm
from appliance.tune.methods import method_of_run
from appliance.workspace import Workspace


def task_config_for(task: str, request_task: dict[str, Any], records: list[dict[str, Any]]) -> TaskConfig:
    """The task's settings for a baseline, resolved as a tuning run resolves them (the tuning service is
    imported here, on first use, so that reading a comparison does not load it)."""
    from appliance.tune import service as tune_service

    return tune_service.task_config_for(task, request_task, records)


def register_baseline(ws: Workspace, method: str, request: CompareRequest, snapshot: str,
                      config: dict[str, Any], result: dict[str, Any], evaluation: dict[str, Any]) -> str:
    """A finished baseline run (no artifact: nothing was trained, or the model is refitted in seconds)."""
    base = "scikit-learn" if method_of_run(method).kind == "classical" else request.base
    details = {"method": method, "task": request.task, "base": base, "snapshot": snapshot,
               "primary_metric": evaluation.get("primary_metric")}
    object_ids: list[str] = []  # the run id is allocated inside the transaction; the audit entry reads it after
    with ws.transaction("baseline.run", object_ids, details) as tx:
        run = runs.create(tx, method=method, task=request.task, base_model=base, snapshot_id=snapshot,
                          config={"request": asdict(request), **config}, created_by=ws.user.name, result=result)
        object_ids += [run.run_id, snapshot]
    registry.record_evaluation(ws, run.run_id, {**evaluation, "run_id": run.run_id})
    return run.run_id


def baseline_evaluation(task: str, task_config: TaskConfig, records: list[dict[str, Any]], predictions: list[str],
                        seconds: float, **extra: Any) -> dict[str, Any]:
    """The evaluation stored with a baseline run: metrics, slices and timing of its test predictions."""
    from appliance.evaluate.metrics import PRIMARY_METRICS, MetricInputs, compute
    from appliance.evaluate.predict import references
    from appliance.evaluate.service import output_slices

    refs = references(task, records, task_config)
    metrics = compute(task, MetricInputs(
        predictions=predictions, references=refs, labels=task_config.label_set, fields=task_config.extract_fields,
        sources=[str(r.get(task_config.text_field) or "") for r in records] if task == "summarize" else ()))
    primary = PRIMARY_METRICS[task]
    return {"split": "test", "records": len(records), "metrics": metrics, "metric_name": primary.key,
            "primary_metric": metrics.get(primary.key), "seconds": round(seconds, 2),
            "slices": output_slices(task, task_config, records, predictions),
            "exposure": {"measured": False, "reason": "nothing was trained on the notes"}, **extra}


ICL_BUDGET_SLACK = 1.0  # in-context passes may spend this multiple of the tuned methods' budget in all
_PROBE_RECORDS = 4  # test records timed to estimate an in-context pass before it starts
#: An example's note is cut to this many tokens in a comparison unless the request says otherwise: the
#: example shows the task's wording and its answer, the whole note adds mostly cost (a k-shot prompt
#: with whole abstracts is 1,300-2,000 tokens, each scored about 4 times slower than 512).
COMPARE_SHOT_NOTE_TOKENS = 128


def pass_settings(icl: dict[str, Any], k: int, classify: bool) -> dict[str, Any]:
    """The in-context settings of a comparison's k-shot pass: the request's ``icl`` settings over these
    defaults. Examples' notes cut to `COMPARE_SHOT_NOTE_TOKENS`; scoring in bfloat16 where the hardware
    computes it natively (`runtime.device.scoring_autocast`; on the medical abstracts' validation split,
    60 records, 4-shot: 60 of 60 calibrated and 59 of 60 raw predictions as in float32, 1.2-1.8x faster);
    calibration (classify only) for zero-shot and for examples that are the same for every query, but not
    for examples chosen per record: those carry the label signal calibration divides out, and their
    content-free prompts are scored anew for every record (same split, 4-shot: macro-F1 raw 0.389,
    calibrated 0.298; 2.8 CPU-s per record raw, 4.3 calibrated)."""
    from appliance.evaluate.icl import SAME_FOR_EVERY_QUERY, ICLConfig

    settings = {"shot_note_tokens": COMPARE_SHOT_NOTE_TOKENS, "dtype": "auto", **icl}
    same = settings.get("similarity", ICLConfig.similarity) in SAME_FOR_EVERY_QUERY
    settings["calibrate"] = classify and bool(icl.get("calibrate", k == 0 or same))
    return settings


def _examples(n: int) -> str:
    return f"{n} example" if n == 1 else f"{n} examples"


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


@dataclass(frozen=True)
class PassCost:
    """Seconds a pass takes as ``setup + per_record * n + per_token * tokens``, fitted on probe records."""

    setup: float
    per_record: float
    per_token: float

    def seconds(self, lengths: Sequence[int]) -> float:
        return self.setup + self.per_record * len(lengths) + self.per_token * float(sum(lengths))


def probe_indices(lengths: Sequence[int], n: int = _PROBE_RECORDS) -> list[int]:
    """Records at evenly spread quantiles of prompt length ((i + 0.5) / n), distinct, shortest first.

    The first records of a split are no sample of its lengths (timing them misjudged a pass by a factor
    of three); records spread over the length distribution are.
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    picked = [order[min(len(order) - 1, int((i + 0.5) / n * len(order)))] for i in range(n)] if order else []
    return list(dict.fromkeys(picked))


def fit_pass_cost(lengths: Sequence[int], seconds: Sequence[float], setup: float = 0.0) -> PassCost:
    """Least-squares ``a + b * tokens`` through the probes' seconds; a negative part (noise on probes of
    nearly one length) falls back to seconds proportional to tokens."""
    x = np.asarray(lengths, dtype=np.float64)
    y = np.asarray(seconds, dtype=np.float64)
    if len(x) >= 2 and np.ptp(x) > 0:
        b, a = np.polyfit(x, y, 1)
        if a >= 0 and b >= 0:
            return PassCost(setup, float(a), float(b))
    return PassCost(setup, 0.0, float(y.sum() / max(1.0, x.sum())))


def _estimate_icl(model: Any, tokenizer: Any, task: str, task_config: TaskConfig, train: list[dict[str, Any]],
                  test: list[dict[str, Any]], config: Any,
                  clock: Callable[[], float] = time.monotonic) -> tuple[float, PassCost] | None:
    """Seconds a pass over `test` will take, and the cost model it came from; None when the split is tiny.

    Every test record's prompt is built and counted (cheap: no model call); `_PROBE_RECORDS` records at
    quantiles of that length are scored one at a time, after one warm-up record that also pays the
    once-per-pass work (zero-shot calibration), and the fit of their seconds against their tokens is
    summed over every record's tokens.
    """
    from appliance.evaluate.icl import ICLPass

    if len(test) <= 2 * _PROBE_RECORDS:
        return None
    started = clock()
    icl = ICLPass(model, tokenizer, task, task_config, train, config)
    lengths = [icl.prompt_tokens(r) for r in test]
    probes = probe_indices(lengths)
    icl.run([test[probes[0]]])  # warm-up and once-per-pass work
    setup = clock() - started
    seconds = []
    for i in probes:
        begun = clock()
        icl.run([test[i]])
        seconds.append(clock() - begun)
    cost = fit_pass_cost([lengths[i] for i in probes], seconds, setup)
    return cost.seconds(lengths), cost


def _prompt_lengths(tokenizer: Any, task: str, task_config: TaskConfig, train: list[dict[str, Any]],
                    test: list[dict[str, Any]], config: Any) -> list[int]:
    from appliance.evaluate.icl import ICLPass

    icl = ICLPass(None, tokenizer, task, task_config, train, config)
    return [icl.prompt_tokens(r) for r in test]


def fewer_shots_that_fit(k: int, left: float, seconds_for: Callable[[int], float],
                         taken: Sequence[int] = ()) -> tuple[int, float] | None:
    """The largest k' < k (not already run, k' >= 1) whose estimated seconds fit in `left`, and its estimate."""
    for fewer in range(k - 1, 0, -1):
        if fewer in taken:
            continue
        seconds = seconds_for(fewer)
        if seconds <= left:
            return fewer, seconds
    return None


def run_icl_baseline(ws: Workspace, request: CompareRequest, snapshot: str, *, event: Event | None = None,
                     should_stop: Callable[[], bool] | None = None,
                     skipped_passes: list[dict[str, Any]] | None = None) -> list[str]:
    """Zero- and k-shot in-context runs on the test split: raw and, for classify where `pass_settings`
    calibrates, calibrated.

    In-context learning trains nothing but pays its scoring time on every query, so its evaluation time
    counts against the budget: each pass is estimated before it starts (`_estimate_icl`), and a pass
    whose estimate exceeds what is left of ``budget_seconds`` (all passes together) runs with the
    largest number of examples below its k that fits (not one the request runs by itself), or is
    skipped when none does; both are listed in ``skipped_passes``. Examples' notes are cut to
    `COMPARE_SHOT_NOTE_TOKENS` unless the request's ``icl`` settings give ``shot_note_tokens``.
    """
    import torch

    from appliance.evaluate.icl import ICLConfig, run_icl
    from appliance.evaluate.service import output_leakage

    emit = event or (lambda name, **fields: None)
    train = load_split(ws, snapshot, "train")
    test = load_split(ws, snapshot, "test")[: request.max_test or None]
    task_config = task_config_for(request.task, request.task_config, train + test)
    classify = get_task(request.task).name == "classify"
    run_ids: list[str] = []
    skipped = skipped_passes if skipped_passes is not None else []
    with ws.scratch() as scratch, torch.no_grad():
        base_dir, tokenizer = open_base(ws, request.base, scratch, progress=lambda m: emit(
            "stage", stage=f"icl: {m}", method="icl", phase="loading the base model"))
        model = load_causal_lm(base_dir)
        model.eval()
        spent = 0.0
        budget = request.budget_seconds
        held: dict[int, tuple[float, PassCost] | None] = {}
        if budget is not None and 0 in request.shots[1:]:
            # Zero-shot is the cheapest pass and the one every other is read against: when k-shot passes
            # come before it, it is estimated first and its time is kept free of their share.
            zero = ICLConfig.from_mapping({**pass_settings(request.icl, 0, classify), "k": 0})
            held[0] = _estimate_icl(model, tokenizer, request.task, task_config, train, test, zero)
        for k in request.shots:
            if should_stop and should_stop():
                break
            name = f"icl {k}-shot"
            settings = pass_settings(request.icl, k, classify)
            config = ICLConfig.from_mapping({**settings, "k": k})
            if k in held:
                estimated = held.pop(k)
            else:
                estimated = _estimate_icl(model, tokenizer, request.task, task_config, train, test, config)
            zero_estimate = held.get(0)
            kept = zero_estimate[0] if zero_estimate is not None else 0.0
            cut = f", examples cut to {config.shot_note_tokens} tokens" if k and config.shot_note_tokens else ""
            if k and classify and not config.calibrate:
                cut += ", not calibrated (examples chosen per record)"
            if estimated is not None:
                estimate, cost = estimated
                emit("stage", stage=f"{name}: about {_minutes(estimate)} for {len(test)} test records (estimated "
                     f"from {_PROBE_RECORDS} records spread over the prompt lengths{cut})", method=name,
                     phase="estimate", estimate_s=round(estimate))
                if budget is not None and spent + kept + estimate > budget * ICL_BUDGET_SLACK:
                    left = budget * ICL_BUDGET_SLACK - spent - kept
                    after = f" after zero-shot's {_minutes(kept)}" if kept else ""
                    tried: dict[int, ICLConfig] = {}

                    def seconds_for(n: int, cost: PassCost = cost, settings: dict[str, Any] = settings,
                                    tried: dict[int, ICLConfig] = tried) -> float:
                        tried[n] = ICLConfig.from_mapping({**settings, "k": n})
                        return cost.seconds(_prompt_lengths(tokenizer, request.task, task_config, train, test,
                                                            tried[n]))

                    fewer = fewer_shots_that_fit(k, left, seconds_for, taken=request.shots) if k > 1 else None
                    if fewer is None:
                        emit("stage", stage=f"{name}: skipped, the estimate ({_minutes(estimate)}) exceeds what is "
                             f"left of the {_minutes(budget)} budget ({_minutes(max(0.0, left))}{after}), and no "
                             "fewer examples fit", method=name, phase="skipped", estimate_s=round(estimate))
                        skipped.append({"k": k, "estimate_s": round(estimate), "budget_s": budget})
                        continue
                    chosen, chosen_estimate = fewer
                    emit("stage", stage=f"{name}: runs with {_examples(chosen)}: {k} were estimated at "
                         f"{_minutes(estimate)}, more than is left of the {_minutes(budget)} budget "
                         f"({_minutes(left)}{after}); {_examples(chosen)} {'is' if chosen == 1 else 'are'} "
                         f"estimated at {_minutes(chosen_estimate)}{cut}",
                         method=name, phase="fewer examples", estimate_s=round(chosen_estimate))
                    skipped.append({"k": k, "estimate_s": round(estimate), "budget_s": budget, "ran_k": chosen,
                                    "ran_estimate_s": round(chosen_estimate)})
                    k, name, config = chosen, f"icl {chosen}-shot", tried[chosen]
            phase = PhaseProgress(emit, name, "scoring test records", should_stop=should_stop)
            started = time.monotonic()
            try:
                result = run_icl(model, tokenizer, request.task, task_config, train, test, config, progress=phase)
            except PhaseStopped:
                break  # cancelled between records: this pass is not registered
            seconds = time.monotonic() - started
            spent += seconds
            stored = {"icl": config.to_dict(), "k": k, "task": asdict(task_config)}
            prompt_tokens, calibration_tokens = _icl_tokens_per_query(tokenizer, request.task, task_config, train,
                                                                      test, config)
            per_record = seconds / max(1, len(test))
            figures: dict[str, Any] = {"train_seconds": 0.0, "steps": 0, "k": k, "eval_seconds": round(seconds, 2),
                       "mean_shots": sum(result.shots_used) / max(1, len(result.shots_used)), "trainable_params": 0,
                       "infer_seconds_per_record": per_record, "tokens_per_query": prompt_tokens}
            variants: list[tuple[str, list[str], dict[str, Any]]] = [("icl", result.predictions, figures)]
            if result.calibrated is not None:
                # One pass scored both; the raw answer alone needs only the query prompt, so its share of the
                # measured time is the share of its tokens (scoring time grows with prompt tokens).
                calibrated = {**figures, "tokens_per_query": prompt_tokens + calibration_tokens}
                share = prompt_tokens / (prompt_tokens + calibration_tokens) if prompt_tokens else 1.0
                raw = {**figures, "infer_seconds_per_record": per_record * share,
                       "infer_time_note": "share of the calibrated pass by prompt tokens"}
                variants = [("icl", result.predictions, raw), ("icl-calibrated", result.calibrated, calibrated)]
            for method, predictions, figures in variants:
                evaluation = baseline_evaluation(request.task, task_config, test, predictions, seconds, k=k,
                                         **output_leakage(request.task, task_config, train, predictions))
                run_ids.append(register_baseline(ws, method, request, snapshot, stored, figures, evaluation))
                emit("run", run_id=run_ids[-1], method=method, primary_metric=evaluation["primary_metric"])
    return run_ids


def _icl_tokens_per_query(tokenizer: Any, task: str, task_config: TaskConfig, train: list[dict[str, Any]],
                          test: list[dict[str, Any]], config: Any) -> tuple[float, float]:
    """Mean prompt tokens the model reads per test record: (query prompt, content-free calibration prompts
    beyond the start they share with the query prompt)."""
    from appliance.evaluate.icl import ICLPrompts
    from appliance.evaluate.label_scoring import common_prefix_length, label_replies
    from appliance.evaluate.prompts import CONTENT_FREE_INPUTS

    if not test:
        return 0.0, 0.0
    name = get_task(task).name
    if name == "classify" and task_config.label_set:
        reserve = max(len(r) for r in label_replies(tokenizer, task_config.label_set).tokens)
    else:
        reserve = 128
    prompts = ICLPrompts(name, tokenizer, task_config, train, config, reserve=reserve)
    total, calibration = 0, 0
    for i, record in enumerate(test):
        query = prompts.prompt(record)
        total += len(query)
        # With examples, each record's content-free prompts keep its examples, so each is scored anew;
        # zero-shot, they are the same for every record and scored once for the pass. Either way they
        # share their start (system prompt, examples) with the query prompt, which is read once for all
        # (`label_scoring.shared_prefix`), so only the tokens after it are counted.
        if name == "classify" and config.calibrate and (config.k > 0 or i == 0):
            free = [prompts.content_free(record, text) for text in CONTENT_FREE_INPUTS]
            shared = min(common_prefix_length([query, *free]), min(len(f) for f in free) - 1)
            calibration += sum(len(f) - max(0, shared) for f in free)
    return total / len(test), calibration / len(test)


def run_tfidf_baseline(ws: Workspace, request: CompareRequest, snapshot: str, *,
                       event: Event | None = None, should_stop: Callable[[], bool] | None = None,
                       skipped_passes: list[dict[str, Any]] | None = None) -> str:
    """TF-IDF + logistic regression fitted on the training split, scored on the test split (in seconds,
    so ``should_stop`` is not consulted and no pass is ever skipped)."""
    from appliance.evaluate.classical import ClassicalConfig, fit_predict

    emit = event or (lambda name, **fields: None)
    emit("stage", stage="tfidf: fitting and scoring", method="tfidf", phase="fitting and scoring")
    train = load_split(ws, snapshot, "train")
    test = load_split(ws, snapshot, "test")[: request.max_test or None]
    task_config = task_config_for(request.task, request.task_config, train + test)
    label_field = task_config.label_field or get_task(request.task).default_label_field or "label"
    config = ClassicalConfig(text_field=task_config.text_field)
    started = time.monotonic()
    predictions, info = fit_predict(train, test, label_field, config)
    seconds = time.monotonic() - started
    figures = {"train_seconds": round(info["fit_seconds"], 3), "steps": None, "features": info["features"],
               "trainable_params": info["features"] * max(1, len(info["classes"])), "train_size": info["train_size"],
               "infer_seconds_per_record": info["predict_seconds"] / max(1, len(test)), "tokens_per_query": 0}
    extra: dict[str, Any] = {}
    if request.cv_folds:
        emit("stage", stage=f"TF-IDF baseline: {request.cv_folds}-fold cross-validation", method="tfidf",
             phase="cross-validation")
        everything = train + load_split(ws, snapshot, "validation") + test
        extra["cross_validation"] = cross_validate_tfidf(everything, label_field, task_config, config,
                                                         request.cv_folds, request.split_seed)
    evaluation = baseline_evaluation(request.task, task_config, test, predictions, seconds, **extra)
    run_id = register_baseline(ws, "tfidf", request, snapshot,
                               {"classical": config.to_dict(), "task": asdict(task_config)}, figures, evaluation)
    emit("run", run_id=run_id, method="tfidf", primary_metric=evaluation["primary_metric"])
    return run_id


def skipped_notes(skipped: Sequence[dict[str, Any]]) -> list[str]:
    """The report's sentence for each in-context pass ``run_icl_baseline`` skipped or ran with fewer examples."""
    notes = []
    for s in skipped:
        head = (f"In-context {s['k']}-shot pass estimated at {_minutes(s['estimate_s'])} on this machine, more than "
                f"was left of the {_minutes(s['budget_s'])} budget")
        if s.get("ran_k"):
            notes.append(f"{head}: run with {_examples(s['ran_k'])} instead (estimated at "
                         f"{_minutes(s['ran_estimate_s'])}), the most that fit.")
        else:
            notes.append(f"{head}: skipped, and no fewer examples fit.")
    return notes
