"""`appliance demo --quick` end to end: its last line is the JSON summary with the chain verified."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # the whole workflow on the real default model: minutes
def test_demo_quick(tmp_path: Path, default_model_file: Path) -> None:
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "demo", "--quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=1800, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["out"] == str(out)
    stages = summary["stages"]
    assert stages["audit"]["verified"] is True
    assert set(stages["workspace"]["users"]) == {"demo-admin", "demo-informaticist", "demo-reviewer"}
    assert stages["models"]["sha256"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert (out / "workspace" / "workspace.db").exists()
    assert stages["import"]["imported"] == 60 and stages["import"]["reimport_duplicates"] == 60
    assert stages["deid"]["scored_notes"] == 60 and stages["deid"]["token_recall"] >= 0.95
    compare = stages["compare"]
    assert compare["methods"] == ["full", "icl", "icl-calibrated", "lora", "tfidf"]
    assert compare["runs"]["lora"]["steps"] == 3 and compare["lora_loss"][1] < compare["lora_loss"][0]
    assert compare["held_out_records"] > 0 and compare["lora_exposure_max"] is not None
    report = Path(compare["report"]).read_text(encoding="utf-8")
    assert "<script" not in report and "http://" not in report and "https://" not in report
    assert all(run["run"] in report for run in compare["runs"].values())
    assert stages["approve"]["approved_by"] == "demo-reviewer"
    assert stages["approve"]["run"] == compare["runs"]["lora"]["run"]
    assert all(stages["export"][fmt]["parity_passed"] is True for fmt in ("merged", "onnx-int8"))
    assert stages["serve"]["completion_tokens"] > 0 and stages["serve"]["unauthenticated_refused"] is True
    assert stages["serve"]["audited_requests"] >= 2
    assert stages["serve"]["task_parity"]["passed"] is True and stages["serve"]["task_parity"]["records"] > 0
