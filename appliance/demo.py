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

DEMO_PASSWORD = "demo"  # noqa: S105  (documented demo credential, synthetic data only)
DEMO_USERS = {"demo-admin": "admin", "demo-informaticist": "informaticist", "demo-reviewer": "reviewer"}
DEFAULT_MODEL = "smollm2-135m-instruct"


@dataclass
class DemoContext:
    out: Path
    quick: bool
    results: dict[str, Any] = field(default_factory=dict)

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
