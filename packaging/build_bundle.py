"""Build the signed offline bundle of the clinical tuning appliance (on a connected build machine).

    python packaging/build_bundle.py --out DIR --signing-key key.pem [--counter N]
        [--platform manylinux_2_34_x86_64 ...] [--python-version 3.11] [--models ID,...]
        [--skip-wheels PATTERN,...] [--no-build-isolation] [--dry-run]

Steps: build the application wheel from a snapshot of the checkout; resolve its whole dependency closure
for the target platform (constrained by requirements.lock, torch pinned); download every wheel with
the index's hashes; fetch and verify the base models (packaging/fetch_model.py); write requirements.txt
with hashes, sbom.json (CycloneDX 1.5) and MANIFEST.json (every file's sha256 and size, version,
anti-rollback counter, build time); sign MANIFEST.json with Ed25519; check the result with the
installer's own verification; then rename the finished bundle to DIR (DIR never holds a half bundle).

``--counter`` must grow with every bundle released to a site (the installer refuses a bundle whose
counter is not above the newest installed one). Default: the build time in seconds since 1970, which
grows on its own; a release process that numbers bundles explicitly must keep doing so.

``--skip-wheels`` is a TEST/DEVELOPMENT mode: matching packages (e.g. ``torch,pyside6*,nvidia-*``) are
left out of the wheelhouse and listed as ``provided_by_host`` in the signed manifest; the installer then
takes them from the installing interpreter's site-packages. Never ship such a bundle to a hospital.

``--dry-run`` resolves only and prints every file with its size (no key needed, nothing written).
Exit codes: 0 ok, 1 error, 2 usage, 4 a downloaded or fetched file does not match its published hash.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bundle_lib as lib
from bundle_lib import ROOT, BuildError, BuildHashMismatch, BundleError, Resolved
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEFAULT_PLATFORM = "manylinux_2_34_x86_64"  # PySide6 6.12 and cryptography 50 wheels need glibc 2.34


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="bundle directory to create (must not exist)")
    parser.add_argument("--signing-key", type=Path, help="Ed25519 private key from keygen.py (not for --dry-run)")
    parser.add_argument("--counter", type=int, help="anti-rollback counter (default: build time in seconds)")
    parser.add_argument("--platform", action="append", help=f"target platform tag (default {DEFAULT_PLATFORM}); "
                        "manylinux_2_Y tags include every older glibc level")
    parser.add_argument("--python-version", default="3.11", help="target Python version (default 3.11)")
    parser.add_argument("--models", help="comma-separated model ids (default: every model in the manifest; '' none)")
    parser.add_argument("--skip-wheels", default="", help="TEST/DEV: comma-separated package patterns the host "
                        "Python provides instead of the bundle")
    parser.add_argument("--requirements", type=Path, default=ROOT / "requirements.lock", help="pins (constraints)")
    parser.add_argument("--model-manifest", type=Path, default=ROOT / "models_manifest.toml")
    parser.add_argument("--model-cache", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--wheel-cache", type=Path, default=ROOT / ".cache" / "wheels",
                        help="where fetch_model.py keeps model wheels")
    parser.add_argument("--no-build-isolation", action="store_true",
                        help="build the application wheel with the build machine's setuptools")
    parser.add_argument("--dry-run", action="store_true", help="resolve and list sizes only")
    args = parser.parse_args(argv)
    if not args.dry_run and args.signing_key is None:
        parser.error("--signing-key is required (unless --dry-run)")
    if args.counter is not None and args.counter < 0:
        parser.error("--counter must be >= 0")
    if args.out.exists():
        parser.error(f"--out {args.out} exists; give a new directory")
    return args


def build_time() -> datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch) if epoch else time.time(), UTC).replace(microsecond=0)


def dry_run(bundled: list[Resolved], host: list[Resolved], models: list[dict[str, Any]], app_wheel: Path) -> int:
    rows: list[tuple[str, str, int | None]] = []
    for package in bundled:
        size = app_wheel.stat().st_size if package.url.endswith(app_wheel.name) else lib.remote_size(package.url)
        rows.append((f"{package.name}=={package.version}", "wheel", size))
    rows += [(f"{p.name}=={p.version}", "host", None) for p in host]
    rows += [(m["id"], "model", int(m["size"])) for m in models]
    for name, kind, size in sorted(rows, key=lambda r: -(r[2] or 0)):
        print(f"{size / 1e6:10.1f} MB  {kind:5}  {name}" if size is not None else f"{'?':>10}     {kind:5}  {name}")
    wheels = sum(s or 0 for _, k, s in rows if k == "wheel")
    model_bytes = sum(s or 0 for _, k, s in rows if k == "model")
    print(json.dumps({"wheels": len(bundled), "wheel_bytes": wheels, "provided_by_host": len(host),
                      "models": len(models), "model_bytes": model_bytes, "total_bytes": wheels + model_bytes,
                      "unknown_sizes": sum(1 for _, k, s in rows if s is None and k != "host")}))
    return 0


def collect_wheels(bundle: Path, bundled: list[Resolved], app_wheel: Path, app_name: str, pip_target: list[str],
                   work: Path) -> list[dict[str, Any]]:
    """Copy the app wheel and download the others into ``bundle/wheelhouse``; hash each and compare
    with the hash the index published, so that a file changed in transit is caught here already."""
    wheelhouse = bundle / "wheelhouse"
    wheelhouse.mkdir()
    shutil.copy2(app_wheel, wheelhouse / app_wheel.name)
    others = [p for p in bundled if p.key != lib.normalize_name(app_name)]
    paths = lib.download(others, wheelhouse, pip_target, work)
    paths[lib.normalize_name(app_name)] = wheelhouse / app_wheel.name
    packages: list[dict[str, Any]] = []
    for package in bundled:
        path = paths[package.key]
        digest = lib.sha256_file(path)
        if package.index_sha256 and package.key != lib.normalize_name(app_name) and digest != package.index_sha256:
            raise BuildHashMismatch(f"{path.name}: sha256 differs from the hash the index published")
        packages.append({"name": package.name, "version": package.version, "sha256": digest,
                         "file": f"wheelhouse/{path.name}", "metadata": package.metadata})
    unexpected = {p.name for p in wheelhouse.iterdir()} - {Path(p["file"]).name for p in packages}
    if unexpected:
        raise BuildError(f"pip download left unexpected files in the wheelhouse: {sorted(unexpected)}")
    return packages


def build(args: argparse.Namespace) -> dict[str, Any]:
    key = lib.load_private_key(args.signing_key) if not args.dry_run else None
    built = build_time()
    counter = args.counter if args.counter is not None else int(built.timestamp())
    platforms = args.platform or [DEFAULT_PLATFORM]
    pip_target = lib.target_args(platforms, args.python_version)
    model_ids = None if args.models is None else [m for m in args.models.split(",") if m]
    models = lib.load_models(args.model_manifest, model_ids)
    with tempfile.TemporaryDirectory(prefix="appliance-bundle-") as tmp:
        work = Path(tmp)
        app_wheel = lib.build_app_wheel(lib.copy_source(ROOT, work / "src"), work / "dist",
                                        build_isolation=not args.no_build_isolation)
        app = lib.wheel_metadata(app_wheel)
        try:
            lib.version_key(app["version"])
        except BundleError as exc:
            raise BuildError(f"application {exc}; the installer could not order it against other versions") from None
        resolved = lib.resolve(app_wheel, args.requirements, pip_target, work)
        bundled, host = lib.partition(resolved, args.skip_wheels.split(","), app["name"])
        if key is None:  # --dry-run
            dry_run(bundled, host, models, app_wheel)
            return {}
        partial = args.out.parent / f".{args.out.name}.partial-{os.getpid()}"
        partial.mkdir(parents=True)
        try:
            manifest = assemble(partial, args, app, app_wheel, bundled, host, models, pip_target, work, built)
            lib.write_signed_manifest(partial, manifest | {"counter": counter}, key)
            self_check(partial, key)
            partial.rename(args.out)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return summarize(args.out, counter)


def assemble(bundle: Path, args: argparse.Namespace, app: dict[str, str], app_wheel: Path, bundled: list[Resolved],
             host: list[Resolved], models: list[dict[str, Any]], pip_target: list[str], work: Path,
             built: datetime) -> dict[str, Any]:
    """Write every file of the bundle except MANIFEST.json and its signature; return the manifest."""
    packages = collect_wheels(bundle, bundled, app_wheel, app["name"], pip_target, work)
    for entry in models:
        lib.fetch_model(entry, args.model_manifest, args.model_cache, args.wheel_cache, bundle / "models")
    shutil.copyfile(args.model_manifest, bundle / "models_manifest.toml")
    for path in lib.installer_files():
        target = bundle / "installer" / path.relative_to(lib.INSTALLER_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    (bundle / "requirements.txt").write_text(lib.requirements_text(packages), encoding="utf-8")
    host_entries = [{"name": p.name, "version": p.version, "sha256": p.index_sha256, "metadata": p.metadata}
                    for p in host]
    app_entry = next(p for p in packages if p["name"] == app["name"])
    sbom = lib.sbom(app_entry, packages, host_entries, models, built.isoformat().replace("+00:00", "Z"))
    (bundle / "sbom.json").write_text(json.dumps(sbom, indent=2) + "\n", encoding="utf-8")
    return {
        "format": lib.FORMAT, "name": app["name"], "version": app["version"],
        "built": built.isoformat().replace("+00:00", "Z"), "python_version": args.python_version,
        "platforms": lib.expand_platforms(args.platform or [DEFAULT_PLATFORM]),
        "app_wheel": f"wheelhouse/{app_wheel.name}", "requirements": "requirements.txt",
        "model_manifest": "models_manifest.toml",
        "packages": [{k: p[k] for k in ("name", "version", "sha256", "file")} for p in packages],
        "provided_by_host": [{k: p[k] for k in ("name", "version", "sha256")} for p in host_entries],
        "models": [{"id": m["id"], "file": f"models/{m['file']}", "sha256": m["sha256"], "size": m["size"]}
                   for m in models],
        "files": lib.file_entries(bundle),
    }


def self_check(bundle: Path, key: Ed25519PrivateKey) -> None:
    """Verify the finished bundle exactly as the installer will, before anyone else sees it."""
    try:
        lib.check_files(bundle, lib.read_verified_manifest(bundle, lib.raw_public_key(key)))
    except BundleError as exc:
        raise BuildError(f"the bundle fails the installer's own check: {exc}") from None


def summarize(bundle: Path, counter: int) -> dict[str, Any]:
    manifest = json.loads((bundle / "MANIFEST.json").read_text(encoding="utf-8"))
    sizes = {"wheelhouse": 0, "models": 0, "other": 0}
    for rel, entry in manifest["files"].items():
        sizes[rel.split("/")[0] if rel.split("/")[0] in sizes else "other"] += entry["size"]
    return {"bundle": str(bundle), "version": manifest["version"], "counter": counter, "key_id": manifest["key_id"],
            "wheels": len(manifest["packages"]), "provided_by_host": [p["name"] for p in manifest["provided_by_host"]],
            "models": [m["id"] for m in manifest["models"]], "bytes": sizes, "total_bytes": sum(sizes.values())}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = build(args)
    except BuildError as exc:
        print(f"build-bundle: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"build-bundle: {exc}", file=sys.stderr)
        return 1
    if result:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
