"""Release commands: approve, reject, rollback, registry, gates, model-card, export, keys, serve."""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from pathlib import Path
from typing import Any

from appliance.cli.common import emit, job_exit_code, open_workspace, run_job
from appliance.errors import InvalidInput
from appliance.progress import say


def cmd_approve(args: argparse.Namespace) -> int:
    from appliance import registry

    with open_workspace(args) as ws:
        result = registry.approve(ws, args.run, args.note or "", args.name, override_baseline=args.override_baseline)
    say(f"{args.run} approved as {result['name']} v{result['version']}")
    emit(args, {k: v for k, v in result.items() if k != "model_card"})
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    from appliance import registry

    with open_workspace(args) as ws:
        registry.reject(ws, args.run, args.note or "")
    say(f"{args.run} rejected")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from appliance import registry

    with open_workspace(args) as ws:
        result = registry.rollback(ws, args.name)
    say(f"{args.name}: v{result['version']} ({result['run_id']}) is current again")
    emit(args, result)
    return 0


def cmd_registry_list(args: argparse.Namespace) -> int:
    from appliance import registry

    with open_workspace(args) as ws:
        rows = registry.approvals(ws)
    emit(args, rows, "\n".join(f"{r['name']:<28} v{r['version']:<3} {r['run_id']:<22} {r['approved_by']:<18}"
                               f" {'current' if r['current'] else ''}" for r in rows))
    return 0


def cmd_model_card(args: argparse.Namespace) -> int:
    from appliance import registry

    with open_workspace(args) as ws:
        print(registry.model_card_text(ws, args.name, args.version))
    return 0


def cmd_gates(args: argparse.Namespace) -> int:
    from dataclasses import asdict, replace

    from appliance import registry

    with open_workspace(args) as ws:
        gates = registry.gates(ws)
        changes = {k: getattr(args, k) for k in ("min_metric", "max_exposure", "max_forgetting", "baseline_margin")
                   if getattr(args, k) is not None}
        if changes:
            gates = replace(gates, **{k: (None if v < 0 else v) for k, v in changes.items()})
            registry.set_gates(ws, gates)
    emit(args, asdict(gates))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    params = {"run": args.run, "format": args.format, "out": str(Path(args.out).resolve())}
    final = run_job(args, "export", params, f"exporting {args.run} as {args.format}")
    if final.get("event") == "done" and not args.json:
        print(json.dumps(final["result"]))
    return job_exit_code(final)


