"""Create the Ed25519 key pair that signs offline bundles (run once, on the release machine).

    python packaging/keygen.py --out DIR

Writes ``DIR/key.pem`` (private key, PKCS#8 PEM, mode 0600) and ``DIR/key.pub.pem`` (public key,
SubjectPublicKeyInfo PEM) and prints the key id the installer shows. The public key goes to each
hospital out of band (not inside a bundle: a key shipped with the bundle would vouch for itself).
Refuses to overwrite an existing key. Exit 0 ok, 1 error.

Hazard: the private key is unencrypted at rest; keep DIR on the release machine's encrypted volume
or a token, and back it up: losing it means sites must be given a new public key.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_NAME = "key.pem"
PUBLIC_NAME = "key.pub.pem"


def key_id(public_pem: bytes) -> str:
    """Same fingerprint as the installer's ``bundle_format.key_id``: sha256 of the raw 32-byte key."""
    key = serialization.load_pem_public_key(public_pem)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def write_exclusive(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (never world-readable, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)  # the umask may have removed bits from the public key's 0644


def generate(out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out / PRIVATE_NAME, out / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(f"{path} exists; refusing to overwrite a signing key")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    write_exclusive(private_path, private_pem, 0o600)
    write_exclusive(public_path, public_pem, 0o644)
    return private_path, public_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for key.pem and key.pub.pem")
    args = parser.parse_args(argv)
    try:
        private_path, public_path = generate(args.out)
    except OSError as exc:
        print(f"keygen: {exc}", file=sys.stderr)
        return 1
    print(f"keygen: private key {private_path} (0600), public key {public_path}, "
          f"key id {key_id(public_path.read_bytes())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
