"""``appliance demo``: the whole pipeline that exists, end to end, on the embedded default.

Each stage is one function that takes the demo context and returns its key figures; the result is
one JSON object ``{"out": DIR, "stages": {...}}``. A new pipeline stage adds one function to
``STAGES``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance import base_models
from appliance.errors import ApplianceError
from appliance.progress import ProgressBar, say
from appliance.workspace import Workspace

DEMO_PASSWORD = "demo-synthetic-only"  # noqa: S105  (documented demo credential, synthetic data only)
DEMO_USERS = {"demo-admin": "admin", "demo-informaticist": "informaticist", "demo-reviewer": "reviewer"}
DEFAULT_MODEL = "smollm2-135m-instruct"
DEMO_LABEL = "specialty"  # the synthetic notes' specialty (5 classes), read from the note's content
DEMO_NOTE_CHARS = 600  # synthetic note length asked of the generator


@dataclass
class DemoContext:
    out: Path
    quick: bool
    results: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    export_dir: Path | None = None

    @property
    def workspace_dir(self) -> Path:
        return self.out / "workspace"

    def open(self, user: str) -> Workspace:
        return Workspace.open(self.workspace_dir, user, DEMO_PASSWORD)


def stage_workspace(ctx: DemoContext) -> dict[str, Any]:
    say(f"[workspace] creating {ctx.workspace_dir}")
    with Workspace.create(ctx.workspace_dir, "demo-admin", DEMO_PASSWORD) as ws:
        for name, role in DEMO_USERS.items():
            if name != "demo-admin":
                ws.add_user(name, role, DEMO_PASSWORD)
        users = {u.name: u.role for u in ws.users()}
    say(f"[workspace] users: {', '.join(f'{n} ({r})' for n, r in users.items())}")
    return {"path": str(ctx.workspace_dir), "users": users, "encrypted": "SQLCipher 4 + AES-256-GCM blobs"}


def stage_models(ctx: DemoContext) -> dict[str, Any]:
    entry = base_models.manifest_entry(DEFAULT_MODEL)
    path = base_models.find_model_file(entry)
    if path is None:
        raise ApplianceError(
            f"default model file {entry.file} not found; run 'make model' (or set APPLIANCE_MODEL_DIR)")
    say(f"[models] adding {DEFAULT_MODEL} ({entry.size / 1e6:.1f} MB) from {path}")
    with ctx.open("demo-admin") as ws:
        model = base_models.add_model(ws, DEFAULT_MODEL, path, progress=ProgressBar("[models] encrypting"))
    return {"model": model.model_id, "sha256": model.sha256, "size": model.size, "blob": model.blob_id,
            "verified_against_manifest": True}


def stage_import(ctx: DemoContext) -> dict[str, Any]:
    from appliance import synthetic
    from appliance.ingest.service import import_path

    n = 60 if ctx.quick else 400
    # Short notes (about 70 words each): a whole note then fits the 256-token training rows, so the tuned
    # runs see its clinical content instead of a header and a sign-off around a cut.
    notes = synthetic.generate(n, seed=7, target_chars=DEMO_NOTE_CHARS)
    ctx.notes = {note.note_id: note for note in notes}
    source = ctx.out / "synthetic_notes.csv"  # synthetic: no real patient is in this file
    synthetic.write_csv(notes, source)
    say(f"[import] {n} synthetic notes ({sum(len(x.text) for x in notes) / 1024:.0f} KB) from {source.name}")
    with ctx.open("demo-informaticist") as ws:
        summary = import_path(ws, source, "demo-notes", progress=ProgressBar("[import] reading"))
        again = import_path(ws, source, "demo-notes")
    say(f"[import] imported {summary.imported}, duplicates on re-import {again.duplicates}")
    return {"dataset": "demo-notes", "imported": summary.imported, "rejected": len(summary.rejected),
            "reimport_duplicates": again.duplicates, "records_hash": summary.records_hash}


def stage_deid(ctx: DemoContext) -> dict[str, Any]:
    from appliance import jobs
    from appliance.catalog import deid_versions
    from appliance.deid import Span, score
    from appliance.deid.service import review_queue

    say("[deid] de-identifying demo-notes (job in a child process)")
    bar = ProgressBar("[deid] notes")

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "progress":
            bar.update(int(event["step"]), int(event["total"]))

    final = jobs.run(ctx.workspace_dir, "demo-informaticist", DEMO_PASSWORD, "deid", {"dataset": "demo-notes"},
                     on_event)
    if final.get("event") != "done":
        raise ApplianceError(f"de-identification job {final.get('event')}: {final.get('message', '')}")
    result = final["result"]
    # Score what the pipeline stored against the spans the generator planted.
    gold, pred, texts = [], [], []
    with ctx.open("demo-reviewer") as ws:
        for note_id, text, spans in deid_versions.scored_records(ws, result["version"]):
            note = ctx.notes.get(note_id)
            # Import trims surrounding whitespace; gold offsets move by what was trimmed at the start.
            shift = note.text.find(text) if note is not None else -1
            if note is None or shift < 0 or note.text.strip() != text:
                continue
            texts.append(text)
            gold.append([Span(g.start - shift, g.end - shift, g.label, g.subtype) for g in note.spans])
            pred.append([Span(x["start"], x["end"], x["label"], x.get("subtype")) for x in spans])
        queue = review_queue(ws, result["version"], 3)
    if not texts:
        raise ApplianceError("no de-identified note could be matched to its synthetic original for scoring")
    report = score(gold, pred, texts)
    token = report["token"]
    say(f"[deid] version {result['version']}: {result['spans']} spans in {result['records']} notes, "
        f"{result['notes_per_s']} notes/s; token recall {token['recall']:.4f}, precision {token['precision']:.4f}")
    return {"version": result["version"], "records": result["records"], "spans": result["spans"],
            "scored_notes": len(texts), "token_recall": token["recall"], "token_precision": token["precision"],
            "token_f2": token.get("f2"), "notes_per_s": result["notes_per_s"],
            "review_queue_top": [q["record_id"] for q in queue]}


def _follow_job(kind: str, params: dict[str, Any], user: str, label: str) -> Callable[..., dict[str, Any]]:
    """Run a job to its end with a progress bar; returns its result or raises with its message."""

    def run(ctx: DemoContext) -> dict[str, Any]:
        from appliance import jobs

        bar = ProgressBar(label)

        def on_event(event: dict[str, Any]) -> None:
            if event.get("event") == "progress":
                extra = " ".join(f"{k}={event[k]}" for k in ("loss", "tokens_per_s") if k in event)
                bar.update(int(event["step"]), int(event["total"]), extra)
            elif event.get("event") == "stage":
                say(f"{label}: {event['stage']}")

        final = jobs.run(ctx.workspace_dir, user, DEMO_PASSWORD, kind, params, on_event)
        if final.get("event") != "done":
            raise ApplianceError(f"{label} {final.get('event')}: {final.get('message', '')}")
        return dict(final["result"])

    return run


def stage_compare(ctx: DemoContext) -> dict[str, Any]:
    """In-context (zero-shot and k-shot, raw and calibrated), TF-IDF, LoRA and full fine-tuning on one
    snapshot under one training budget, each scored on the held-out test split; the report is written."""
    import json

    from appliance.deid.service import latest_version, mark_reviewed

    with ctx.open("demo-reviewer") as ws:
        mark_reviewed(ws, latest_version(ws, "demo-notes"))
    say("[compare] demo-reviewer marked the de-identified version reviewed")
    steps, budget = (3, 600.0) if ctx.quick else (80, 1200.0)
    request = {"dataset": "demo-notes", "task": "classify", "methods": ["icl", "tfidf", "lora", "full"],
               "base": DEFAULT_MODEL, "budget_seconds": budget, "shots": [0, 2 if ctx.quick else 3],
               # The same examples before every query: the prompt's calibration is then scored once.
               "icl": {"similarity": "fixed", "shot_note_tokens": 128},
               "canaries": 4, "canary_repeats": 2, "audit_candidates": 256 if ctx.quick else 2000,
               "overrides": {"max_steps": steps, "max_seq_len": 256, "checkpoint_every": max(1, steps // 3)},
               # Each method at a rate suited to it: an adapter learns a low-rank update, full tuning every weight.
               "method_overrides": {"lora": {"learning_rate": 1e-3}, "full": {"learning_rate": 5e-5}},
               "task_config": {"label_field": DEMO_LABEL, "truncation": "middle"},
               # Every specialty with three or more patients in the test split: a plain cut of the quick demo's
               # 15 patients held out one patient, five notes of a single class, and compared nothing.
               "stratify_field": DEMO_LABEL,
               "title": f"Demo: {DEMO_LABEL} of synthetic notes"}
    report = ctx.out / "comparison.html"
    result = _follow_job("compare", {"request": request, "out": str(report)}, "demo-informaticist",
                         "[compare]")(ctx)
    rows = {row["method"] + (f"-{row['k']}shot" if row.get("k") is not None else ""): row
            for row in result["summary"]}
    for name, row in rows.items():
        say(f"[compare] {row['run_id']:<26} {name:<22} {row['metric_name']} {row['primary_metric']:.3f}")
    ctx.runs.update({row["method"]: row["run_id"] for row in result["summary"] if row["method"] in ("lora", "full")})
    data = json.loads(Path(result["json"]).read_text(encoding="utf-8"))
    lora = next(r for r in data["runs"] if r["method"] == "lora")
    zero_shot = next(r for r in data["runs"] if r["method"] == "icl" and r.get("k") == 0)
    say(f"[compare] recommendation: {result['recommendation']}")
    say(f"[compare] report written to {result['report']}")
    return {"report": result["report"], "json": result["json"], "budget_seconds": budget,
            "runs": {name: {"run": row["run_id"], "steps": row.get("steps"), row["metric_name"]: row["primary_metric"]}
                     for name, row in rows.items()},
            "lora_beats_zero_shot": lora["primary_metric"] > zero_shot["primary_metric"],
            "recommended": result.get("recommended"), "lora_exposure_max": (lora.get("exposure") or {}).get("max"),
            "lora_loss": [lora["loss_curve"][0], lora["loss_curve"][-1]], "methods": sorted(
                {r["method"] for r in data["runs"]}), "held_out_records": lora["metrics"].get("n")}


def stage_approve(ctx: DemoContext) -> dict[str, Any]:
    from appliance import registry
    from appliance.catalog import evaluations

    run_id = ctx.runs["lora"]
    with ctx.open("demo-reviewer") as ws:
        # The demo's tiny budget may leave LoRA below a baseline; a real approver would decide, the demo
        # overrides the baseline gate (the audit entry records it when it was needed).
        approved = registry.approve(ws, run_id, "demo: held-out metrics, privacy audit and forgetting reviewed",
                                    override_baseline=True)
        evaluation = evaluations.get(ws, run_id)
    if evaluation is None or evaluation.primary_metric is None:
        raise ApplianceError(f"approved run {run_id} has no stored evaluation")
    say(f"[approve] demo-reviewer approved {run_id} as {approved['name']} v{approved['version']} "
        f"({evaluation.metric_name} {evaluation.primary_metric:.3f}; general-text perplexity "
        f"{evaluation.forgetting['before']:.1f} -> {evaluation.forgetting['after']:.1f})")
    return {"run": run_id, "metric": evaluation.metric_name, "value": evaluation.primary_metric,
            "forgetting": evaluation.forgetting, "approved_as": f"{approved['name']}@v{approved['version']}",
            "approved_by": "demo-reviewer"}


def stage_export(ctx: DemoContext) -> dict[str, Any]:
    formats = ["merged", "onnx-int8"]
    figures: dict[str, Any] = {}
    for fmt in formats:
        out = ctx.out / f"export-{fmt}"
        params = {"run": ctx.runs["lora"], "format": fmt, "out": str(out)}
        result = _follow_job("export", params, "demo-informaticist", f"[export] {fmt}")(ctx)
        parity = result.get("parity") or {}
        ctx.export_dir = ctx.export_dir or out
        say(f"[export] {fmt} written to {out}: parity {'passed' if parity.get('passed') else 'FAILED'} "
            f"(first-32-token exact match {parity.get('exact_32', 0):.0%}, "
            f"top-1 {parity.get('top1_agreement', 0):.0%})")
        figures[fmt] = {"out": str(out), "parity_passed": parity.get("passed"), "exact_32": parity.get("exact_32"),
                        "top1_agreement": parity.get("top1_agreement"), "files": result.get("files")}
    return figures


def _post(url: str, path: str, key: str | None, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, headers=headers)  # noqa: S310  (loopback only)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def stage_serve(ctx: DemoContext) -> dict[str, Any]:
    """Serve the merged export as ``appliance serve`` does (checked against its recorded hashes and its
    approval), ask the task endpoint for the label of every held-out note the evaluation scored, and
    check the answers equal the evaluation's; then one chat completion and one unauthenticated request."""
    import dataclasses
    import threading

    from appliance.catalog import runs
    from appliance.data.snapshots import load_split
    from appliance.data.tasks import TaskConfig
    from appliance.serve import ServeConfig, serve
    from appliance.serve.backends.loading import load_model_dir
    from appliance.serve.served import WorkspaceGate, check_export, workspace_spool
    from appliance.serve.tasks import MAX_INPUTS, Classifier
    from appliance.serve.workspace_keys import WorkspaceKeys, create_key

    assert ctx.export_dir is not None
    with ctx.open("demo-admin") as ws:
        key = create_key(ws, "demo-ehr")
    with ctx.open("demo-informaticist") as ws:
        export = check_export(ws, ctx.export_dir)
        assert export.task is not None
        run = runs.get(ws, export.run_id)
        evaluation = run.evaluation or {}
        expected = list(evaluation.get("predictions") or [])
        field = TaskConfig.from_mapping(run.config.get("task") or {}).text_field
        notes = [str(r.get(field) or "") for r in load_split(ws, run.snapshot_id, "test")[: len(expected)]]
        lock = threading.Lock()
        backend = load_model_dir(export.path, model_id="demo-specialty")
        spec = dataclasses.replace(export.task, model_id="demo-specialty")
        config = ServeConfig(host="127.0.0.1", port=0)
        spool = workspace_spool(ws, lock, config.audit_spool_max_records)
        handle = serve({"demo-specialty": backend}, WorkspaceKeys(ws, lock), spool, config,
                       tasks={"demo-specialty": Classifier(backend, spec)},
                       gate=WorkspaceGate(ws, lock, {"demo-specialty": export.run_id}))
        try:
            served: list[str] = []
            for start in range(0, len(notes), MAX_INPUTS):
                status, answer = _post(handle.url, "/v1/classify", key, {"model": "demo-specialty",
                                                                         "input": notes[start:start + MAX_INPUTS]})
                if status != 200:
                    raise ApplianceError(f"the task endpoint answered {status}")
                served += [item["label"] for item in answer["data"]]
            version = answer["model_version"] if notes else ""
            status, chat = _post(handle.url, "/v1/chat/completions", key, {
                "model": "demo-specialty", "max_tokens": 8, "temperature": 0,
                "messages": [{"role": "user", "content": "Chest pain radiating to the left arm."}]})
            denied, _ = _post(handle.url, "/v1/models", None)
        finally:
            handle.stop()
            spool.close()
        audited = len(list(ws.audit_entries(action="serve.request")))
    agree = sum(a == b for a, b in zip(served, expected, strict=True))
    parity = bool(expected) and agree == len(expected)
    say(f"[serve] task endpoint on {handle.url}: {agree}/{len(expected)} held-out labels equal the evaluation's "
        f"({'parity' if parity else 'PARITY FAILED'}), model version {version}")
    say(f"[serve] chat completion: {chat['usage']['completion_tokens'] if chat else 0} tokens; a request without a "
        f"key got {denied}; {audited} requests in the audit chain")
    if not parity:
        raise ApplianceError(f"served labels differ from the evaluation's on {len(expected) - agree} of "
                             f"{len(expected)} held-out notes")
    return {"url": handle.url, "model": "demo-specialty", "model_version": version,
            "task_parity": {"records": len(expected), "equal": agree, "passed": parity},
            "completion_tokens": chat["usage"]["completion_tokens"] if chat else 0,
            "unauthenticated_refused": denied == 401, "audited_requests": audited}


