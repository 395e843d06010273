"""The offline bundle's format and the checks made on it before anything is installed.

A bundle is a directory::

    MANIFEST.json          every other file with sha256 and size, version, counter, packages, models
    MANIFEST.json.sig      raw 64-byte Ed25519 signature over the exact bytes of MANIFEST.json
    requirements.txt       name==version --hash=sha256:... for every bundled wheel (the resolved closure)
    wheelhouse/*.whl       the application wheel and its dependencies for the target platform
    models/<file>          approved base models named in models_manifest.toml
    models_manifest.toml   the approved-model manifest, installed next to the application
    sbom.json              CycloneDX 1.5 bill of materials
    installer/             this installer, so that the bundle carries what installs it

Trust comes only from the signature checked with a public key the installing site got out of band
(``--public-key`` or a key pinned in ``install.py``): the version and the anti-rollback counter are
inside the signed bytes, and every other file is pinned by its hash in them. Any file not listed is a
reason to refuse, so nothing unsigned can ride along.

Standard library only: this module runs on the bare target host, before any wheel is trusted.
The signature can also be checked independently with OpenSSL 3::

    openssl pkeyutl -verify -pubin -inkey key.pub.pem -rawin -in MANIFEST.json -sigfile MANIFEST.json.sig
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import bundle_ed25519

FORMAT = 1
MANIFEST_NAME = "MANIFEST.json"
SIGNATURE_NAME = "MANIFEST.json.sig"
CONTROL_FILES = frozenset({MANIFEST_NAME, SIGNATURE_NAME})

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_DOWNGRADE = 3
EXIT_INTEGRITY = 4

# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BundleError(Exception):
    """A failure with a one-line message for the operator; ``exit_code`` is the documented code."""

    exit_code = EXIT_ERROR


class UsageFailure(BundleError):
    """Bad arguments (a missing key, an unsafe path)."""

    exit_code = EXIT_USAGE


class IntegrityFailure(BundleError):
    """Signature, key, hash, size or file-set mismatch: the bundle is not what was signed."""

    exit_code = EXIT_INTEGRITY


class DowngradeRefused(BundleError):
    """The bundle is older than (or conflicts with) what this prefix has already installed."""

    exit_code = EXIT_DOWNGRADE


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def normalize_name(name: str) -> str:
    """PEP 503 normalised distribution name (``PySide6_Addons`` -> ``pyside6-addons``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def public_version(version: str) -> str:
    """The version without its local label (``2.13.0+cpu`` -> ``2.13.0``)."""
    return version.split("+", 1)[0]


_VERSION = re.compile(r"^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?$")


def version_key(version: str) -> tuple[Any, ...]:
    """Sort key for the PEP 440 subset the application uses (``1.2.3``, ``1.2.3rc1``, ``.postN``, ``.devN``).

    Raises ``BundleError`` for anything else: the builder refuses such a version, so the installer never
    has to guess how to order one (a wrong guess would weaken the anti-rollback check)."""
    match = _VERSION.match(version)
    if not match:
        raise BundleError(f"version '{version}' is not of the form N.N.N[aN|bN|rcN][.postN][.devN]")
    release_text, pre_kind, pre_num, post, dev = match.groups()
    release = tuple(int(x) for x in release_text.split("."))
    release += (0,) * (6 - len(release))  # 1.2 == 1.2.0
    # Ordering within one release: .devN < aN < bN < rcN < final < .postN.
    pre = (["a", "b", "rc"].index(pre_kind), int(pre_num)) if pre_kind else (3, 0)
    if dev is not None and not pre_kind and post is None:
        pre = (-1, 0)
    return (release, pre, int(post) if post is not None else -1, int(dev) if dev is not None else float("inf"))


def public_key_from_pem(text: str) -> bytes:
    """The raw 32-byte key from an Ed25519 ``PUBLIC KEY`` PEM block; ``IntegrityFailure`` otherwise."""
    body = re.search(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", text, re.S)
    if not body:
        raise IntegrityFailure("public key is not a PEM 'PUBLIC KEY' block; use the key.pub.pem from keygen.py")
    try:
        der = base64.b64decode("".join(body.group(1).split()), validate=True)
    except ValueError:
        raise IntegrityFailure("public key PEM is not valid base64") from None
    if len(der) != 44 or not der.startswith(_ED25519_SPKI_PREFIX):
        raise IntegrityFailure("public key is not an Ed25519 key")
    return der[len(_ED25519_SPKI_PREFIX):]


def key_id(raw_public_key: bytes) -> str:
    """A short fingerprint shown to operators and recorded in the signed manifest."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def verify_signature(raw_public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 verification; uses ``cryptography`` when the host has it, else the pure-Python fallback."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return bundle_ed25519.verify(raw_public_key, message, signature)
    try:
        Ed25519PublicKey.from_public_bytes(raw_public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def check_relpath(rel: str) -> str:
    """Refuse absolute paths, ``..``, backslashes and empty parts: a signed manifest must still not be
    able to make the installer read or write outside the bundle or the prefix."""
    parts = PurePosixPath(rel).parts
    if (not rel or rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in parts)
            or rel != "/".join(parts)):
        raise IntegrityFailure(f"manifest names an unsafe path '{rel}'")
    return rel


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int


@dataclass(frozen=True)
class Package:
    """One distribution of the resolved closure. ``file`` is None when the host provides it."""

    name: str
    version: str
    sha256: str
    file: str | None = None


@dataclass(frozen=True)
class ModelFile:
    id: str
    file: str  # bundle-relative, e.g. models/SmolLM2-135M-Instruct.Q4_1.gguf
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """A parsed, signature-checked MANIFEST.json. ``digest`` is the sha256 of its exact bytes."""

    name: str
    version: str
    counter: int
    built: str
    python_version: str
    platforms: tuple[str, ...]
    app_wheel: str
    requirements: str
    model_manifest: str
    key_id: str
    packages: tuple[Package, ...]
    provided_by_host: tuple[Package, ...]
    models: tuple[ModelFile, ...]
    files: dict[str, FileEntry]
    digest: str
    raw: bytes = field(default=b"", repr=False)  # the exact signed bytes, kept to be saved with the install
    signature: bytes = field(default=b"", repr=False)

    @property
    def install_id(self) -> str:
        """Directory name under ``PREFIX/versions``."""
        return f"{self.version}-{self.counter}"

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        """Parse and validate; every malformation is an ``IntegrityFailure`` (the bundle is unusable)."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise IntegrityFailure(f"{MANIFEST_NAME} is not valid JSON") from None
        try:
            return cls._from_dict(data, hashlib.sha256(raw).hexdigest())
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityFailure(f"{MANIFEST_NAME} is malformed ({type(exc).__name__}: {exc})") from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any], digest: str) -> Manifest:
        if data["format"] != FORMAT:
            raise ValueError(f"format {data['format']} is not {FORMAT}; use the installer shipped with the bundle")
        files = {check_relpath(rel): FileEntry(_hex(e["sha256"]), _int(e["size"])) for rel, e in data["files"].items()}
        manifest = cls(
            name=_str(data["name"]), version=_str(data["version"]), counter=_int(data["counter"]),
            built=_str(data["built"]), python_version=_str(data["python_version"]),
            platforms=tuple(_str(p) for p in data["platforms"]), app_wheel=_str(data["app_wheel"]),
            requirements=_str(data["requirements"]), model_manifest=_str(data["model_manifest"]),
            key_id=_str(data["key_id"]),
            packages=tuple(Package(_str(p["name"]), _str(p["version"]), _hex(p["sha256"]), _str(p["file"]))
                           for p in data["packages"]),
            provided_by_host=tuple(Package(_str(p["name"]), _str(p["version"]), _str(p.get("sha256", "")))
                                   for p in data["provided_by_host"]),
            models=tuple(ModelFile(_str(m["id"]), _str(m["file"]), _hex(m["sha256"]), _int(m["size"]))
                         for m in data["models"]),
            files=files, digest=digest)
        version_key(manifest.version)
        for rel in [manifest.app_wheel, manifest.requirements, manifest.model_manifest,
                    *(p.file for p in manifest.packages if p.file), *(m.file for m in manifest.models)]:
            if rel not in files:
                raise ValueError(f"'{rel}' is referenced but not listed in files")
        for model in manifest.models:
            if files[model.file] != FileEntry(model.sha256, model.size):
                raise ValueError(f"model '{model.id}' hash differs from its files entry")
        return manifest


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a non-negative integer, got {value!r}")
    return value


