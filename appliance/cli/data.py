"""Data commands: import, datasets, de-identification."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from appliance.cli.common import emit, job_exit_code, open_workspace, run_job
from appliance.errors import InvalidInput
from appliance.fieldhelp import read_toml
from appliance.progress import ProgressBar, say


def cmd_import(args: argparse.Namespace) -> int:
    from appliance.ingest import ImportOptions
    from appliance.ingest.service import ImportRefused, import_path

    mapping = {k: getattr(args, k) for k in ("text_col", "patient_col", "id_col", "date_col", "type_col")
               if getattr(args, k)}
    options = ImportOptions(**mapping, patient_per_note=args.patient_per_note)
    with open_workspace(args) as ws:
        try:
            summary = import_path(ws, args.path, args.dataset, args.format, options, args.strict,
                                  progress=ProgressBar(f"importing {args.path.name}"))
        except ImportRefused as exc:
            print(json.dumps(exc.summary.to_json()))
            raise
    for file, report in summary.files.items():
        say(f"{file}: imported {len(report.imported)}, duplicates {len(report.duplicates)}, "
            f"skipped {sum(len(locations) for locations in report.skipped.values())}, rejected {len(report.rejected)}")
    for rejected in summary.rejected[:20]:
        say(f"rejected: {rejected}")
    if len(summary.rejected) > 20:
        say(f"... and {len(summary.rejected) - 20} more rejected (all listed in the JSON summary)")
    print(json.dumps(summary.to_json()))
    return 0


def cmd_datasets_list(args: argparse.Namespace) -> int:
    from appliance.ingest.service import datasets

    with open_workspace(args) as ws:
        rows = [d.__dict__ for d in datasets(ws)]
    emit(args, rows, "\n".join(f"{r['name']:<24} {r['records']:>7} records {r['patients']:>6} patients  "
                               + ", ".join(f"{t}: {n}" for t, n in r["note_types"].items()) for r in rows))
    return 0


def cmd_deid_detect(args: argparse.Namespace) -> int:
    from appliance.deid import detect_jsonl

    summary = detect_jsonl(args.input, args.output, _deid_config(args))
    print(json.dumps(summary))
    return 0


def cmd_deid_eval(args: argparse.Namespace) -> int:
    from appliance.deid import eval_jsonl

    print(json.dumps(eval_jsonl(args.gold, _deid_config(args))))
    return 0


def _deid_config(args: argparse.Namespace) -> Any:
    from appliance.deid import DeidConfig

    if getattr(args, "config", None):
        raw = read_toml(args.config, error=InvalidInput)
        return DeidConfig.from_dict(raw.get("deid", raw))
    return DeidConfig(mode=args.mode) if getattr(args, "mode", None) else DeidConfig()


def cmd_deid_run(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"dataset": args.dataset}
    if args.config:
        params["config"] = _deid_config(args).to_dict()
    elif args.mode:
        params["config"] = {"mode": args.mode}
    final = run_job(args, "deid", params, f"de-identifying {args.dataset}")
    if final.get("event") == "done" and not args.json:
        print(json.dumps(final["result"]))
    return job_exit_code(final)


def cmd_deid_review(args: argparse.Namespace) -> int:
    import appliance.deid.service as service

    with open_workspace(args) as ws:
        version = args.version or service.latest_version(ws, args.dataset)
        if args.add or args.remove:
            record = args.record
            if record is None:
                raise InvalidInput("--add/--remove need --record ID")
            result = service.correct(ws, version, record, add=[_span_arg(s) for s in args.add or []],
                                     remove=[_span_arg(s) for s in args.remove or []])
            emit(args, result)
            return 0
        if args.mark_reviewed:
            coverage = service.mark_reviewed(ws, version).coverage
            if coverage.unopened:
                # Marked all the same: reviewing a sample is legitimate; the audit entry keeps the counts.
                say(f"warning: {coverage.unopened} of the {coverage.records} records of {version} were never "
                    "opened by a reviewer (see them with 'appliance deid review --record ID')")
            say(f"version {version} marked reviewed by {ws.user.name} "
                f"({coverage.opened} of {coverage.records} records opened)")
            return 0
        if args.record is not None:
            emit(args, service.review_record(ws, version, args.record))
            return 0
        queue = service.review_queue(ws, version, limit=args.limit)
    emit(args, queue, "\n".join(f"record {q['record_id']:>6}  risk {q['risk']:.2f}  spans {q['spans']:>3}"
                                f"  low-confidence {q['low_confidence']}" for q in queue))
    return 0


def _span_arg(text: str) -> tuple[int, int, str]:
    try:
        start, end, label = text.split(":")
        return int(start), int(end), label.upper()
    except ValueError:
        raise InvalidInput(f"span '{text}' must look like START:END:LABEL, e.g. 10:22:NAME") from None


def register(sub: Any, add: Any) -> None:
    p = add(sub, "import", cmd_import, "import a file or folder of notes into a dataset (encrypted)")
    p.add_argument("path", type=Path)
    p.add_argument("--dataset", required=True)
    from appliance.ingest import IMPORTERS  # the importer table is the one list of formats

    p.add_argument("--format", default="auto", choices=["auto", *IMPORTERS])
    p.add_argument("--strict", action="store_true", help="import nothing if any row or message is bad")
    p.add_argument("--patient-per-note", action="store_true",
                   help="the CSV/JSONL has no patient column: each note counts as its own patient")
    for col in ("text", "patient", "id", "date", "type"):
        p.add_argument(f"--{col}-col", dest=f"{col}_col", metavar="NAME", help=f"CSV/JSONL column with the note {col}")

    datasets = sub.add_parser("datasets", help="datasets in the workspace").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    add(datasets, "list", cmd_datasets_list, "datasets with record, patient and note-type counts")

    deid = sub.add_parser("deid", help="de-identification (HIPAA Safe Harbor)").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    p = add(deid, "detect", cmd_deid_detect, "detect PHI spans in a JSONL file (no workspace needed)")
    p.add_argument("--input", type=Path, required=True, metavar="IN.jsonl")
    p.add_argument("--output", type=Path, required=True, metavar="OUT.jsonl")
    p.add_argument("--config", type=Path, metavar="F.toml")
    p = add(deid, "eval", cmd_deid_eval, "score detection against gold spans (no workspace needed)")
    p.add_argument("--gold", type=Path, required=True, metavar="GOLD.jsonl")
    p.add_argument("--config", type=Path, metavar="F.toml")
    p = add(deid, "run", cmd_deid_run, "make a de-identified version of a dataset (a job)")
    p.add_argument("--dataset", required=True)
    p.add_argument("--mode", choices=["surrogate", "mask"])
    p.add_argument("--config", type=Path, metavar="F.toml")
    p = add(deid, "review", cmd_deid_review, "review queue by risk; show, correct or mark a version reviewed")
    p.add_argument("--dataset")
    p.add_argument("--version")
    p.add_argument("--record", type=int, help="record id to show or correct")
    p.add_argument("--add", action="append", metavar="START:END:LABEL",
                   help="add a missed span (offsets in the original)")
    p.add_argument("--remove", action="append", metavar="START:END:LABEL", help="remove a wrong span")
    p.add_argument("--mark-reviewed", action="store_true", help="mark the version reviewed (reviewer or admin)")
    p.add_argument("--limit", type=int, default=20)
