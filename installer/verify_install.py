"""Re-check an installed appliance against the signed manifest of the bundle it came from.

    verify.sh PREFIX [--public-key key.pub.pem]

What is checked, for the version ``PREFIX/current`` points at:
  - ``current`` agrees with ``installed.json``, and the saved MANIFEST.json is the one installed
    (its sha256 is recorded in ``installed.json``); with ``--public-key`` its signature is re-checked;
  - the saved bundle files, the installer copy and ``<venv>/share/appliance/models_manifest.toml``
    against the manifest's hashes;
  - every bundled package is installed at its version and every file its RECORD lists with a hash
    still has that hash; no file in site-packages belongs to no package (a planted module);
  - packages the bundle expects from the host (test/development bundles) are importable at their version;
  - every model file in the model directory against the manifest.

Limits: ``.pyc`` caches carry no hash in RECORD and are not checked, and a local administrator who can
rewrite ``installed.json``, the saved manifest and the files together is not detected unless
``--public-key`` is given. Exit codes: 0 all intact, 4 a mismatch (one line per problem on stderr),
1 not an installed prefix. A JSON report goes to stdout.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# Run as a script under `python -I`, often from inside the bundle: byte-code caches written there would
# be files the signed manifest does not list, and the next run would refuse the bundle.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import install_steps as steps  # noqa: E402
from bundle_format import (  # noqa: E402
    EXIT_INTEGRITY,
    BundleError,
    Manifest,
    normalize_name,
    public_key_from_pem,
    public_version,
    sha256_file,
    verify_signature,
)
from install_state import State  # noqa: E402


class Report:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked_files = 0

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def check_hash(self, path: Path, want_sha256: str, label: str) -> None:
        self.checked_files += 1
        if not path.is_file():
            self.problem(f"{label}: missing ({path})")
        elif sha256_file(path) != want_sha256:
            self.problem(f"{label}: sha256 differs from the signed manifest ({path})")


def load_installed(prefix: Path, public_key: Path | None, report: Report) -> tuple[State, Path, Manifest]:
    state = State.load(prefix)
    if not state.current or state.current not in state.versions:
        raise BundleError(f"nothing is installed in {prefix}")
    vdir = prefix / "versions" / state.current
    if (prefix / "current").resolve() != vdir.resolve():
        report.problem(f"'current' does not point at {state.current} as installed.json says")
    raw = (vdir / "bundle" / "MANIFEST.json").read_bytes()
    if hashlib.sha256(raw).hexdigest() != state.versions[state.current].manifest_sha256:
        report.problem("saved MANIFEST.json is not the one that was installed")
    if public_key is not None:
        key = public_key_from_pem(public_key.read_text(encoding="ascii"))
        if not verify_signature(key, raw, (vdir / "bundle" / "MANIFEST.json.sig").read_bytes()):
            report.problem("saved MANIFEST.json signature does not verify with the given public key")
    return state, vdir, Manifest.parse(raw)


def check_saved_files(vdir: Path, manifest: Manifest, report: Report) -> None:
    for rel, entry in manifest.files.items():
        if rel.startswith("installer/"):
            report.check_hash(vdir / rel, entry.sha256, rel)
        elif "/" not in rel:
            report.check_hash(vdir / "bundle" / rel, entry.sha256, f"bundle/{rel}")
    share = vdir / "venv" / "share" / "appliance"
    report.check_hash(share / "models_manifest.toml", manifest.files[manifest.model_manifest].sha256,
                      "share/appliance/models_manifest.toml")


def record_digest(text: str) -> str | None:
    """RECORD's ``sha256=<urlsafe base64, no padding>`` as hex; None for an entry without a hash."""
    algorithm, _, value = text.partition("=")
    if algorithm != "sha256" or not value:
        return None
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()


def check_packages(venv: Path, manifest: Manifest, report: Report) -> None:
    site = steps.site_packages(venv)
    installed = steps.installed_distributions(venv)
    listed: set[Path] = set()
    for package in manifest.packages:
        info = installed.get(normalize_name(package.name))
        if info is None or not info.name.endswith(f"-{package.version}.dist-info"):
            report.problem(f"package {package.name}=={package.version} is not installed in the venv")
            continue
        listed |= check_record(site, info, venv, report)
    for name in sorted(set(installed) - {normalize_name(p.name) for p in manifest.packages}):
        report.problem(f"package '{name}' is installed in the venv but is not in the bundle")
    for path in sorted(unlisted_files(site, listed)):
        report.problem(f"file not installed by any bundled package: {path.relative_to(venv)}")


