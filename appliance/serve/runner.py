"""Stand-alone runner: ``python -m appliance.serve --model DIR [--model DIR ...] --keys keys.toml``.

For serving exported model directories outside a workspace (the workspace's CLI serves with its own
key store and audit). Keys come from a TOML file of hashes (``--new-key NAME`` prints a fresh key and
the entry to paste); the audit goes to a JSON-lines file of hashes when ``--audit-log`` is given.
Exit codes are the appliance's (see ``appliance.errors``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from appliance.errors import EXIT_OK, ApplianceError
from appliance.serve.audit import JsonlSink, NullSink
from appliance.serve.backends import load_model_dirs
from appliance.serve.config import ServeConfig
from appliance.serve.http import serve_forever
from appliance.serve.keys import StaticKeyStore, hash_key, new_key
from appliance.serve.logs import configure_logging
from appliance.serve.protocols import RequestSink

_OPTIONS = ("host", "port", "tls_cert", "tls_key", "max_tokens_limit", "max_body_bytes")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m appliance.serve",
        description="Serve exported model directories over the OpenAI-compatible API, outside a workspace.")
    parser.add_argument("--model", action="append", type=Path, default=[], metavar="DIR",
                        help="an export directory (merged, adapter, onnx, onnx-int8); repeat for several")
    parser.add_argument("--keys", type=Path, help="TOML file of [[keys]] name/sha256/models entries")
    parser.add_argument("--config", type=Path, help="TOML file with a [serve] table of settings")
    parser.add_argument("--audit-log", type=Path, help="append request records (hashes only) to this JSON-lines file")
    parser.add_argument("--new-key", metavar="NAME", help="print a new API key and its [[keys]] entry, then exit")
    helps = ServeConfig.help()
    types = {f.name: f.type for f in fields(ServeConfig)}
    for name in _OPTIONS:
        kind = {"int": int, "float": float}.get(str(types[name]), str)
        parser.add_argument("--" + name.replace("_", "-"), type=kind, help=helps[name])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        if args.new_key:
            key = new_key()
            print(f"API key for {args.new_key} (shown once): {key}")
            print(f'[[keys]]\nname = "{args.new_key}"\nsha256 = "{hash_key(key)}"')
            return EXIT_OK
        if not args.model or not args.keys:
            raise ApplianceError("give at least one --model DIR and --keys FILE (see --help)")
        settings = ServeConfig.from_toml(args.config).to_dict() if args.config else {}
        settings.update({k: getattr(args, k) for k in _OPTIONS if getattr(args, k) is not None})
        config = ServeConfig.from_dict(settings)
        keys = StaticKeyStore.from_toml(args.keys)
        sink: RequestSink = JsonlSink(args.audit_log) if args.audit_log else NullSink()
        serve_forever(load_model_dirs(args.model), keys, sink, config)
    except ApplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return EXIT_OK
