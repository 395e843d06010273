"""Installing the test bundle with no network, then using and re-checking the installed appliance."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from bundle_testlib import BASE_COUNTER, appliance, offline, snapshot, verify


def test_the_network_namespace_really_has_no_network(netns) -> None:
    # The probe runs without the in-process guard (which would refuse first): this checks the kernel.
    unguarded = {**os.environ, "APPLIANCE_BUILD_TOOL": "1"}
    probe = offline([sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 53), timeout=5)"],
                    env=unguarded)
    assert probe.returncode != 0 and "unreachable" in probe.stderr.lower()


def test_install_prints_a_json_summary_and_switches_current(installed) -> None:
    prefix, summary = installed["prefix"], installed["summary"]
    install_id = f"0.1.0-{BASE_COUNTER}"
    assert summary["action"] == "installed" and summary["current"] == install_id and summary["previous"] is None
    assert os.readlink(prefix / "current") == f"versions/{install_id}"
    state = json.loads((prefix / "installed.json").read_text())
    assert state["current"] == install_id and state["high_water"] == {"version": "0.1.0", "counter": BASE_COUNTER}
    assert summary["models"][0]["path"] == str(prefix / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "torch==2.13.0+cpu" in summary["provided_by_host"]


def test_installed_appliance_reports_its_version_offline(installed) -> None:
    result = appliance(installed["prefix"], "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["appliance", "0.1.0"]


def test_installed_appliance_finds_and_verifies_the_model_offline(installed) -> None:
    """No APPLIANCE_MODEL_DIR or APPLIANCE_MANIFEST: the venv's share/appliance leads to both."""
    result = appliance(installed["prefix"], "--json", "models", "verify")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    found = Path(report["files"]["smollm2-135m-instruct"]["path"]).resolve()
    assert found == installed["prefix"] / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_installed_app_is_the_bundled_wheel_not_the_checkout(installed) -> None:
    venv = installed["prefix"] / "current" / "venv"
    result = offline([str(venv / "bin" / "python"), "-c", "import appliance; print(appliance.__file__)"],
                     env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(installed["prefix"]))


def test_systemd_unit_and_desktop_entry_point_at_current(installed) -> None:
    prefix, root = installed["prefix"], installed["system_root"]
    unit = (root / "etc/systemd/system/appliance-serve.service").read_text()
    assert f"ExecStart={prefix}/current/venv/bin/appliance serve" in unit
    assert f'Environment="APPLIANCE_MODEL_DIR={prefix}/models"' in unit
    desktop = (root / "usr/local/share/applications/clinical-tuning-appliance.desktop").read_text()
    assert f"Exec={prefix}/current/venv/bin/appliance gui" in desktop
    assert not list(root.rglob(".*"))  # no staging leftovers


def test_verify_sh_passes_on_the_fresh_install(installed, keys) -> None:
    result = verify(installed["prefix"], "--public-key", str(keys["public"]))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["signature"] == "verified" and report["files_checked"] > 100


@pytest.mark.parametrize("target", ["model", "module", "planted"])
def test_verify_sh_reports_a_changed_installed_file(installed, target: str) -> None:
    prefix = installed["prefix"]
    site = next((prefix / "current" / "venv" / "lib").glob("python3.*/site-packages"))
    path = {"model": prefix / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf",
            "module": site / "appliance" / "base_models.py",
            "planted": site / "sitecustomize.py"}[target]
    original = path.read_bytes() if path.exists() else None
    mode = path.stat().st_mode if path.exists() else None
    try:
        if original is None:
            path.write_text("print('planted')\n")
        else:
            os.chmod(path, 0o644)
            with open(path, "r+b") as fh:  # same size, one byte different
                fh.seek(100)
                byte = fh.read(1)
                fh.seek(100)
                fh.write(bytes([byte[0] ^ 1]))
        result = verify(prefix)
        assert result.returncode == 4
        assert "appliance-verify:" in result.stderr and path.name in result.stderr
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
            os.chmod(path, mode or 0o644)
    assert verify(prefix).returncode == 0


def test_reinstalling_the_same_bundle_changes_nothing(installed, bundle, keys) -> None:
    from bundle_testlib import install

    before = snapshot(installed["prefix"])
    result = install(bundle, installed["prefix"], keys["public"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["action"] == "already-installed"
    assert snapshot(installed["prefix"]) == before