def check_record(site: Path, info: Path, venv: Path, report: Report) -> set[Path]:
    """Hash every RECORD entry that carries a hash; return every path RECORD lists."""
    paths: set[Path] = set()
    with open(info / "RECORD", newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if not row:
                continue
            path = Path(os.path.normpath(site / row[0]))
            if not path.is_relative_to(venv):
                report.problem(f"{info.name}/RECORD names a path outside the venv: {row[0]}")
                continue
            paths.add(path)
            digest = record_digest(row[1]) if len(row) > 1 else None
            if digest is not None:
                report.check_hash(path, digest, f"{info.name[:-len('.dist-info')]}: {row[0]}")
    return paths


def unlisted_files(site: Path, listed: set[Path]) -> list[Path]:
    extra = []
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]  # byte-code caches are written at run time
        for name in filenames:
            path = Path(dirpath) / name
            if path not in listed and not (path.parent == site and name == steps.HOST_SITE_PTH):
                extra.append(path)
    return extra


# Run by the venv's interpreter: the versions it sees, host site-packages included.
HOST_VERSIONS_SCRIPT = """
import importlib.metadata as m, json, sys
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return None
print(json.dumps({name: version(name) for name in sys.argv[1:]}))
"""


def check_host_packages(venv: Path, manifest: Manifest, report: Report) -> None:
    if not manifest.provided_by_host:
        return
    names = [p.name for p in manifest.provided_by_host]
    script = HOST_VERSIONS_SCRIPT
    result = subprocess.run([str(steps.venv_python(venv)), "-I", "-c", script, *names], capture_output=True,
                            text=True, env=steps.clean_env(), timeout=120)
    try:  # the last line: anything printed at interpreter start-up (a planted sitecustomize) comes before it
        found = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else {}
    except (IndexError, json.JSONDecodeError):
        found = {}
    for package in manifest.provided_by_host:
        have = found.get(package.name)
        if have is None or public_version(have) != public_version(package.version):
            report.problem(f"host-provided package {package.name}=={package.version} is not available ({have})")


def check_models(model_dir: Path, manifest: Manifest, report: Report) -> None:
    for model in manifest.models:
        report.check_hash(model_dir / Path(model.file).name, model.sha256, f"model {model.id}")


def verify(prefix: Path, public_key: Path | None) -> dict[str, Any]:
    report = Report()
    state, vdir, manifest = load_installed(prefix, public_key, report)
    model_dir = Path(state.versions[state.current or ""].model_dir)
    check_saved_files(vdir, manifest, report)
    if (vdir / "venv" / "share" / "appliance" / "models").resolve() != model_dir.resolve():
        report.problem("share/appliance/models does not point at the model directory")
    check_packages(vdir / "venv", manifest, report)
    check_host_packages(vdir / "venv", manifest, report)
    check_models(model_dir, manifest, report)
    return {"ok": not report.problems, "prefix": str(prefix), "current": state.current,
            "version": manifest.version, "counter": manifest.counter, "files_checked": report.checked_files,
            "signature": "verified" if public_key else "not checked (no --public-key)",
            "problems": report.problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify.sh", description=__doc__.splitlines()[0])
    parser.add_argument("prefix", type=Path, help="installation prefix, e.g. /opt/appliance")
    parser.add_argument("--public-key", type=Path, help="also re-check the saved manifest's signature")
    args = parser.parse_args(argv)
    try:
        result = verify(Path(os.path.abspath(args.prefix)), args.public_key)
    except BundleError as exc:
        print(f"appliance-verify: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"appliance-verify: {exc.strerror or exc} ({exc.filename}); is this an installed prefix?",
              file=sys.stderr)
        return 1
    for problem in result["problems"]:
        print(f"appliance-verify: {problem}", file=sys.stderr)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else EXIT_INTEGRITY


if __name__ == "__main__":
    sys.exit(main())
