"""Build-side parts of the offline bundle: the application wheel, the dependency closure for the target
platform, the models, requirements.txt with hashes, the SBOM and the signature.

Runs on a connected build machine; ``build_bundle.py`` composes these parts. The bundle format
itself (names, hashing, parsing, the checks the installer makes) lives in ``installer/bundle_format.py``
so that building and installing can never disagree about it.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
INSTALLER_DIR = ROOT / "installer"
sys.path.insert(0, str(INSTALLER_DIR))

from bundle_format import (  # noqa: E402  (the installer's format module; re-exported for build_bundle.py)
    FORMAT,
    BundleError,
    check_files,
    key_id,
    normalize_name,
    read_verified_manifest,
    sha256_file,
    version_key,
)

__all__ = ["FORMAT", "BundleError", "check_files", "key_id", "normalize_name", "read_verified_manifest",
           "sha256_file", "version_key"]

# An unpinned torch resolves to a multi-GB CUDA build on most indexes; the project is tested on this one.
TORCH_PIN = "torch==2.13.0"
# Never copied into a source snapshot: caches, environments, build output, version control.
SOURCE_IGNORE = (".git", ".venv", ".cache", "__pycache__", "*.egg-info", "build", "dist", ".mypy_cache",
                 ".ruff_cache", ".pytest_cache", "*.pyc")


class BuildError(Exception):
    """A build failure with a one-line message; ``exit_code`` 1, or 4 for a hash mismatch."""

    exit_code = 1


class BuildHashMismatch(BuildError):
    exit_code = 4


@dataclass(frozen=True)
class Resolved:
    """One distribution of the closure as pip resolved it for the target platform."""

    name: str
    version: str
    url: str
    index_sha256: str  # the hash the index published ("" if it published none)
    metadata: dict[str, Any]

    @property
    def key(self) -> str:
        return normalize_name(self.name)


def run(cmd: list[str], what: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [ln for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR")] or lines[-1:]
        raise BuildError(f"{what} failed: {' / '.join(errors[:3]) or f'exit code {result.returncode}'}")
    return result


def expand_platforms(platforms: list[str]) -> list[str]:
    """pip takes ``--platform`` tags literally, so ``manylinux_2_34_x86_64`` alone would reject a
    ``manylinux_2_17`` wheel that runs fine on that system. Expand each ``manylinux_2_Y`` tag to every
    older glibc level and its legacy alias (PEP 600), as an installer on the target would accept."""
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    expanded: list[str] = []
    for tag in platforms:
        parts = tag.split("_", 3)
        if len(parts) == 4 and parts[0] == "manylinux" and parts[1] == "2" and parts[2].isdigit():
            arch = parts[3]
            for minor in range(int(parts[2]), 4, -1):
                expanded.append(f"manylinux_2_{minor}_{arch}")
                if minor in legacy:
                    expanded.append(f"{legacy[minor]}_{arch}")
        else:
            expanded.append(tag)
    return list(dict.fromkeys(expanded))


def target_args(platforms: list[str], python_version: str) -> list[str]:
    """pip options that resolve for the target, not the build machine. Hazard: pip still evaluates
    environment markers (``sys_platform``, ``platform_machine``) on the build machine, so build on the
    target's OS and architecture."""
    args = ["--only-binary", ":all:", "--python-version", python_version, "--implementation", "cp",
            "--abi", f"cp{python_version.replace('.', '')}"]
    for platform in expand_platforms(platforms):
        args += ["--platform", platform]
    return args


def copy_source(root: Path, dest: Path) -> Path:
    """Snapshot the project so the wheel build writes nothing (build/, egg-info) into the checkout."""
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns(*SOURCE_IGNORE), symlinks=True)
    return dest


