"""The ``appliance`` command line: a thin shell over the services in this package.

Each command module has a ``register(sub, add)`` that adds its commands; handlers return exit codes.
Exit codes: 0 ok, 1 error, 2 usage, 3 authentication or permission failed, 4 integrity failure
(audit chain, database page, blob chunk or hash mismatch), 5 invalid input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import appliance.offline  # noqa: F401  (the package import already enforced it; explicit for readers)
from appliance import __version__
from appliance.cli import admin, data, release, tuning
from appliance.errors import ApplianceError

Handler = Callable[[argparse.Namespace], int]
AddFn = Callable[[Any, str, Handler, str], argparse.ArgumentParser]
COMMAND_MODULES = [admin, data, tuning, release]


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


def cmd_demo(args: argparse.Namespace) -> int:
    import json

    from appliance.demo import run_demo
    from appliance.errors import EXIT_INTEGRITY

    result = run_demo(args.out, quick=args.quick)
    print(json.dumps(result))
    return 0 if result["stages"]["audit"]["verified"] is True else EXIT_INTEGRITY


def cmd_gui(args: argparse.Namespace) -> int:
    # The desktop shell is a separate package over this library: started as its own program so the
    # core never imports Qt.
    import subprocess

    from appliance.errors import UsageError

    # The desktop app asks for the password itself and prints nothing: refuse what it would ignore.
    ignored = [name for name, given in (("--password-file", args.password_file), ("--json", args.json)) if given]
    if ignored:
        raise UsageError(f"appliance gui does not use {' or '.join(ignored)}: the app asks for the password "
                         "and shows its results in its window")
    argv = [sys.executable, "-m", "gui.app"]
    if args.workspace:
        argv += ["--workspace", str(args.workspace)]
    if args.user:
        argv += ["--user", args.user]
    if args.lock_minutes is not None:
        if args.lock_minutes <= 0:
            raise UsageError("--lock-minutes must be a positive number of minutes")
        argv += ["--lock-minutes", str(args.lock_minutes)]
    return subprocess.call(argv)


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

    for module in COMMAND_MODULES:
        module.register(sub, add)
    gui = sub.add_parser("gui", help="open the desktop app", description="open the desktop app (it asks for the "
                         "password itself)")
    gui.set_defaults(handler=cmd_gui)
    gui.add_argument("--workspace", metavar="DIR", default=argparse.SUPPRESS,
                     help="workspace folder to offer (or APPLIANCE_WORKSPACE)")
    gui.add_argument("--user", default=argparse.SUPPRESS, help="user name to offer (or APPLIANCE_USER)")
    gui.add_argument("--lock-minutes", type=float, metavar="N",
                     help="lock the app after N minutes without input (default 10)")
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
