"""The ``appliance`` command line: a thin shell over the services in this package.

Exit codes: 0 ok, 1 error, 2 usage, 3 authentication or permission failed, 4 integrity failure
(audit chain, database page, blob chunk or hash mismatch), 5 invalid input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import appliance.offline  # noqa: F401  (package import already enforced it; explicit for readers)
from appliance import __version__
from appliance.errors import EXIT_INTEGRITY, ApplianceError, IntegrityError, UsageError
from appliance.progress import ProgressBar, say
from appliance.workspace import Workspace

Handler = Callable[[argparse.Namespace], int]


# -- credentials and workspace -----------------------------------------------------------------


def _read_secret_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        raise UsageError(f"cannot read a password from {path}") from None


def password(args: argparse.Namespace) -> str:
    """--password-file, then APPLIANCE_PASSWORD, then an interactive prompt."""
    if args.password_file:
        return _read_secret_file(args.password_file)
    if os.environ.get("APPLIANCE_PASSWORD"):
        return os.environ["APPLIANCE_PASSWORD"]
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {args.user or 'user'}: ")
    raise UsageError("no password given: use --password-file, APPLIANCE_PASSWORD or run in a terminal")


def new_password(args: argparse.Namespace, whose: str) -> str:
    """--new-password-file, then APPLIANCE_NEW_PASSWORD, then a prompt asked twice."""
    if getattr(args, "new_password_file", None):
        return _read_secret_file(args.new_password_file)
    if os.environ.get("APPLIANCE_NEW_PASSWORD"):
        return os.environ["APPLIANCE_NEW_PASSWORD"]
    if sys.stdin.isatty():
        first = getpass.getpass(f"New password for {whose}: ")
        if getpass.getpass("Repeat it: ") != first:
            raise UsageError("the two passwords differ")
        return first
    raise UsageError("no new password given: use --new-password-file, APPLIANCE_NEW_PASSWORD or a terminal")


def workspace_dir(args: argparse.Namespace) -> Path:
    value = args.workspace or os.environ.get("APPLIANCE_WORKSPACE")
    if not value:
        raise UsageError("no workspace given: use --workspace DIR or set APPLIANCE_WORKSPACE")
    return Path(value)


def user_name(args: argparse.Namespace) -> str:
    value = args.user or os.environ.get("APPLIANCE_USER")
    if not value:
        raise UsageError("no user given: use --user NAME or set APPLIANCE_USER")
    return str(value)


def open_workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.open(workspace_dir(args), user_name(args), password(args))


def emit(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    """JSON on stdout with --json (or when there is no text form), else the human text."""
    if getattr(args, "json", False) or text is None:
        print(json.dumps(data, indent=None if getattr(args, "json", False) else 2, default=str))
    else:
        print(text)


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
        report = ws.verify(progress=ProgressBar("verifying blobs"))
    data = report.to_json()
    emit(args, data)
    if not report.ok:
        problems = ([f"audit chain broken at entry {report.chain.first_broken}: {report.chain.reason}"]
                    if not report.chain.ok else [])
        problems += report.database_problems[:1] + report.blob_problems[:1]
        say(f"appliance: integrity failure: {problems[0]}")
        return EXIT_INTEGRITY
    say(f"audit chain verified: {report.chain.entries} entries, database pages and {report.blobs_checked} blobs intact")
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


def cmd_demo(args: argparse.Namespace) -> int:
    from appliance.demo import run_demo

    result = run_demo(args.out, quick=args.quick)
    print(json.dumps(result))
    return 0 if result["stages"]["audit"]["verified"] is True else EXIT_INTEGRITY


# -- parser ------------------------------------------------------------------------------------


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command. After it, defaults are suppressed so that a
    value given before the command is not overwritten by the subcommand's empty default."""
    common = argparse.ArgumentParser(add_help=False)
    default: Any = argparse.SUPPRESS if suppress else None
    common.add_argument("--workspace", metavar="DIR", default=default,
                        help="workspace directory (or APPLIANCE_WORKSPACE)")
    common.add_argument("--user", default=default, help="user name (or APPLIANCE_USER)")
    common.add_argument("--password-file", type=Path, metavar="F", default=default,
                        help="file whose first line is the password (or APPLIANCE_PASSWORD, or a prompt)")
    common.add_argument("--json", action="store_true", default=default if suppress else False,
                        help="machine-readable JSON output")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _global_options(suppress=True)
    parser = argparse.ArgumentParser(prog="appliance", parents=[_global_options(suppress=False)],
                                     description="Clinical tuning appliance (offline).")
    parser.add_argument("--version", action="version", version=f"appliance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(parent: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

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
    add(audit, "verify", cmd_audit_verify,
        "recompute the chain and check every database page and blob (exit 4 if not intact)")
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

    p = add(sub, "demo", cmd_demo, "run the whole pipeline on the embedded default model and synthetic notes")
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory (default: a new temp directory)")
    p.add_argument("--quick", action="store_true", help="minimal sizes (a few minutes)")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # everything the appliance writes is private to its service account
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args))
    except ApplianceError as exc:
        print(f"appliance: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("appliance: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