def build_app_wheel(source: Path, out_dir: Path, build_isolation: bool) -> Path:
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out_dir), str(source)]
    if not build_isolation:
        cmd.insert(4, "--no-build-isolation")
    run(cmd, "building the application wheel")
    wheels = sorted(out_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one application wheel in {out_dir}, found {len(wheels)}")
    return wheels[0]


def wheel_metadata(wheel: Path) -> dict[str, str]:
    """Name and Version from a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        headers = HeaderParser().parsestr(zf.read(meta_name).decode("utf-8"))
    return {"name": headers["Name"], "version": headers["Version"]}


def resolve(app_wheel: Path, lock: Path, pip_target: list[str], workdir: Path) -> list[Resolved]:
    """The full closure of the application wheel for the target, constrained by requirements.lock and
    the torch pin, without installing anything (``pip install --dry-run --report``).

    pip itself is part of the closure: the installer runs it from its (verified) wheel, so the target
    needs neither a pip nor ``ensurepip`` (which some distributions package separately)."""
    pins = workdir / "pins.txt"
    pins.write_text(TORCH_PIN + "\n", encoding="utf-8")
    report = workdir / "resolve-report.json"
    run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report",
         str(report), *pip_target, "-c", str(lock), "-c", str(pins), str(app_wheel), "pip"],
        "resolving the dependencies")
    resolved = []
    for item in json.loads(report.read_text(encoding="utf-8"))["install"]:
        info = item["download_info"]
        resolved.append(Resolved(item["metadata"]["name"], item["metadata"]["version"], info["url"],
                                 info.get("archive_info", {}).get("hashes", {}).get("sha256", ""), item["metadata"]))
    return sorted(resolved, key=lambda r: r.key)


def partition(resolved: list[Resolved], skip_patterns: list[str], app_name: str) -> tuple[list[Resolved],
                                                                                         list[Resolved]]:
    """Split into (bundled, provided_by_host) by ``--skip-wheels`` patterns on normalised names."""
    patterns = [normalize_name(p.strip()) for p in skip_patterns if p.strip()]
    skipped = [r for r in resolved if any(fnmatch.fnmatchcase(r.key, p) for p in patterns)]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(r.key, pattern) for r in resolved):
            print(f"build-bundle: note: --skip-wheels pattern '{pattern}' matches no package", file=sys.stderr)
    if any(r.key in (normalize_name(app_name), "pip") for r in skipped):
        raise BuildError("--skip-wheels must not match the application itself or pip (the installer runs it)")
    return [r for r in resolved if r not in skipped], skipped


def wheel_key(filename: str) -> tuple[str, str]:
    """(normalised name, version) from a wheel file name (PEP 427)."""
    name, version = filename.split("-")[:2]
    return normalize_name(name), version.lower()


def download(packages: list[Resolved], dest: Path, pip_target: list[str], workdir: Path) -> dict[str, Path]:
    """Download exactly the resolved files (one ``pip download --no-deps``; with the index's hashes when it
    published them, so the file is the one resolved). Returns normalised name -> wheel path."""
    if not packages:
        return {}
    with_hashes = all(p.index_sha256 for p in packages)
    lines = [f"{p.name}=={p.version}" + (f" --hash=sha256:{p.index_sha256}" if with_hashes else "") for p in packages]
    requirements = workdir / "download-requirements.txt"
    requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", *pip_target, "-d", str(dest),
           "-r", str(requirements)]
    run(cmd + (["--require-hashes"] if with_hashes else []), "downloading the wheels")
    found = {wheel_key(w.name): w for w in dest.glob("*.whl")}
    paths: dict[str, Path] = {}
    for package in packages:
        wheel = found.get((package.key, package.version.lower()))
        if wheel is None:
            raise BuildError(f"pip download produced no wheel for {package.name}=={package.version}")
        paths[package.key] = wheel
    return paths


def remote_size(url: str) -> int | None:
    """Size of a resolved file without downloading it (local path, or an HTTP HEAD request)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        path = Path(urllib.parse.unquote(parsed.path))
        return path.stat().st_size if path.exists() else None
    if parsed.scheme != "https":
        return None
    request = urllib.request.Request(url, method="HEAD")  # noqa: S310  (https only, checked above)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            length = response.headers.get("Content-Length")
    except OSError:
        return None
    return int(length) if length else None


def load_models(manifest_path: Path, ids: list[str] | None) -> list[dict[str, Any]]:
    entries = {m["id"]: m for m in tomllib.loads(manifest_path.read_text(encoding="utf-8"))["models"]}
    chosen = list(entries) if ids is None else ids
    unknown = [i for i in chosen if i not in entries]
    if unknown:
        raise BuildError(f"unknown model '{unknown[0]}'; known: {', '.join(sorted(entries))}")
    for model_id in chosen:
        if entries[model_id]["format"] != "gguf":
            raise BuildError(f"model '{model_id}' is a {entries[model_id]['format']}; only single-file models "
                             "can be bundled")
    return [entries[i] for i in chosen]


def fetch_model(entry: dict[str, Any], manifest_path: Path, cache: Path, wheel_cache: Path, dest: Path) -> Path:
    """Get the model with ``packaging/fetch_model.py`` (download + both hashes, idempotent, cached),
    then copy it into the bundle and hash the copy."""
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "fetch_model.py"), "--id", entry["id"],
                             "--dest", str(cache), "--wheels", str(wheel_cache), "--manifest", str(manifest_path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        error = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
        raise (BuildHashMismatch if result.returncode == 4 else BuildError)(f"fetching model {entry['id']}: {error}")
    target: Path = dest / str(entry["file"])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cache / entry["file"], target)
    if sha256_file(target) != entry["sha256"]:
        raise BuildHashMismatch(f"model {entry['id']}: the copy in the bundle does not match the manifest")
    return target