def stage_audit(ctx: DemoContext) -> dict[str, Any]:
    say("[audit] verifying the chain, every database page and every blob chunk")
    with ctx.open("demo-reviewer") as ws:
        report = ws.verify(progress=ProgressBar("[audit] blobs"))
    say(f"[audit] {'verified' if report.ok else 'BROKEN'}: {report.chain.entries} entries")
    return {"verified": report.ok, "entries": report.chain.entries, "head": report.chain.head,
            "blobs_checked": report.blobs_checked}


Stage = Callable[[DemoContext], dict[str, Any]]
#: In pipeline order; the audit stage stays last so it verifies everything the others wrote.
STAGES: list[tuple[str, Stage]] = [
    ("workspace", stage_workspace),
    ("models", stage_models),
    ("import", stage_import),
    ("deid", stage_deid),
    ("compare", stage_compare),
    ("approve", stage_approve),
    ("export", stage_export),
    ("serve", stage_serve),
    ("audit", stage_audit),
]


def run_demo(out: Path | None = None, quick: bool = False) -> dict[str, Any]:
    out = Path(out) if out else Path(tempfile.mkdtemp(prefix="appliance-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    say(f"demo output directory: {out}")
    ctx = DemoContext(out=out, quick=quick)
    for name, stage in STAGES:
        ctx.results[name] = stage(ctx)
    return {"out": str(out), "stages": ctx.results}
