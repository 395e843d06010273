"""Private 0700 scratch directories for plaintext that must briefly exist (a checkpoint being written,
a model being unpacked), under ``<workspace>/scratch``, and the owner locks that let any process clear
the scratch of a process that died.

Each directory ``scratch/<token>`` has an owner lock ``scratch/<token>.lock`` that its process holds
(flock) for as long as the directory is in use: the kernel drops the lock when the process dies, so
``sweep`` can tell a dead owner's directory from a live one's. ``Workspace.scratch`` is the front door.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


def try_lock(fd: int, mode: int) -> bool:
    """``flock(fd, mode)`` without waiting; False when another process holds a conflicting lock."""
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def directory(root: Path) -> Iterator[Path]:
    """A fresh 0700 directory under ``root``, removed on every exit path of the block."""
    root.mkdir(mode=0o700, exist_ok=True)
    token = secrets.token_hex(8)
    lock_fd = _hold_owner_lock(root, token)
    path = root / token
    try:
        path.mkdir(mode=0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        (root / f"{token}.lock").unlink(missing_ok=True)
        os.close(lock_fd)


def sweep(root: Path) -> int:
    """Remove the directories under ``root`` whose owning process is gone; returns how many. Safe while
    other processes use theirs (their owner locks are held)."""
    removed = 0
    for lock in sorted(root.glob("*.lock")) if root.is_dir() else []:
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            continue  # its owner just finished
        try:
            if try_lock(fd, fcntl.LOCK_EX):
                shutil.rmtree(root / lock.name.removesuffix(".lock"), ignore_errors=True)
                lock.unlink(missing_ok=True)
                removed += 1
        finally:
            os.close(fd)
    for tmp in root.glob(".*.lock.tmp") if root.is_dir() else []:
        # A process killed between creating its lock and naming it; give a live one a minute.
        try:
            if datetime.now(UTC).timestamp() - tmp.stat().st_mtime > 60:
                tmp.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
    return removed


def clear(root: Path) -> None:
    """Remove everything under ``root`` (or make it): only while no other process has the workspace open."""
    if root.exists():
        for entry in root.iterdir():
            shutil.rmtree(entry, ignore_errors=True)
    else:
        root.mkdir(mode=0o700)


def _hold_owner_lock(root: Path, token: str) -> int:
    """Create ``root/<token>.lock`` already locked by this process (made under a temporary name and
    renamed, so a sweeper never sees it unlocked) and return its descriptor."""
    tmp = root / f".{token}.lock.tmp"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(tmp, root / f"{token}.lock")
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return fd
