"""Fixtures for the offline bundle and installer tests; the helpers they use are in bundle_testlib.py.

One small bundle is built per test run and installed once with no network (``unshare -n``).
No ``__init__.py`` here: a package named ``packaging`` under tests/ would shadow the PyPI module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bundle_testlib import (
    BASE_COUNTER,
    DEFAULT_MODEL_FILE,
    REPO,
    TEST_SKIP_WHEELS,
    clone,
    install,
    resign,
    unshare_available,
)


@pytest.fixture(scope="session")
def netns() -> None:
    reason = unshare_available()
    if reason:
        pytest.skip(f"installs are tested without network via 'unshare -n': {reason}")


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("keys")
    for name in ("release", "other"):
        subprocess.run([sys.executable, str(REPO / "packaging" / "keygen.py"), "--out", str(out / name)],
                       check=True, capture_output=True)
    return {"private": out / "release" / "key.pem", "public": out / "release" / "key.pub.pem",
            "other_public": out / "other" / "key.pub.pem"}


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Path:
    """The test bundle, built once: app wheel, ~30 light wheels, the default model, signed, counter 10."""
    if not DEFAULT_MODEL_FILE.exists():
        pytest.fail(f"{DEFAULT_MODEL_FILE} missing: run 'make model' (make test does it)")
    out = tmp_path_factory.mktemp("bundles") / "bundle"
    result = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "build_bundle.py"), "--out", str(out),
         "--signing-key", str(keys["private"]), "--counter", str(BASE_COUNTER), "--no-build-isolation",
         "--models", "smollm2-135m-instruct", "--skip-wheels", TEST_SKIP_WHEELS],
        capture_output=True, text=True, timeout=1200,
        env={**os.environ, "APPLIANCE_BUILD_TOOL": "1"})  # a connected build step, outside the offline guard
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def variant(bundle: Path, keys: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """``variant(counter)``: the test bundle validly re-signed with another anti-rollback counter."""
    made: dict[int, Path] = {}

    def make(counter: int) -> Path:
        if counter not in made:
            made[counter] = clone(bundle, tmp_path_factory.mktemp("variants") / f"bundle-{counter}")
            resign(made[counter], keys["private"], lambda m: m.update(counter=counter))
        return made[counter]

    return make


@pytest.fixture(scope="session")
def installed(bundle: Path, keys: dict[str, Path], netns: None,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The test bundle installed once into a fresh prefix, with the unit and desktop entry redirected."""
    root = tmp_path_factory.mktemp("installed")
    prefix, system_root = root / "opt" / "appliance", root / "sysroot"
    result = install(bundle, prefix, keys["public"], "--systemd", "--desktop", "--system-root", str(system_root))
    assert result.returncode == 0, result.stderr[-3000:]
    return {"prefix": prefix, "system_root": system_root, "summary": json.loads(result.stdout)}
