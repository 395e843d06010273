"""The steps of an install, each small and each leaving nothing behind when it fails.

Everything here runs after the bundle's signature and hashes were checked; each step still re-checks
what it reads from the bundle (``copy_checked``, pip's ``--require-hashes``) because the bundle may sit
on removable media that can change between the first check and its use.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bundle_format import (
    BundleError,
    FileEntry,
    IntegrityFailure,
    Manifest,
    normalize_name,
    public_version,
    sha256_file,
)

HOST_SITE_PTH = "appliance-host-site-packages.pth"


def copy_checked(src: Path, dst: Path, entry: FileEntry, mode: int = 0o644) -> None:
    """Copy ``src`` to ``dst`` and hash the *copy*: what lands on disk is what was signed, even if
    the source changed after the bundle was verified or the copy was damaged on the way."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())
    if dst.stat().st_size != entry.size or sha256_file(dst) != entry.sha256:
        dst.unlink()
        raise IntegrityFailure(f"'{src.name}' changed after the bundle was verified (copy hash mismatch); refused")
    os.chmod(dst, mode)


def clean_env() -> dict[str, str]:
    """The environment for pip and the installed application: no host pip configuration (an index,
    extra find-links or constraints there would change what gets installed), no PYTHON* overrides, no
    appliance settings of the operator's shell (the install must work on its own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "APPLIANCE_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def run(cmd: list[str], what: str, cwd: Path, timeout: float = 3600) -> str:
    """Run a command; on failure raise a one-line ``BundleError`` with the last line it printed."""
    try:
        result = subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BundleError(f"{what} did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        raise BundleError(f"{what} failed: {lines[-1] if lines else f'exit code {result.returncode}'}")
    return result.stdout


def check_python(manifest: Manifest) -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if manifest.python_version != running:
        raise BundleError(f"bundle is for Python {manifest.python_version}, the installer runs on {running}; "
                          f"run it with PYTHON=/path/to/python{manifest.python_version}")


def check_host_packages(manifest: Manifest) -> list[Path]:
    """For a bundle built with ``--skip-wheels`` (test/development mode): every package it does not carry
    must be installed in the installing interpreter at the resolved version. Returns the site-packages
    directories the venv will see after its own (empty list for a complete bundle)."""
    if not manifest.provided_by_host:
        return []
    for package in manifest.provided_by_host:
        try:
            have = importlib.metadata.version(package.name)
        except importlib.metadata.PackageNotFoundError:
            have = None
        # Local labels (+cpu, +cu130) are builds of the same release; the host decides which it has.
        if have is None or public_version(have) != public_version(package.version):
            raise BundleError(f"bundle expects the host Python to provide {package.name}=={package.version} "
                              f"(built with --skip-wheels) but it has {have or 'none'}; use a complete bundle")
    return [Path(p) for p in site.getsitepackages() if Path(p).is_dir()]


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def pip_wheel(manifest: Manifest) -> str:
    """The bundle-relative path of the pip wheel the bundle carries (the builder always includes it)."""
    for package in manifest.packages:
        if normalize_name(package.name) == "pip" and package.file:
            return package.file
    raise BundleError("bundle carries no pip wheel; rebuild it with packaging/build_bundle.py")


def build_venv(venv: Path, bundle: Path, manifest: Manifest, requirements: Path) -> None:
    """Create the venv and install exactly the signed closure into it.

    The venv is made ``--without-pip`` and pip runs from the bundle's own wheel (``python pip.whl/pip``,
    pip's documented bootstrap), copied and re-hashed first: the host needs no pip and no ``ensurepip``,
    and the pip that installs is the one that was signed. ``--no-deps`` because requirements.txt is the
    whole closure resolved for this platform at build time; letting pip resolve again could only add
    something unsigned. ``--require-hashes`` makes pip re-hash every wheel as it reads it, so a wheel
    swapped after verification (removable media) is refused."""
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], "creating the venv", cwd=venv.parent)
    rel = pip_wheel(manifest)
    with tempfile.TemporaryDirectory(dir=venv.parent, prefix=".pip-") as tmp:
        wheel = Path(tmp) / Path(rel).name
        copy_checked(bundle / rel, wheel, manifest.files[rel])
        run([str(venv_python(venv)), f"{wheel}/pip", "install", "--no-index",
             "--find-links", str(bundle / "wheelhouse"), "--require-hashes", "--no-deps", "--only-binary", ":all:",
             "--no-cache-dir", "--no-input", "--quiet", "-r", str(requirements)],
            "pip install from the wheelhouse", cwd=venv.parent)


def add_host_site(venv: Path, host_site: list[Path]) -> None:
    """Test/development mode: let the venv see the host's site-packages *after* its own, for the packages
    a ``--skip-wheels`` bundle leaves out. Called only after pip ran, so that pip never took a host
    package for a bundled one. Plain path lines, not ``site.addsitedir``: the host's own .pth files
    (editable installs of a checkout, for instance) stay out of the appliance."""
    (site_packages(venv) / HOST_SITE_PTH).write_text("".join(f"{p}\n" for p in host_site), encoding="utf-8")


def check_dependencies(venv: Path) -> None:
    """Every installed distribution's requirements are met (``pip check``), host-provided ones included."""
    run([str(venv_python(venv)), "-m", "pip", "check"], "dependency check (pip check)", cwd=venv.parent)


