"""The built bundle: signed manifest, every file hashed, requirements with hashes, SBOM, provided_by_host."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import bundle_format
import bundle_lib
from bundle_testlib import BASE_COUNTER, REPO


def load(bundle: Path) -> dict:
    return json.loads((bundle / "MANIFEST.json").read_text())


def test_keygen_writes_private_key_0600_and_refuses_to_overwrite(keys, tmp_path) -> None:
    assert stat.S_IMODE(keys["private"].stat().st_mode) == 0o600
    assert "BEGIN PUBLIC KEY" in keys["public"].read_text()
    again = subprocess.run([sys.executable, str(REPO / "packaging" / "keygen.py"),
                            "--out", str(keys["private"].parent)], capture_output=True, text=True)
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr


def test_manifest_is_signed_and_lists_every_file_with_its_hash(bundle, keys) -> None:
    public = bundle_format.public_key_from_pem(keys["public"].read_text())
    manifest = bundle_format.read_verified_manifest(bundle, public)
    bundle_format.check_files(bundle, manifest)  # raises on any mismatch
    assert manifest.version == "0.1.0" and manifest.counter == BASE_COUNTER
    assert manifest.key_id == bundle_format.key_id(public)
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert on_disk - set(manifest.files) == {"MANIFEST.json", "MANIFEST.json.sig"}
    for rel, entry in manifest.files.items():
        assert bundle_format.sha256_file(bundle / rel) == entry.sha256
    assert {"requirements.txt", "sbom.json", "models_manifest.toml", "installer/install.sh",
            "installer/verify.sh", "models/SmolLM2-135M-Instruct.Q4_1.gguf"} <= set(manifest.files)


def test_the_signature_also_verifies_with_the_pure_python_fallback(bundle, keys) -> None:
    """The installer must verify on a host without the cryptography package."""
    import bundle_ed25519

    raw = (bundle / "MANIFEST.json").read_bytes()
    sig = (bundle / "MANIFEST.json.sig").read_bytes()
    public = bundle_format.public_key_from_pem(keys["public"].read_text())
    assert bundle_ed25519.verify(public, raw, sig)
    assert not bundle_ed25519.verify(public, raw.replace(b'"counter": 10', b'"counter": 99'), sig)


def test_wheelhouse_holds_app_pip_and_light_wheels_and_requirements_pin_each_with_its_hash(bundle) -> None:
    manifest = load(bundle)
    wheels = sorted((bundle / "wheelhouse").glob("*.whl"))
    names = {bundle_lib.wheel_key(w.name)[0] for w in wheels}
    assert {"clinical-tuning-appliance", "pip"} <= names
    assert not names & {"torch", "pyside6", "onnxruntime-gpu", "numpy"}  # left to the host by --skip-wheels
    lines = [ln for ln in (bundle / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    assert len(lines) == len(wheels) == len(manifest["packages"])
    for package in manifest["packages"]:
        sha = bundle_format.sha256_file(bundle / package["file"])
        assert sha == package["sha256"]
        assert f"{package['name']}=={package['version']} --hash=sha256:{sha}" in lines


def test_skipped_packages_are_listed_as_provided_by_host_inside_the_signed_manifest(bundle) -> None:
    host = {bundle_format.normalize_name(p["name"]): p for p in load(bundle)["provided_by_host"]}
    assert {"torch", "pyside6", "onnxruntime-gpu", "transformers"} <= set(host)
    assert host["torch"]["version"].startswith("2.13.0")  # the pin holds even for a skipped wheel


def test_sbom_lists_every_package_with_purl_and_sha256(bundle) -> None:
    sbom = json.loads((bundle / "sbom.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.5"
    subject = sbom["metadata"]["component"]
    assert subject["name"] == "clinical-tuning-appliance"
    assert subject["purl"] == "pkg:pypi/clinical-tuning-appliance@0.1.0"
    by_purl = {c["purl"]: c for c in [subject, *sbom["components"]] if "purl" in c}
    manifest = load(bundle)
    for package in manifest["packages"]:
        component = by_purl[bundle_lib.purl(package["name"], package["version"])]
        assert component["name"] == package["name"] and component["version"] == package["version"]
        assert {"alg": "SHA-256", "content": bundle_format.sha256_file(bundle / package["file"])} in component["hashes"]
    for package in manifest["provided_by_host"]:
        component = by_purl[bundle_lib.purl(package["name"], package["version"])]
        assert {"name": "appliance:provided_by_host", "value": "true"} in component["properties"]
    models = [c for c in sbom["components"] if c["type"] == "machine-learning-model"]
    assert [m["hashes"][0]["content"] for m in models] == [m["sha256"] for m in manifest["models"]]


def test_app_wheel_is_built_from_the_checkout(bundle) -> None:
    with zipfile.ZipFile(bundle / load(bundle)["app_wheel"]) as zf:
        names = zf.namelist()
    assert "appliance/__init__.py" in names and "appliance/base_models.py" in names