def cmd_keys_create(args: argparse.Namespace) -> int:
    from appliance.serve.workspace_keys import create_key

    models = [m for m in (args.models or "").split(",") if m] or None
    with open_workspace(args) as ws:
        key = create_key(ws, args.name, models, admin=args.admin)
    say(f"API key '{args.name}' created; it is shown once, store it in the EHR tool's configuration now:")
    print(key)
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from appliance.serve.workspace_keys import revoke_key

    with open_workspace(args) as ws:
        revoke_key(ws, args.name)
    say(f"API key '{args.name}' revoked")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from appliance.serve.workspace_keys import list_keys

    with open_workspace(args) as ws:
        rows = list_keys(ws)
    emit(args, rows, "\n".join(f"{r['name']:<20} {'revoked' if r['revoked'] else 'active':<8} "
                               f"{','.join(r['models']) if r['models'] else 'all models'}"
                               f"{' +metrics' if r['admin'] else ''}" for r in rows))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve exports of this workspace: each must match its recorded hashes and its run be approved
    (admin or informaticist only; see ``appliance.serve.served``)."""
    from appliance import base_models
    from appliance.serve import ServeConfig, serve_forever
    from appliance.serve.backends.loading import load_model_dir
    from appliance.serve.logs import configure_logging
    from appliance.serve.served import SERVE_ROLES, WorkspaceGate, check_export, workspace_spool
    from appliance.serve.tasks import task_endpoint
    from appliance.serve.workspace_keys import WorkspaceKeys

    configure_logging()

    config = ServeConfig(host=args.host, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key)
    with open_workspace(args) as ws, contextlib.ExitStack() as stack:
        ws.require(*SERVE_ROLES)
        lock = threading.Lock()
        exports = [check_export(ws, Path(path_text)) for path_text in args.model]
        ids = [e.model_id for e in exports]
        if len(set(ids)) != len(ids):
            raise InvalidInput(f"model id(s) {', '.join(sorted({i for i in ids if ids.count(i) > 1}))} given twice; "
                               "serve each export once")
        backends: dict[str, Any] = {}
        for export in exports:
            base = None
            if export.format == "adapter":
                manifest = json.loads((export.path / "export.json").read_text())
                scratch = stack.enter_context(ws.scratch())
                base = base_models.hf_dir(ws, manifest.get("base_model_id") or manifest["base_model"]["id"], scratch)
            backends[export.model_id] = load_model_dir(export.path, model_id=export.model_id, base=base)
        tasks = {e.model_id: task_endpoint(backends[e.model_id], e.task) for e in exports if e.task is not None}
        gate = WorkspaceGate(ws, lock, {e.model_id: e.run_id for e in exports})
        with ws.transaction("serve.start", sorted(backends), {
                "host": args.host, "port": args.port, "tls": bool(args.tls_cert),
                "exports": {e.model_id: e.export_id for e in exports},
                "approvals": {e.model_id: e.version for e in exports}}):
            pass
        spool = workspace_spool(ws, lock, config.audit_spool_max_records)
        try:
            serve_forever(backends, WorkspaceKeys(ws, lock), spool, config, tasks=tasks, gate=gate,
                          on_ready=lambda url: say(f"serving {', '.join(sorted(backends))} on {url} (Ctrl-C to stop)"))
        finally:
            spool.close()
    return 0


def register(sub: Any, add: Any) -> None:
    p = add(sub, "approve", cmd_approve, "approve an evaluated run (a reviewer who did not train it; gates apply)")
    p.add_argument("run")
    p.add_argument("--note", required=True, help="what the approval was checked for")
    p.add_argument("--name", help="registry name (default DATASET-LABEL)")
    p.add_argument("--override-baseline", action="store_true",
                   help="approve although the run scores below the best baseline (the audit log records it)")
    p = add(sub, "reject", cmd_reject, "reject a run")
    p.add_argument("run")
    p.add_argument("--note", required=True)
    p = add(sub, "rollback", cmd_rollback, "make the previous approved version of NAME current")
    p.add_argument("name")
    registry_parser = sub.add_parser("registry", help="approved models").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    add(registry_parser, "list", cmd_registry_list, "approved versions per name")
    p = add(sub, "model-card", cmd_model_card, "print the Markdown model card of an approved model")
    p.add_argument("name")
    p.add_argument("--version", type=int)
    p = add(sub, "gates", cmd_gates, "show or set the release gates (admin; a negative value removes a gate)")
    p.add_argument("--min-metric", type=float)
    p.add_argument("--max-exposure", type=float)
    p.add_argument("--max-forgetting", type=float)
    p.add_argument("--baseline-margin", type=float,
                   help="how far below the best baseline (beyond its 95%% interval) a run may score")

    from appliance.export import FORMATS  # the format table is the one list of formats

    p = add(sub, "export", cmd_export, "export an approved run (a job; parity-checked)")
    p.add_argument("run")
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("--out", required=True, type=Path, metavar="DIR")

    keys = sub.add_parser("keys", help="API keys for the serving API").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    p = add(keys, "create", cmd_keys_create, "create a key (printed once; only its hash is stored)")
    p.add_argument("--name", required=True)
    p.add_argument("--models", help="comma-separated model ids this key may use (default: all)")
    p.add_argument("--admin", action="store_true", help="the key may also read the server's /metrics (operators)")
    p = add(keys, "revoke", cmd_keys_revoke, "revoke a key")
    p.add_argument("name")
    add(keys, "list", cmd_keys_list, "keys and their models")

    p = add(sub, "serve", cmd_serve, "serve this workspace's exports of approved runs over an OpenAI-compatible API "
                                     "(admin, informaticist)")
    p.add_argument("--model", action="append", required=True, metavar="EXPORT_DIR")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000, as ServeConfig)")
    p.add_argument("--tls-cert", type=Path)
    p.add_argument("--tls-key", type=Path)
