"""Install (or roll back) the clinical tuning appliance from a signed offline bundle, with no network.

    install.sh BUNDLE_DIR --prefix /opt/appliance --public-key key.pub.pem [--systemd] [--desktop]
               [--model-dir DIR] [--system-root /] [--service-user appliance] [--allow-network CIDR ...]
    install.sh --rollback --prefix /opt/appliance

Upgrades run the installer already installed, ``PREFIX/current/installer/install.sh BUNDLE_DIR ...``; the
copy inside a new bundle is refused on an installed prefix (it is not verified yet), and so is a bundle
signed by another release key than the installed version's unless ``--accept-key-change``.

Order of work; nothing on the host is touched before step 3:
  1. check MANIFEST.json's Ed25519 signature with the public key (``--public-key``, or the key pinned
     below), then every listed file's size and sha256, and that the bundle holds no other file;
  2. refuse a bundle older than the newest one this prefix has installed (anti-rollback);
  3. build ``PREFIX/versions/<version>-<counter>/venv`` with pip from the wheelhouse
     (``--no-index --require-hashes``), copy the models into the model directory and verify them,
     start the installed command once;
  4. commit: write ``installed.json``, switch ``PREFIX/current``, put the optional systemd unit and
     desktop entry in place. The previous version stays on disk for ``--rollback``; older
     ones are removed.

A failure before the commit removes what step 3 made; ``current`` is untouched. Workspaces are never
read or written: a new version migrates a workspace's schema the first time it opens it.

Exit codes: 0 ok; 1 error (pip, disk, permissions, wrong Python, host lacks a package the bundle
expects it to provide); 2 usage; 3 version change refused (bundle older than the installed one, or
--rollback with no previous version); 4 integrity failure (signature, key, hash, unlisted or missing
file). Errors are one line on stderr starting with ``appliance-install:``; success prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script under `python -I`, often from inside the bundle: byte-code caches written there would
# be files the signed manifest does not list, and the next run would refuse the bundle.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import install_steps as steps  # noqa: E402
import install_system_files as system_files  # noqa: E402
from bundle_format import (  # noqa: E402
    EXIT_ERROR,
    BundleError,
    DowngradeRefused,
    IntegrityFailure,
    Manifest,
    UsageFailure,
    check_files,
    key_id,
    public_key_from_pem,
    read_verified_manifest,
)
from install_state import InstalledVersion, State, locked, switch_current  # noqa: E402

# A site may pin its release key here (the PEM text of key.pub.pem) in its trusted copy of this file;
# then --public-key becomes optional, and a different key given on the command line is refused.
PINNED_PUBLIC_KEY_PEM = ""

PREFIX_ENTRIES = frozenset({"installed.json", "current", "versions", "models", ".lock"})


@dataclass(frozen=True)
class Options:
    bundle: Path
    prefix: Path
    public_key: Path | None
    model_dir: Path
    systemd: bool
    desktop: bool
    system_root: Path
    service_user: str
    env_file: Path
    allow_networks: tuple[str, ...] = ()
    accept_key_change: bool = False


def load_public_key(path: Path | None) -> bytes:
    pinned = public_key_from_pem(PINNED_PUBLIC_KEY_PEM) if PINNED_PUBLIC_KEY_PEM.strip() else None
    if path is None:
        if pinned is None:
            raise UsageFailure("--public-key is required (no key is pinned in install.py)")
        return pinned
    try:
        given = public_key_from_pem(path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageFailure(f"cannot read public key {path}: {exc}") from None
    if pinned is not None and given != pinned:
        raise IntegrityFailure(f"public key {path} (key {key_id(given)}) is not the key pinned in install.py "
                               f"(key {key_id(pinned)}); refused")
    return given


def check_prefix(prefix: Path) -> None:
    """A prefix is a directory of its own: refuse e.g. ``--prefix /opt`` before writing into it."""
    if prefix.exists() and not (prefix / "installed.json").exists():
        foreign = sorted(e.name for e in prefix.iterdir()
                         if e.name not in PREFIX_ENTRIES and not e.name.startswith("."))
        if foreign:
            raise UsageFailure(f"prefix {prefix} holds other files ({foreign[0]}, ...); give a dedicated directory")


def check_trusted_installer(prefix: Path) -> None:
    """An installed prefix is upgraded only by the installer it already holds.

    The installer inside a new bundle is code from a bundle nobody has verified yet; running it as root
    to check its own bundle would trust it before the check. Once a prefix is installed, its own copy
    (``PREFIX/current/installer/install.sh BUNDLE``), verified when it was installed, checks the new one.
    A first install has no such copy: the README shows how to check the signature with openssl first.
    """
    if not (prefix / "installed.json").exists():
        return
    here = Path(__file__).resolve()
    if not here.is_relative_to((prefix / "versions").resolve()):
        raise UsageFailure(f"{prefix} is already installed: upgrade it with its own installer, "
                           f"{prefix}/current/installer/install.sh BUNDLE --prefix {prefix} ..., "
                           "not with the one inside the new bundle")


def check_same_release_key(prefix: Path, manifest: Manifest, accept_key_change: bool) -> None:
    """A prefix keeps the release key it was installed with, unless the operator says otherwise."""
    state = State.load(prefix)
    current = state.versions.get(state.current or "")
    if current is not None and current.key_id != manifest.key_id and not accept_key_change:
        raise IntegrityFailure(f"the bundle is signed by key {manifest.key_id}, {prefix} was installed from key "
                               f"{current.key_id}; refused (--accept-key-change after checking the new key "
                               "out of band)")


def verify_bundle(opts: Options) -> Manifest:
    """Steps 1 and 2, read-only. Returns the verified manifest."""
    check_trusted_installer(opts.prefix)
    raw_key = load_public_key(opts.public_key)
    if not opts.bundle.is_dir():
        raise UsageFailure(f"bundle directory {opts.bundle} does not exist")
    manifest = read_verified_manifest(opts.bundle, raw_key)
    check_files(opts.bundle, manifest)
    steps.check_python(manifest)
    check_prefix(opts.prefix)
    check_same_release_key(opts.prefix, manifest, opts.accept_key_change)
    State.load(opts.prefix).check_not_older(manifest)
    return manifest


def install(opts: Options) -> dict[str, Any]:
    manifest = verify_bundle(opts)
    host_site = steps.check_host_packages(manifest)
    with locked(opts.prefix):
        state = State.load(opts.prefix)
        existing = state.check_not_older(manifest)  # again, under the lock
        if existing is not None:
            return activate_existing(opts.prefix, state, existing)
        return install_new(opts, manifest, state, host_site)


def install_new(opts: Options, manifest: Manifest, state: State, host_site: list[Path]) -> dict[str, Any]:
    prefix, install_id = opts.prefix, manifest.install_id
    vdir = prefix / "versions" / install_id
    if vdir.exists():  # not in the state (checked above), so the leftover of an interrupted install
        if (prefix / "current").resolve() == vdir.resolve():
            raise BundleError(f"{vdir} is current but not recorded in installed.json; restore it from backup")
        shutil.rmtree(vdir)
    vdir.mkdir(parents=True)
    staged_models: list[steps.StagedModel] = []
    staged_files: list[system_files.StagedFile] = []
    committed = False
    try:
        save_bundle_record(opts.bundle, manifest, vdir)
        venv = vdir / "venv"
        steps.build_venv(venv, opts.bundle, manifest, vdir / "bundle" / manifest.requirements)
        steps.check_installed_set(venv, manifest)
        if host_site:
            steps.add_host_site(venv, host_site)
        steps.check_dependencies(venv)
        steps.install_share(venv, vdir / "bundle", manifest, opts.model_dir)
        steps.smoke_test(venv, manifest)
        staged_models = steps.stage_models(opts.bundle, manifest, opts.model_dir)
        staged_files = stage_system_files(opts)
        for model in staged_models:
            model.commit()
        pruned = commit_state(opts, manifest, state)
        committed = True
    except BaseException:
        for staged_file in staged_files:
            staged_file.discard()
        for staged_model in staged_models:
            staged_model.discard()
        if not committed:
            shutil.rmtree(vdir, ignore_errors=True)
        raise
    # After the commit point nothing may fail the install: what is left becomes a warning.
    warnings = []
    for item in staged_files:
        try:
            item.commit()
        except OSError as exc:
            item.discard()
            warnings.append(f"could not write {item.final}: {exc.strerror or exc}; re-run to write it")
    for old in pruned:
        shutil.rmtree(prefix / "versions" / old, ignore_errors=True)
    return summary(opts, manifest, state, [f for f in staged_files if f.final.exists()], pruned, warnings)


def save_bundle_record(bundle: Path, manifest: Manifest, vdir: Path) -> None:
    """Keep the signed manifest and the small bundle files with the version (``verify.sh`` re-checks
    against them) and a copy of the installer (so ``--rollback`` and ``verify.sh`` are on the host)."""
    record = vdir / "bundle"
    record.mkdir()
    (record / "MANIFEST.json").write_bytes(manifest.raw)
    (record / "MANIFEST.json.sig").write_bytes(manifest.signature)
    for rel, entry in manifest.files.items():
        if rel.startswith("installer/"):
            steps.copy_checked(bundle / rel, vdir / rel, entry, mode=0o755 if rel.endswith(".sh") else 0o644)
        elif "/" not in rel:  # requirements.txt, sbom.json, models_manifest.toml
            steps.copy_checked(bundle / rel, record / rel, entry)


def stage_system_files(opts: Options) -> list[system_files.StagedFile]:
    staged: list[system_files.StagedFile] = []
    try:
        if opts.systemd:
            staged.append(system_files.stage_unit(opts.system_root, opts.prefix, opts.model_dir,
                                                  opts.service_user, opts.env_file, opts.allow_networks))
        if opts.desktop:
            staged.append(system_files.stage_desktop(opts.system_root, opts.prefix))
    except BaseException:
        for item in staged:
            item.discard()
        raise
    return staged


def commit_state(opts: Options, manifest: Manifest, state: State) -> list[str]:
    """The commit point: state first, then the symlink. A crash in between leaves a state naming a
    complete version that ``current`` does not point at yet; ``verify.sh`` reports it and re-running
    the install (same bundle) re-activates it. Returns the versions to delete afterwards."""
    install_id = manifest.install_id
    state.versions[install_id] = InstalledVersion(
        version=manifest.version, counter=manifest.counter, manifest_sha256=manifest.digest,
        key_id=manifest.key_id, installed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        model_dir=str(opts.model_dir))
    if state.current and state.current != install_id:
        state.previous = state.current
    state.current = install_id
    state.raise_high_water(manifest)
    pruned = sorted(v for v in state.versions if v not in (state.current, state.previous))
    for old in pruned:
        del state.versions[old]
    state.save(opts.prefix)
    switch_current(opts.prefix, install_id)
    return pruned


def activate_existing(prefix: Path, state: State, install_id: str) -> dict[str, Any]:
    """The same signed bundle again: make it current if it is not (nothing is rebuilt)."""
    changed = state.current != install_id
    if changed:
        require_version_dir(prefix, install_id)
        state.previous, state.current = state.current, install_id
        state.save(prefix)
    if os.path.realpath(prefix / "current") != str(prefix / "versions" / install_id):
        switch_current(prefix, install_id)  # also repairs a link left behind by a crash after the state write
    return {"action": "already-installed", "current": install_id, "previous": state.previous, "changed": changed,
            "prefix": str(prefix)}


def require_version_dir(prefix: Path, install_id: str) -> None:
    if not (prefix / "versions" / install_id / "venv" / "bin" / "appliance").exists():
        raise BundleError(f"version {install_id} is recorded but its files are gone; reinstall its bundle")


def rollback(prefix: Path) -> dict[str, Any]:
    """Switch ``current`` back to the previous version (and ``previous`` to what was current, so a
    second rollback undoes the first). The anti-rollback high-water mark is not lowered."""
    if not (prefix / "installed.json").exists():
        raise BundleError(f"nothing is installed in {prefix}")
    with locked(prefix):
        state = State.load(prefix)
        if not state.previous or state.previous not in state.versions:
            raise DowngradeRefused(f"no previous version in {prefix} to roll back to")
        require_version_dir(prefix, state.previous)
        state.current, state.previous = state.previous, state.current
        state.save(prefix)
        switch_current(prefix, state.current or "")
    return {"action": "rollback", "current": state.current, "previous": state.previous, "prefix": str(prefix),
            "next_steps": ["systemctl restart appliance-serve (if the service is installed)"]}


def summary(opts: Options, manifest: Manifest, state: State, staged_files: list[system_files.StagedFile],
            pruned: list[str], warnings: list[str]) -> dict[str, Any]:
    venv = opts.prefix / "versions" / manifest.install_id / "venv"
    next_steps = [f"{opts.prefix}/current/installer/verify.sh {opts.prefix}   # re-check at any time"]
    if opts.systemd:
        next_steps.insert(0, "systemctl daemon-reload && systemctl enable appliance-serve && "
                             "systemctl restart appliance-serve")
        try:
            pwd.getpwnam(opts.service_user)
        except KeyError:
            warnings.append(f"service user '{opts.service_user}' does not exist; create it (useradd --system "
                            f"{opts.service_user}) before starting the service")
    if manifest.provided_by_host:
        warnings.append("test/development bundle: some packages come from the host Python's site-packages")
    return {
        "action": "installed", "version": manifest.version, "counter": manifest.counter,
        "current": state.current, "previous": state.previous, "prefix": str(opts.prefix), "venv": str(venv),
        "key_id": manifest.key_id, "manifest_sha256": manifest.digest,
        "packages": len(manifest.packages),
        "provided_by_host": [f"{p.name}=={p.version}" for p in manifest.provided_by_host],
        "models": [{"id": m.id, "path": str(opts.model_dir / Path(m.file).name), "sha256": m.sha256}
                   for m in manifest.models],
        "system_files": [str(f.final) for f in staged_files], "pruned": pruned,
        "next_steps": next_steps, "warnings": warnings,
    }


def parse_args(argv: list[str] | None) -> tuple[bool, Options]:
    parser = argparse.ArgumentParser(prog="install.sh", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, nargs="?", help="the bundle directory (not with --rollback)")
    parser.add_argument("--prefix", type=Path, required=True, help="installation prefix, e.g. /opt/appliance")
    parser.add_argument("--public-key", type=Path, help="the release public key (PEM) obtained out of band")
    parser.add_argument("--rollback", action="store_true", help="switch back to the previous installed version")
    parser.add_argument("--model-dir", type=Path, help="where models go (default PREFIX/models)")
    parser.add_argument("--systemd", action="store_true", help="write the appliance-serve systemd unit")
    parser.add_argument("--desktop", action="store_true", help="write the desktop entry for the GUI")
    parser.add_argument("--system-root", type=Path, default=Path("/"),
                        help="root under which the unit and desktop entry are written (default /)")
    parser.add_argument("--service-user", default="appliance", help="user the service runs as (default appliance)")
    parser.add_argument("--env-file", type=Path, default=Path("/etc/appliance/serve.env"),
                        help="EnvironmentFile of the unit (default /etc/appliance/serve.env)")
    parser.add_argument("--allow-network", action="append", default=[], metavar="CIDR",
                        help="besides loopback, the only addresses the service may exchange packets with "
                             "(systemd IPAddressAllow): its listen address and the EHR clients' network; repeatable")
    parser.add_argument("--accept-key-change", action="store_true",
                        help="install a bundle signed by a different release key than the installed version's")
    args = parser.parse_args(argv)
    if args.rollback == (args.bundle is not None):
        parser.error("give either BUNDLE_DIR or --rollback")
    prefix = system_files.plain_path(Path(os.path.abspath(args.prefix)), "prefix")
    model_dir = system_files.plain_path(Path(os.path.abspath(args.model_dir or prefix / "models")), "model directory")
    if model_dir.is_relative_to(prefix / "versions"):
        raise UsageFailure("the model directory must not be inside PREFIX/versions (versions are removed)")
    opts = Options(bundle=Path(os.path.abspath(args.bundle or ".")), prefix=prefix, public_key=args.public_key,
                   model_dir=model_dir, systemd=args.systemd, desktop=args.desktop,
                   system_root=Path(os.path.abspath(args.system_root)),
                   service_user=system_files.service_user(args.service_user),
                   env_file=system_files.plain_path(Path(os.path.abspath(args.env_file)), "env file"),
                   allow_networks=tuple(system_files.allowed_network(n) for n in args.allow_network),
                   accept_key_change=args.accept_key_change)
    return args.rollback, opts


def main(argv: list[str] | None = None) -> int:
    # The service account must be able to read what root installs, whatever the operator's umask is.
    os.umask(0o022)
    try:
        is_rollback, opts = parse_args(argv)
        result = rollback(opts.prefix) if is_rollback else install(opts)
    except BundleError as exc:
        print(f"appliance-install: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"appliance-install: {exc.strerror or exc}{where}; nothing was switched", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("appliance-install: interrupted; nothing was switched", file=sys.stderr)
        return 130
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