def installer_files() -> list[Path]:
    """The installer, shipped inside the bundle (byte-code caches left out)."""
    return sorted(p for p in INSTALLER_DIR.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def requirements_text(packages: list[dict[str, Any]]) -> str:
    """One ``name==version --hash=sha256:...`` line per bundled wheel: the whole closure, installed with
    ``pip install --no-deps --require-hashes`` so that nothing outside it can be pulled in."""
    lines = ["# The complete dependency closure for the target, resolved at build time.",
             "# pip install --no-index --find-links wheelhouse --require-hashes --no-deps -r requirements.txt"]
    lines += [f"{p['name']}=={p['version']} --hash=sha256:{p['sha256']}" for p in packages]
    return "\n".join(lines) + "\n"


def purl(name: str, version: str) -> str:
    return f"pkg:pypi/{normalize_name(name)}@{urllib.parse.quote(version, safe='')}"


def _licenses(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    if metadata.get("license_expression"):
        return [{"expression": metadata["license_expression"]}]
    text = (metadata.get("license") or "").strip()
    # Some projects paste the whole license text into this field; only a short name is useful here.
    if text and len(text) <= 80 and "\n" not in text:
        return [{"license": {"name": text}}]
    return []


def sbom(app: dict[str, Any], packages: list[dict[str, Any]], host: list[dict[str, Any]],
         models: list[dict[str, Any]], built: str) -> dict[str, Any]:
    """A CycloneDX 1.5 document: the application as the subject, every distribution of the closure
    (bundled, or provided by the host in a test/development bundle) and every model as components."""
    def component(p: dict[str, Any], **extra: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "library", "bom-ref": purl(p["name"], p["version"]), "name": p["name"],
                                 "version": p["version"], "purl": purl(p["name"], p["version"])}
        if p.get("sha256"):
            entry["hashes"] = [{"alg": "SHA-256", "content": p["sha256"]}]
        if _licenses(p.get("metadata", {})):
            entry["licenses"] = _licenses(p["metadata"])
        return entry | extra

    components = [component(p, properties=[{"name": "appliance:file", "value": p["file"]}])
                  for p in packages if p["name"] != app["name"]]
    components += [component(p, properties=[{"name": "appliance:provided_by_host", "value": "true"}]) for p in host]
    components += [{"type": "machine-learning-model", "bom-ref": f"model:{m['id']}", "name": m["id"],
                    "hashes": [{"alg": "SHA-256", "content": m["sha256"]}],
                    "licenses": [{"license": {"id": m["license"]}}],
                    "properties": [{"name": "appliance:file", "value": f"models/{m['file']}"},
                                   {"name": "appliance:source", "value": m.get("source", "")}]} for m in models]
    subject = component(app, type="application")
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": f"urn:uuid:{uuid.uuid4()}",
            "version": 1, "metadata": {"timestamp": built, "component": subject,
                                       "tools": {"components": [{"type": "application", "name": "build_bundle.py"}]}},
            "components": components}


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise BuildError(f"cannot load signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BuildError(f"{path} is not an Ed25519 private key; make one with packaging/keygen.py")
    return key


def raw_public_key(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The exact bytes that get signed; the installer hashes and verifies these bytes, never a re-encoding."""
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_signed_manifest(bundle: Path, manifest: dict[str, Any], key: Ed25519PrivateKey) -> None:
    """Write MANIFEST.json and its detached signature (raw 64 bytes). Replaces, never rewrites in place,
    so a bundle cloned with hard links is not changed through the link."""
    manifest = manifest | {"key_id": key_id(raw_public_key(key))}
    raw = manifest_bytes(manifest)
    for name, data in (("MANIFEST.json", raw), ("MANIFEST.json.sig", key.sign(raw))):
        fd, tmp = tempfile.mkstemp(dir=bundle, prefix=f".{name}.")
        with open(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(bundle / name)


def file_entries(bundle: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file in the bundle except the manifest and its signature."""
    entries = {}
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle).as_posix()
        if rel not in ("MANIFEST.json", "MANIFEST.json.sig"):
            entries[rel] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return entries