def installed_distributions(venv: Path) -> dict[str, Path]:
    """Normalised name -> ``.dist-info`` directory for everything installed in the venv itself."""
    found: dict[str, Path] = {}
    for info in site_packages(venv).glob("*.dist-info"):
        name = info.name[: -len(".dist-info")].rsplit("-", 1)[0]
        found[normalize_name(name)] = info
    return found


def check_installed_set(venv: Path, manifest: Manifest) -> None:
    """The venv holds the bundled packages and nothing else."""
    have = set(installed_distributions(venv))
    want = {normalize_name(p.name) for p in manifest.packages}
    missing, extra = sorted(want - have), sorted(have - want)
    if missing or extra:
        raise BundleError(f"venv does not match the bundle (missing {missing}, unexpected {extra})")


def install_share(venv: Path, bundle_copy: Path, manifest: Manifest, model_dir: Path) -> None:
    """``<venv>/share/appliance/``: the model manifest the application reads, and a link to the model
    directory so that the CLI and the GUI find the models without APPLIANCE_MODEL_DIR."""
    share = venv / "share" / "appliance"
    share.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundle_copy / manifest.model_manifest, share / "models_manifest.toml")
    os.chmod(share / "models_manifest.toml", 0o644)
    os.symlink(model_dir, share / "models")


def smoke_test(venv: Path, manifest: Manifest) -> None:
    """The installed command starts and reports the bundle's version; run before ``current`` moves."""
    out = run([str(venv / "bin" / "appliance"), "--version"], "'appliance --version'", cwd=venv.parent, timeout=300)
    if manifest.version not in out.split():
        raise BundleError(f"installed 'appliance --version' printed '{out.strip()}', expected {manifest.version}")


@dataclass(frozen=True)
class StagedModel:
    final: Path
    tmp: Path | None  # None: an identical file is already in place

    def commit(self) -> None:
        if self.tmp is not None:
            os.replace(self.tmp, self.final)

    def discard(self) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def stage_models(bundle: Path, manifest: Manifest, model_dir: Path) -> list[StagedModel]:
    """Copy each model beside its destination and verify the copy; ``commit`` renames it into place.

    A file already present with the right hash is kept (models are shared by all installed versions
    and can be gigabytes). Hazard: a model file name is the manifest's ``file``; two versions that ship
    different contents under one name would overwrite each other, so manifests must rename on change."""
    model_dir.mkdir(parents=True, exist_ok=True)
    for stale in model_dir.glob(".*.partial-*"):  # left by an install that was killed; we hold the lock
        stale.unlink()
    staged: list[StagedModel] = []
    try:
        for model in manifest.models:
            final = model_dir / Path(model.file).name
            if final.is_file() and final.stat().st_size == model.size and sha256_file(final) == model.sha256:
                staged.append(StagedModel(final, None))
                continue
            fd, tmp = tempfile.mkstemp(dir=model_dir, prefix=f".{final.name}.partial-")
            os.close(fd)
            staged.append(StagedModel(final, Path(tmp)))
            copy_checked(bundle / model.file, Path(tmp), manifest.files[model.file], mode=0o444)
    except BaseException:
        for item in staged:
            item.discard()
        raise
    return staged
