"""Shared pieces of the command line: credentials, workspace, output, jobs."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from appliance import jobs
from appliance.errors import UsageError
from appliance.progress import ProgressBar, say
from appliance.workspace import Workspace


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




def run_job(args: argparse.Namespace, kind: str, params: dict[str, Any], label: str) -> dict[str, Any]:
    """Run a job in a child process; a progress bar on stderr, or the raw JSON-lines events with --json.

    Returns the final event; the caller maps it to an exit code with ``job_exit_code``.
    """
    bars = {"current": ProgressBar(label)}

    def on_event(event: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(event), flush=True)
        elif event.get("event") == "started":
            say(f"{label}: job {event['job_id']} started")
        elif event.get("event") == "stage" and event.get("stage") and event.get("method"):
            # A job of several methods and phases (compare) names each; the bar then belongs to that phase.
            say(f"{label}: {event['stage']}")
            if event.get("phase"):
                bars["current"] = ProgressBar(f"  {event['method']}: {event['phase']}")
        elif event.get("event") == "progress":
            extra = " ".join(f"{k}={v}" for k, v in event.items() if k in ("loss", "tokens_per_s", "rate"))
            eta = event.get("eta_s")
            if isinstance(eta, int | float):
                extra += f" ETA {int(eta) // 60}:{int(eta) % 60:02d}"
            bars["current"].update(int(event.get("step", 0)), int(event.get("total", 0)), extra.strip())

    final = jobs.run(workspace_dir(args), user_name(args), password(args), kind, params, on_event)
    if final.get("event") == "failed":
        say(f"appliance: {final.get('message')}")
    elif final.get("event") == "cancelled":
        say(f"{label}: cancelled")
    return final


def job_exit_code(final: dict[str, Any]) -> int:
    if final.get("event") == "done":
        return 0
    return int(final.get("exit_code", 1))
