"""Every refusal: a clear one-line message, the documented exit code, and nothing installed or changed.

Each case damages a hard-linked clone of the test bundle and runs the installer twice: into a fresh
prefix (which must not even be created) and over the installed prefix (which must stay byte-identical,
``current`` included).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from bundle_testlib import BASE_COUNTER, clone, install, replace_file, resign, snapshot

Damage = Callable[[Path, dict], None]


def flip_byte(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1
    replace_file(path, bytes(data))


def add_file(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04")


def first_wheel(bundle: Path) -> Path:
    return sorted(w for w in (bundle / "wheelhouse").glob("*.whl") if not w.name.startswith(("pip-", "clinical")))[0]


def edit_manifest_unsigned(change: Callable[[dict], None]) -> Damage:
    def damage(bundle: Path, keys: dict) -> None:
        manifest = json.loads((bundle / "MANIFEST.json").read_text())
        change(manifest)
        replace_file(bundle / "MANIFEST.json", json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")
    return damage


CASES: dict[str, tuple[Damage, int, str]] = {
    "modified file (same size)": (lambda b, k: flip_byte(b / "requirements.txt"), 4,
                                  "'requirements.txt' sha256 does not match the signed manifest"),
    "modified wheel (other size)": (lambda b, k: replace_file(first_wheel(b), first_wheel(b).read_bytes() + b"x"), 4,
                                    "has the wrong size"),
    "bad signature": (lambda b, k: flip_byte(b / "MANIFEST.json.sig", 40), 4, "signature does not verify"),
    "counter raised without re-signing": (edit_manifest_unsigned(lambda m: m.update(counter=99)), 4,
                                          "signature does not verify"),
    "provided_by_host edited without re-signing": (
        edit_manifest_unsigned(lambda m: m["provided_by_host"].append({"name": "evil", "version": "1", "sha256": ""})),
        4, "signature does not verify"),
    "extra unlisted file": (lambda b, k: add_file(b / "wheelhouse" / "evil-1.0-py3-none-any.whl"), 4,
                            "file not in the signed manifest: 'wheelhouse/evil-1.0-py3-none-any.whl'"),
    "missing file": (lambda b, k: first_wheel(b).unlink(), 4, "is missing"),
    "symlink": (lambda b, k: os.symlink("/etc/passwd", b / "models" / "passwd"), 4, "symlink"),
    "validly signed manifest naming an unsafe path": (
        lambda b, k: resign(b, k["private"], lambda m: m["files"].update({"../escape": m["files"]["sbom.json"]})),
        4, "unsafe path '../escape'"),
}


@pytest.fixture
def damaged(bundle: Path, keys: dict, tmp_path: Path) -> Callable[[Damage], Path]:
    def make(damage: Damage) -> Path:
        copy = clone(bundle, tmp_path / "bundle")
        damage(copy, keys)
        return copy
    return make


def assert_refused(result, code: int, message: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("appliance-install: "), result.stderr
    assert message in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_bundle_is_refused_and_nothing_is_installed(case, damaged, keys, installed, tmp_path) -> None:
    damage, code, message = CASES[case]
    bad = damaged(damage)
    fresh, system_root = tmp_path / "fresh" / "appliance", tmp_path / "sysroot"
    assert_refused(install(bad, fresh, keys["public"], "--systemd", "--system-root", str(system_root)), code, message)
    assert not fresh.exists() and not system_root.exists()

    before = snapshot(installed["prefix"])
    assert_refused(install(bad, installed["prefix"], keys["public"]), code, message)
    assert snapshot(installed["prefix"]) == before


def test_wrong_public_key_is_refused_naming_both_keys(bundle, keys, installed, tmp_path) -> None:
    fresh = tmp_path / "fresh"
    result = install(bundle, fresh, keys["other_public"])
    assert_refused(result, 4, "signature does not verify: it claims signing key")
    assert "check that you have the right public key" in result.stderr
    assert not fresh.exists()
    before = snapshot(installed["prefix"])
    assert_refused(install(bundle, installed["prefix"], keys["other_public"]), 4, "claims signing key")
    assert snapshot(installed["prefix"]) == before


def test_older_bundle_after_a_newer_one_is_refused(variant, keys, installed) -> None:
    """Anti-rollback: a validly signed bundle with a lower counter than the installed one."""
    before = snapshot(installed["prefix"])
    result = install(variant(BASE_COUNTER - 1), installed["prefix"], keys["public"])
    assert_refused(result, 3, f"counter {BASE_COUNTER - 1} is not newer than installed 0.1.0 counter {BASE_COUNTER}")
    assert snapshot(installed["prefix"]) == before


def test_lower_version_with_a_higher_counter_is_refused(bundle, keys, installed, tmp_path) -> None:
    older = clone(bundle, tmp_path / "older")
    resign(older, keys["private"], lambda m: m.update(version="0.0.9", counter=BASE_COUNTER + 50))
    before = snapshot(installed["prefix"])
    result = install(older, installed["prefix"], keys["public"])
    assert_refused(result, 3, "version 0.0.9 is older than installed 0.1.0")
    assert snapshot(installed["prefix"]) == before


def test_prefix_holding_other_files_is_refused(bundle, keys, tmp_path) -> None:
    prefix = tmp_path / "opt"
    prefix.mkdir()
    (prefix / "someone-else").write_text("x")
    assert_refused(install(bundle, prefix, keys["public"]), 2, "holds other files")
    assert sorted(p.name for p in prefix.iterdir()) == ["someone-else"]


def test_bundle_expecting_a_host_package_the_host_lacks_is_refused(bundle, keys, tmp_path) -> None:
    """Test/development bundles only: a package left out with --skip-wheels must really be on the host."""
    needy = clone(bundle, tmp_path / "needy")
    resign(needy, keys["private"], lambda m: m["provided_by_host"].append(
        {"name": "no-such-package-xyz", "version": "1.0", "sha256": ""}))
    fresh = tmp_path / "fresh"
    assert_refused(install(needy, fresh, keys["public"]), 1, "expects the host Python to provide no-such-package-xyz")
    assert not fresh.exists()
