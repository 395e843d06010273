"""Tuning commands: tune (start or resume a run), runs (list, show)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from appliance.cli.common import emit, job_exit_code, open_workspace, run_job
from appliance.errors import InvalidInput, UsageError
from appliance.fieldhelp import read_toml
from appliance.tune.methods import default_compared, ordered, tune_choices

STRATIFY_HELP = ("keep each class of FIELD in proportion in the train, validation and test splits of the "
                 "snapshot (a patient counts under their majority class and is never split)")


def cmd_tune(args: argparse.Namespace) -> int:
    if args.resume:
        params: dict[str, Any] = {"resume": args.resume}
        label = f"resuming {args.resume}"
    else:
        missing = [name for name in ("dataset", "method") if not getattr(args, name)]
        if missing:
            raise UsageError(f"tune needs --{' and --'.join(missing)} (or --resume RUN)")
        config = read_toml(args.config, error=InvalidInput) if args.config else {}
        overrides = dict(config.get("tune", {k: v for k, v in config.items() if k != "task"}))
        for key in ("max_steps", "epochs", "seed", "batch_size", "max_seq_len", "checkpoint_every"):
            if getattr(args, key) is not None:
                overrides[key] = getattr(args, key)
        if args.lr is not None:
            overrides["learning_rate"] = args.lr
        task_config = dict(config.get("task", {}))
        if args.label_field:
            task_config["label_field"] = args.label_field
        request = {"dataset": args.dataset, "task": args.task, "method": args.method, "base": args.base,
                   "overrides": overrides, "task_config": task_config, "allow_unreviewed": args.allow_unreviewed,
                   "budget_seconds": args.budget_minutes * 60 if args.budget_minutes else None,
                   "stratify_field": args.stratify_field}
        from appliance.tune.service import TuneRequest

        TuneRequest(**request)  # validate here: a bad request fails before a job starts
        params = {"request": request}
        label = f"tuning {args.method} on {args.dataset}"
    final = run_job(args, "tune", params, label)
    if final.get("event") == "done" and not args.json:
        result = final["result"]
        keys = ("run_id", "status", "steps", "epochs", "final_loss", "eval_loss", "tokens_per_s", "wall_time_s",
                "peak_memory_bytes", "trainable_params", "artifact_bytes")
        print(json.dumps({k: result.get(k) for k in keys}))
    return job_exit_code(final)


def cmd_runs_list(args: argparse.Namespace) -> int:
    from appliance.tune.service import list_runs

    with open_workspace(args) as ws:
        runs = list_runs(ws)
    emit(args, runs, "\n".join(
        f"{r['run_id']:<22} {r['task']:<10} {r['status']:<10} {r['state']:<10} steps {r['steps'] or '-':>5}"
        f"  loss {r['final_loss'] if r['final_loss'] is not None else '-'}" for r in runs))
    return 0


def cmd_runs_show(args: argparse.Namespace) -> int:
    from appliance.tune.service import show_run

    with open_workspace(args) as ws:
        run = show_run(ws, args.run)
    if not args.json and run["result"]:
        run["result"].pop("losses", None)  # shown with --json only; long
    emit(args, run)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"run": args.run}
    if args.limit:
        params["limit"] = args.limit
    final = run_job(args, "evaluate", params, f"evaluating {args.run}")
    if final.get("event") == "done" and not args.json:
        result = final["result"]
        print(json.dumps({k: result.get(k) for k in ("run_id", "records", "metric_name", "primary_metric",
                                                      "forgetting", "exposure")}))
    return job_exit_code(final)


def _icl_settings(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` in-context settings: true/false as booleans, whole numbers as numbers, else text
    (`CompareRequest` checks them against `ICLConfig`)."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--icl takes KEY=VALUE, not {pair!r}")
        text = value.strip()
        settings[key.strip()] = {"true": True, "false": False}.get(text.lower(), int(text) if text.isdigit() else text)
    return settings


def cmd_compare(args: argparse.Namespace) -> int:
    """Either compare existing evaluated runs, or run every method on a dataset and compare them."""
    if args.runs and args.dataset:
        raise UsageError("give run ids to compare, or --dataset to run a new comparison, not both")
    if args.runs:
        from appliance.compare import write_report

        with open_workspace(args) as ws:
            html_path, json_path = write_report(ws, args.runs, args.out, title=args.title, queries=args.queries)
        emit(args, {"report": str(html_path), "json": str(json_path)}, f"report written to {html_path}")
        return 0
    if not args.dataset:
        raise UsageError("compare needs run ids or --dataset NAME (with --methods)")
    from appliance.compare import CompareRequest

    if not args.out.parent.is_dir():
        raise InvalidInput(f"{args.out.parent}: no such folder for the report")
    overrides: dict[str, Any] = {}
    for key in ("max_steps", "max_seq_len", "seed"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    task_config: dict[str, Any] = {}
    if args.label_field:
        task_config["label_field"] = args.label_field
    if args.text_field:
        task_config["text_field"] = args.text_field
    try:
        shots = [int(k) for k in args.shots.split(",") if k.strip()]
    except ValueError:
        raise InvalidInput(f"--shots takes numbers separated by commas, not {args.shots!r}") from None
    request = CompareRequest(
        icl=_icl_settings(args.icl or []),
        dataset=args.dataset, task=args.task, methods=args.methods.split(","), base=args.base,
        budget_seconds=args.budget_minutes * 60 if args.budget_minutes else None, shots=shots,
        canaries=args.canaries, canary_repeats=args.canary_repeats, overrides=overrides, task_config=task_config,
        allow_unreviewed=args.allow_unreviewed, max_test=args.max_test, title=args.title, queries=args.queries,
        cv_folds=args.cv_folds, stratify_field=args.stratify_field)
    from dataclasses import asdict

    final = run_job(args, "compare", {"request": asdict(request), "out": str(args.out.resolve())},
                    f"comparing {', '.join(request.methods)} on {args.dataset}")
    if final.get("event") == "done" and not args.json:
        result = final["result"]
        for row in result.get("summary", []):
            print(_summary_line(row))
        for skipped in result.get("skipped_icl", []):
            over = (f"in-context {skipped['k']}-shot estimated {skipped['estimate_s'] / 60:.0f} min, over what was "
                    f"left of the {skipped['budget_s'] / 60:.0f} min budget")
            if skipped.get("ran_k"):
                print(f"{over}: ran with {skipped['ran_k']} example(s) instead (estimated "
                      f"{skipped['ran_estimate_s'] / 60:.0f} min), the most that fit")
            else:
                print(f"{over}: skipped")
        if result.get("recommendation"):
            print(result["recommendation"])
        if result.get("report"):
            print(f"report written to {result['report']}")
    return job_exit_code(final)


def _summary_line(row: dict[str, Any]) -> str:
    """One run: its score with the 95 % interval and test size, and its measured cost."""
    metric = row.get("primary_metric")
    span = row.get("interval") or {}
    interval = f" [{span['low']:.3f}, {span['high']:.3f}]" if span.get("low") is not None else ""
    per_record = row.get("infer_seconds_per_record")
    cost = f"  infer {per_record * 1000:.0f} ms/record" if isinstance(per_record, int | float) else ""
    train = row.get("train_seconds")
    cost += f"  train {train:.0f} s" if isinstance(train, int | float) and train else ""
    return (f"{row['run_id']:<26} {row['method']:<15} {row.get('metric_name') or 'metric'} "
            f"{'-' if metric is None else f'{metric:.3f}'}{interval} n={row.get('test_size') or '-'}{cost}")


def register(sub: Any, add: Any) -> None:
    p = add(sub, "tune", cmd_tune, "fine-tune a base model on a dataset (a job; progress with loss, tokens/s, ETA)")
    p.add_argument("--dataset")
    p.add_argument("--task", default="classify", choices=["classify", "summarize", "extract", "instruct", "continue"])
    p.add_argument("--method", choices=list(tune_choices()),
                   help="lora-head (classify only) also needs --label-field; 'appliance evaluate' scores it")
    p.add_argument("--base", default="smollm2-135m-instruct", metavar="MODEL_ID")
    p.add_argument("--config", type=Path, metavar="FILE.toml", help="[tune] and [task] tables; stored with the run")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--max-seq-len", type=int)
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--label-field", help="classify: the column holding the label")
    p.add_argument("--stratify-field", metavar="FIELD", help=STRATIFY_HELP)
    p.add_argument("--budget-minutes", type=float, help="cut training to what fits this wall-clock budget")
    p.add_argument("--allow-unreviewed", action="store_true",
                   help="tune on a de-identified version nobody reviewed (audited)")
    p.add_argument("--resume", metavar="RUN", help="continue a killed or cancelled run from its last checkpoint")

    p = add(sub, "evaluate", cmd_evaluate, "score a finished run on its held-out test split (a job)")
    p.add_argument("run")
    p.add_argument("--limit", type=int, help="score at most this many test records")

    p = add(sub, "compare", cmd_compare,
            f"compare methods on a dataset ({', '.join(ordered())}; a job) or compare evaluated runs")
    p.add_argument("runs", nargs="*", metavar="RUN", help="evaluated runs to compare (instead of --dataset)")
    p.add_argument("--dataset", help="run every method in --methods on this dataset's newest de-identified version")
    p.add_argument("--task", default="classify", choices=["classify", "summarize", "extract", "instruct", "continue"])
    defaults = ",".join(default_compared())
    p.add_argument("--methods", default=defaults, help=f"comma-separated, from {', '.join(ordered())} "
                   f"(default {defaults})")
    p.add_argument("--base", default="smollm2-135m-instruct", metavar="MODEL_ID")
    p.add_argument("--budget-minutes", type=float, help="the same wall-clock training budget for every tuned method")
    p.add_argument("--shots", default="0,4", help="in-context examples per ICL pass, comma-separated (default 0,4)")
    p.add_argument("--icl", action="append", metavar="KEY=VALUE",
                   help="an in-context setting for every ICL pass (repeatable): similarity=tfidf|fixed|balanced, "
                        "shot_note_tokens=N, calibrate=true|false, dtype=auto|float32|bfloat16, max_prompt_tokens=N, "
                        "seed=N")
    p.add_argument("--canaries", type=int, default=0, help="plant this many canaries in each tuned run's data")
    p.add_argument("--canary-repeats", type=int, default=1, help="copies of each planted canary")
    p.add_argument("--label-field", help="classify: the column holding the label")
    p.add_argument("--text-field", help="the column holding the note text (default text)")
    p.add_argument("--stratify-field", metavar="FIELD", help=STRATIFY_HELP)
    p.add_argument("--max-steps", type=int, help="cap on optimizer steps for tuned methods")
    p.add_argument("--max-seq-len", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--max-test", type=int, help="score at most this many test records")
    p.add_argument("--queries", type=int, default=10_000,
                   help="future queries the cost order is computed for: training time + queries x inference time "
                        "per record (default 10000)")
    p.add_argument("--cv-folds", type=int, default=0,
                   help="also score TF-IDF by this many patient-level cross-validation folds (for small test sets)")
    p.add_argument("--allow-unreviewed", action="store_true",
                   help="use a de-identified version nobody reviewed (audited)")
    p.add_argument("--title", help="title of the report")
    p.add_argument("--out", type=Path, default=Path("comparison.html"),
                   help="report file; the .json beside it (default comparison.html)")

    runs = sub.add_parser("runs", help="tuning runs").add_subparsers(dest="sub", metavar="ACTION", required=True)
    add(runs, "list", cmd_runs_list, "runs with method, status and loss")
    p = add(runs, "show", cmd_runs_show, "one run: configuration, figures, checkpoints")
    p.add_argument("run")
