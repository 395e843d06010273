"""What a prefix has installed: ``PREFIX/installed.json``, the ``current`` symlink and the install lock.

Layout of a prefix::

    PREFIX/installed.json            this state (written atomically)
    PREFIX/current -> versions/<id>  the active version; switched with one rename
    PREFIX/versions/<version>-<counter>/venv, bundle/, installer/
    PREFIX/models/                   default model directory, shared by all versions
    PREFIX/.lock                     held (flock) while installing or rolling back

The commit point of an install or a rollback is the rename that switches ``current`` followed by the
rename that replaces ``installed.json``. A version directory that is on disk but not in the state is
the leftover of an interrupted install and is removed by the next install of that version.

``high_water`` is the newest (version, counter) ever installed here. It never goes down, not even on
``--rollback``, so a replayed older bundle stays refused after the operator has rolled back.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bundle_format import BundleError, DowngradeRefused, Manifest, version_key

STATE_NAME = "installed.json"
STATE_FORMAT = 1


@dataclass
class InstalledVersion:
    version: str
    counter: int
    manifest_sha256: str
    key_id: str
    installed_at: str
    model_dir: str


@dataclass
class State:
    current: str | None = None
    previous: str | None = None
    high_water: dict[str, Any] | None = None  # {"version": ..., "counter": ...}
    versions: dict[str, InstalledVersion] = field(default_factory=dict)

    @classmethod
    def load(cls, prefix: Path) -> State:
        path = prefix / STATE_NAME
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != STATE_FORMAT:
                raise ValueError(f"format {data.get('format')}")
            versions = {k: InstalledVersion(**v) for k, v in data["versions"].items()}
            return cls(data["current"], data["previous"], data["high_water"], versions)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BundleError(f"{path} is unreadable ({exc}); restore it from backup before installing") from None

    def save(self, prefix: Path) -> None:
        data = {"format": STATE_FORMAT, "current": self.current, "previous": self.previous,
                "high_water": self.high_water, "versions": {k: asdict(v) for k, v in self.versions.items()}}
        atomic_write(prefix / STATE_NAME, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode(), 0o644)

    def check_not_older(self, manifest: Manifest) -> str | None:
        """Return the id of an identical installed bundle (re-activation, not a new install), None for a
        bundle newer than everything installed here, or raise ``DowngradeRefused``.

        A new bundle needs a counter strictly above the high-water counter and a version not below the
        high-water version: the counter alone is the signed anti-rollback value, the version check
        catches a build that reused an old counter by mistake."""
        for install_id, installed in self.versions.items():
            if installed.manifest_sha256 == manifest.digest:
                return install_id
        if not self.high_water:
            return None
        hw_version, hw_counter = self.high_water["version"], int(self.high_water["counter"])
        if manifest.counter <= hw_counter:
            same = " (a different bundle with the same counter is installed)" if manifest.counter == hw_counter else ""
            raise DowngradeRefused(
                f"bundle {manifest.version} counter {manifest.counter} is not newer than installed "
                f"{hw_version} counter {hw_counter}{same}; refused (use --rollback to go back to the previous version)")
        if version_key(manifest.version) < version_key(hw_version):
            raise DowngradeRefused(f"bundle version {manifest.version} is older than installed {hw_version}; refused")
        return None

    def raise_high_water(self, manifest: Manifest) -> None:
        if not self.high_water or manifest.counter > int(self.high_water["counter"]):
            self.high_water = {"version": manifest.version, "counter": manifest.counter}


def atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over ``path``: a reader sees
    the old or the new content, never a torn file, even across a power cut."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_current(prefix: Path, install_id: str) -> None:
    """Point ``PREFIX/current`` at ``versions/<install_id>`` with one atomic rename (relative link, so
    the prefix can be inspected from a rescue system mounted elsewhere)."""
    tmp = prefix / f".current.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(f"versions/{install_id}", tmp)
    os.replace(tmp, prefix / "current")
    fsync_dir(prefix)


@contextmanager
def locked(prefix: Path) -> Iterator[None]:
    """Hold an exclusive lock on the prefix; a second installer fails at once instead of waiting."""
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BundleError(f"another install or rollback is running on {prefix}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
