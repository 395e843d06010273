"""Helpers for the offline bundle and installer tests (fixtures are in conftest.py).

One small bundle is built per test run (``--skip-wheels`` leaves the large packages to this test
interpreter's site-packages, which is the documented test/development mode) and installed with no
network (``unshare -n``). Variants (another counter, a tampered file) are hard-linked clones of it,
re-signed with the test key where the variant is meant to be validly signed.

No ``__init__.py`` here: a package named ``packaging`` under tests/ would shadow the PyPI module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "packaging"), str(REPO / "installer")]

import bundle_lib  # noqa: E402

# Large or many-file packages the test bundle leaves to the host: the build and the installs stay within
# a few minutes on two cores, and the bundle still carries ~30 real wheels (pip, native ones included).
TEST_SKIP_WHEELS = ",".join([
    "torch", "pyside6*", "shiboken6", "onnxruntime-gpu", "nvidia-*", "triton", "scipy", "scikit-learn",
    "bitsandbytes", "onnx", "sympy", "numpy", "transformers", "networkx", "fhir*", "pydantic*", "cryptography",
    "sqlcipher3", "hf-xet", "tokenizers", "huggingface-hub", "peft", "accelerate", "optimum*", "setuptools",
    "regex", "ml-dtypes", "protobuf", "mpmath", "narwhals",
])
BASE_COUNTER = 10
DEFAULT_MODEL_FILE = REPO / ".cache" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def unshare_available() -> str | None:
    """None if ``unshare -n`` works here, else the reason it does not."""
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"'unshare -n' is not permitted here ({probe.stderr.strip()}); needs root or user namespaces"
    return None


def offline(cmd: list[str], env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in a new network namespace: no interface but a downed loopback, so no network at all.
    From ``/``, not the checkout, so that nothing is imported from the working directory by accident."""
    return subprocess.run(["unshare", "-n", *cmd], capture_output=True, text=True, env=env, timeout=timeout, cwd="/")


def host_env() -> dict[str, str]:
    """A minimal environment, as an operator's root shell would have; PYTHON selects the interpreter whose
    site-packages provide the packages the test bundle skips."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
            "PYTHON": sys.executable}


def clone(src: Path, dst: Path) -> Path:
    """A copy of a bundle made of hard links (fast, no extra disk). Change files only through
    ``replace_file`` or the signing helper, which write new inodes and so leave ``src`` intact."""
    shutil.copytree(src, dst, copy_function=os.link)
    return dst


def replace_file(path: Path, data: bytes) -> None:
    path.unlink()
    path.write_bytes(data)


def resign(bundle: Path, key_file: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit MANIFEST.json with ``change`` and sign it again with ``key_file``, as a build would."""
    manifest = json.loads((bundle / "MANIFEST.json").read_text())
    change(manifest)
    bundle_lib.write_signed_manifest(bundle, manifest, bundle_lib.load_private_key(key_file))


def install(bundle: Path, prefix: Path, public_key: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Install as IT would, with no network: a first install runs the bundle's installer (after checking
    the signature by hand, see the README); an installed prefix is upgraded by its own installer."""
    installed = prefix / "current" / "installer" / "install.sh"
    installer = installed if (prefix / "installed.json").exists() else bundle / "installer" / "install.sh"
    return offline(["sh", str(installer), str(bundle), "--prefix", str(prefix),
                    "--public-key", str(public_key), *extra], env=host_env())


def install_with_bundle_installer(bundle: Path, prefix: Path, public_key: Path) -> subprocess.CompletedProcess[str]:
    return offline(["sh", str(bundle / "installer" / "install.sh"), str(bundle), "--prefix", str(prefix),
                    "--public-key", str(public_key)], env=host_env())


def rollback(prefix: Path) -> subprocess.CompletedProcess[str]:
    return offline(["sh", str(prefix / "current" / "installer" / "install.sh"), "--rollback", "--prefix", str(prefix)],
                   env=host_env())


def verify(prefix: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return offline(["sh", str(prefix / "current" / "installer" / "verify.sh"), str(prefix), *extra], env=host_env())


def appliance(prefix: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, with no network and none of the checkout's settings."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(prefix), "LANG": "C.UTF-8"}
    return offline([str(prefix / "current" / "venv" / "bin" / "appliance"), *args], env=env)


def snapshot(root: Path) -> dict[str, Any]:
    """Every path under ``root`` with its kind, size, mtime and link target: equal snapshots mean
    nothing was created, removed, rewritten or re-pointed."""
    if not root.exists():
        return {}
    state: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            target = os.readlink(path) if path.is_symlink() else None
            state[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, target)
    return state
