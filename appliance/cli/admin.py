"""Workspace administration commands: init, users, rotate-key, audit, models, jobs."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from appliance import jobs
from appliance.cli.common import emit, new_password, open_workspace, password, workspace_dir
from appliance.errors import EXIT_INTEGRITY, IntegrityError
from appliance.progress import ProgressBar, say
from appliance.workspace import Workspace

# -- commands ----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    root = workspace_dir(args)
    ws = Workspace.create(root, args.admin, password(args))
    ws.close()
    say(f"workspace created at {root} with admin '{args.admin}'")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        users = [{"name": u.name, "role": u.role, "created": u.created} for u in ws.users()]
    emit(args, users, "\n".join(f"{u['name']:<24} {u['role']:<14} {u['created']}" for u in users))
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        ws.require("admin")
        ws.add_user(args.name, args.role, new_password(args, args.name))
    say(f"user '{args.name}' added with role '{args.role}'")
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        ws.remove_user(args.name)
    say(f"user '{args.name}' removed; run 'appliance rotate-key' to cut off any key copy they kept")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        ws.change_password(new_password(args, ws.user.name))
    say("password changed")
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        generation = ws.rotate_key(progress=say)
    say(f"master key rotated (generation {generation})")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    try:
        ws = open_workspace(args)
    except IntegrityError as exc:
        emit(args, {"verified": False, "database_problems": [str(exc)]})
        raise
    with ws:
        report = ws.verify(progress=ProgressBar("verifying blobs"), anchors=args.anchor)
    data = report.to_json()
    emit(args, data)
    if not report.ok:
        problems = report.problems()
        say(f"appliance: integrity failure: {problems[0]}"
            + (f" (and {len(problems) - 1} more; see --json)" if len(problems) > 1 else ""))
        return EXIT_INTEGRITY
    signed = report.chain.entries - report.ledger.unsigned_legacy
    anchors = f", head matches {len(report.anchors_checked)} anchor(s)" if report.anchors_checked else ", no anchor"
    say(f"audit chain verified: {report.chain.entries} entries ({signed} signed), security tables match the signed "
        f"entries{anchors}, database pages and {report.blobs_checked} blobs intact")
    return 0


def cmd_audit_head(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        head = ws.head()
    print(head.line())
    return 0


def cmd_audit_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        entries = [e.to_json() for e in ws.audit_entries(action=args.action, user=args.filter_user, limit=args.limit)]
    if args.json:
        for entry in entries:
            print(json.dumps(entry))
    else:
        for e in entries:
            print(f"{e['seq']:>6} {e['time'][:19]} {e['user']:<18} {e['action']:<26} {' '.join(e['object_ids'])}")
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    out: Path = args.out
    tmp = out.with_name(out.name + ".part")
    count = 0
    with open_workspace(args) as ws:
        report = ws.verify()
        with open(tmp, "w", encoding="utf-8") as fh:
            for entry in ws.audit_entries():
                fh.write(json.dumps(entry.to_json(), sort_keys=True) + "\n")
                count += 1
        os.replace(tmp, out)
    say(f"{count} audit entries written to {out} (chain {'verified' if report.ok else 'BROKEN'})")
    return 0 if report.ok else EXIT_INTEGRITY


def cmd_models_list(args: argparse.Namespace) -> int:
    from appliance import base_models

    manifest = base_models.load_manifest()
    registered: dict[str, Any] = {}
    if args.workspace or os.environ.get("APPLIANCE_WORKSPACE"):
        with open_workspace(args) as ws:
            registered = base_models.registered(ws)
    rows: list[dict[str, Any]] = []
    for entry in manifest.values():
        found = base_models.find_model_file(entry)
        rows.append({"id": entry.id, "name": entry.display_name, "format": entry.format, "size": entry.size,
                     "license": entry.license, "parameters": entry.parameters,
                     "in_workspace": entry.id in registered, "file": str(found) if found else None})
    emit(args, rows, "\n".join(
        f"{r['id']:<26} {r['format']:<6} {r['size'] / 1e6:8.1f} MB  {r['license']:<12}"
        f" {'in workspace' if r['in_workspace'] else ('file found' if r['file'] else 'not present')}" for r in rows))
    return 0


def cmd_models_add(args: argparse.Namespace) -> int:
    from appliance import base_models

    with open_workspace(args) as ws:
        model = base_models.add_model(ws, args.id, args.path, progress=ProgressBar(f"adding {args.id}"))
    say(f"model '{model.model_id}' stored in the workspace (sha256 {model.sha256[:16]}...)")
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    from appliance import base_models

    ws = open_workspace(args) if (args.workspace or os.environ.get("APPLIANCE_WORKSPACE")) else None
    try:
        report = base_models.verify_models(ws, progress=ProgressBar("hashing model files"))
    finally:
        if ws is not None:
            ws.close()
    emit(args, report)
    if not report["ok"]:
        say("appliance: integrity failure: a model does not match models_manifest.toml")
        return EXIT_INTEGRITY
    return 0


def cmd_jobs_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        rows = [{"job_id": j.job_id, "kind": j.kind, "user": j.user, "status": j.status if j.status != "running" or
                 j.alive else "killed", "started": j.started, "ended": j.ended} for j in jobs.list_jobs(ws)]
    emit(args, rows, "\n".join(f"{r['job_id']:<36} {r['status']:<10} {r['user']:<18} {r['started']}" for r in rows))
    return 0


def cmd_jobs_cancel(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        if not jobs.cancel(ws, args.job_id):
            say(f"job {args.job_id} is not running")
            return 1
    say(f"job {args.job_id} asked to stop")
    return 0


def register(sub: Any, add: Any) -> None:
    p = add(sub, "init", cmd_init, "create a workspace with its first admin")
    p.add_argument("--admin", required=True, metavar="NAME")

    users = sub.add_parser("users", help="manage users and passwords").add_subparsers(dest="sub", metavar="ACTION",
                                                                                      required=True)
    add(users, "list", cmd_users_list, "list users and roles")
    p = add(users, "add", cmd_users_add, "add a user (admin)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=["admin", "informaticist", "reviewer"])
    p.add_argument("--new-password-file", type=Path, metavar="F",
                   help="the new user's password (or APPLIANCE_NEW_PASSWORD)")
    p = add(users, "remove", cmd_users_remove, "remove a user (admin; never the last admin)")
    p.add_argument("name")
    p = add(users, "passwd", cmd_users_passwd, "change your own password")
    p.add_argument("--new-password-file", type=Path, metavar="F", help="the new password (or APPLIANCE_NEW_PASSWORD)")

    add(sub, "rotate-key", cmd_rotate_key, "replace the master key: re-encrypt the database, re-wrap all keyslots")

    audit = sub.add_parser("audit", help="verify, list and export the audit chain").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    p = add(audit, "verify", cmd_audit_verify,
            "recompute the chain, check every signature, the security tables against the signed entries, "
            "the anchored heads, every database page and blob (exit 4 if not intact)")
    p.add_argument("--anchor", type=Path, action="append", metavar="F",
                   help="also check the heads recorded in F (an anchor file or saved 'audit head' lines); repeatable")
    add(audit, "head", cmd_audit_head,
        "print the chain head (workspace id, entry count, hash) as one JSON line for an auditor to keep")
    p = add(audit, "list", cmd_audit_list, "show audit entries")
    p.add_argument("--action", help="filter by action (wildcard *)")
    p.add_argument("--by", dest="filter_user", metavar="USER", help="only entries by this user")
    p.add_argument("--limit", type=int)
    p = add(audit, "export", cmd_audit_export, "write the chain as JSON lines for an auditor")
    p.add_argument("--out", type=Path, required=True, metavar="F.jsonl")

    models = sub.add_parser("models", help="approved base models").add_subparsers(dest="sub", metavar="ACTION",
                                                                                    required=True)
    add(models, "list", cmd_models_list, "list manifest models and whether they are present")
    p = add(models, "add", cmd_models_add, "verify a model file against the manifest and store it in the workspace")
    p.add_argument("--id", required=True)
    p.add_argument("path", type=Path)
    add(models, "verify", cmd_models_verify, "re-check stored models and model files against the manifest")


    jobs_parser = sub.add_parser("jobs", help="long-running jobs").add_subparsers(dest="sub", metavar="ACTION",
                                                                                 required=True)
    add(jobs_parser, "list", cmd_jobs_list, "list jobs and whether they are still running")
    p = add(jobs_parser, "cancel", cmd_jobs_cancel, "ask a running job to stop at its next safe point")
    p.add_argument("job_id")