def _hex(value: Any) -> str:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise ValueError(f"expected a sha256 hex digest, got {value!r}")
    return value


def read_verified_manifest(bundle: Path, raw_public_key: bytes) -> Manifest:
    """Read MANIFEST.json once, check its signature over exactly those bytes, then parse them.

    Parsing only after the signature holds means no unsigned input reaches the JSON parser's callers;
    the one exception is reading ``key_id`` to say *which* key signed a bundle that fails to verify."""
    manifest_file, signature_file = bundle / MANIFEST_NAME, bundle / SIGNATURE_NAME
    if not manifest_file.is_file() or not signature_file.is_file():
        raise IntegrityFailure(f"{bundle} is not a signed bundle ({MANIFEST_NAME} or {SIGNATURE_NAME} missing)")
    raw, signature = manifest_file.read_bytes(), signature_file.read_bytes()
    if not verify_signature(raw_public_key, raw, signature):
        raise IntegrityFailure(_signature_failure_message(raw, raw_public_key))
    return replace(Manifest.parse(raw), raw=raw, signature=signature)


def _signature_failure_message(raw: bytes, raw_public_key: bytes) -> str:
    mine = key_id(raw_public_key)
    try:
        claimed = json.loads(raw).get("key_id")
    except (ValueError, AttributeError):
        claimed = None
    if isinstance(claimed, str) and claimed != mine:
        return (f"bundle signature does not verify: it claims signing key {claimed}, the public key given is {mine}; "
                "check that you have the right public key")
    return f"bundle signature does not verify with key {mine}: MANIFEST.json or its signature was altered; refused"


def check_files(bundle: Path, manifest: Manifest) -> None:
    """Every listed file present with its size and sha256; no unlisted file and no symlink anywhere.

    Cheap checks (file set, sizes) run before hashing so that an obviously wrong bundle is refused fast."""
    present: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(bundle):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(bundle).as_posix()
            if path.is_symlink():
                raise IntegrityFailure(f"bundle contains a symlink '{rel}'; bundles hold regular files only")
            if name in filenames:
                present.add(rel)
    unlisted = sorted(present - set(manifest.files) - CONTROL_FILES)
    if unlisted:
        raise IntegrityFailure(f"bundle contains a file not in the signed manifest: '{unlisted[0]}'; refused")
    missing = sorted(set(manifest.files) - present)
    if missing:
        raise IntegrityFailure(f"bundle is missing '{missing[0]}' named in the signed manifest; refused")
    for rel, entry in sorted(manifest.files.items()):
        if (bundle / rel).stat().st_size != entry.size:
            raise IntegrityFailure(f"'{rel}' has the wrong size (not the signed file); refused")
    for rel, entry in sorted(manifest.files.items()):
        if sha256_file(bundle / rel) != entry.sha256:
            raise IntegrityFailure(f"'{rel}' sha256 does not match the signed manifest; refused")
