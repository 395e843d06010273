"""Unit checks of the bundle format and the signature fallback (no bundle build needed)."""

from __future__ import annotations

import bundle_ed25519
import bundle_format
import bundle_lib
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.parametrize("message", [b"", b"MANIFEST", bytes(range(256)) * 40])
def test_pure_python_ed25519_agrees_with_cryptography(message: bytes) -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    sig = key.sign(message)
    assert bundle_ed25519.verify(raw(key), message, sig)
    assert not bundle_ed25519.verify(raw(other), message, sig)
    assert not bundle_ed25519.verify(raw(key), message + b"x", sig)
    for i in (0, 31, 32, 63):  # R and S halves
        bad = bytearray(sig)
        bad[i] ^= 1
        assert not bundle_ed25519.verify(raw(key), message, bytes(bad))
    # S + L encodes the same scalar; a non-canonical S must be refused (signature malleability).
    s = int.from_bytes(sig[32:], "little") + bundle_ed25519.L
    if s < 2**256:
        assert not bundle_ed25519.verify(raw(key), message, sig[:32] + s.to_bytes(32, "little"))
    assert not bundle_ed25519.verify(raw(key)[:31], message, sig)


def test_public_key_pem_round_trip_and_rejects_other_keys() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert bundle_format.public_key_from_pem(pem.decode()) == raw(key)
    with pytest.raises(bundle_format.IntegrityFailure):
        bundle_format.public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


@pytest.mark.parametrize(("older", "newer"), [
    ("0.1.0", "0.1.1"), ("0.1", "0.1.1"), ("0.9.0", "0.10.0"), ("1.0.dev1", "1.0a1"), ("1.0a1", "1.0b1"),
    ("1.0rc2", "1.0"), ("1.0", "1.0.post1"), ("1.0.post1.dev1", "1.0.post1"),
])
def test_version_order(older: str, newer: str) -> None:
    assert bundle_format.version_key(older) < bundle_format.version_key(newer)
    assert bundle_format.version_key("1.2") == bundle_format.version_key("1.2.0")


def test_unorderable_version_is_refused() -> None:
    with pytest.raises(bundle_format.BundleError):
        bundle_format.version_key("1.0-beta")


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a/../b", "a//b", "a\\b", "", "./a"])
def test_unsafe_manifest_paths_are_refused(rel: str) -> None:
    with pytest.raises(bundle_format.IntegrityFailure):
        bundle_format.check_relpath(rel)


def test_manylinux_platforms_expand_to_older_glibc_levels_and_legacy_aliases() -> None:
    tags = bundle_lib.expand_platforms(["manylinux_2_34_x86_64"])
    assert tags[0] == "manylinux_2_34_x86_64" and tags[-1] == "manylinux1_x86_64"
    assert {"manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"} <= set(tags)
    assert bundle_lib.expand_platforms(["win_amd64"]) == ["win_amd64"]


def test_a_pinned_key_makes_public_key_optional_and_refuses_any_other(monkeypatch, tmp_path) -> None:
    import install as installer

    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    def pem(k: Ed25519PrivateKey) -> bytes:
        return k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    with pytest.raises(bundle_format.UsageFailure):
        installer.load_public_key(None)
    monkeypatch.setattr(installer, "PINNED_PUBLIC_KEY_PEM", pem(key).decode())
    assert installer.load_public_key(None) == raw(key)
    (tmp_path / "other.pem").write_bytes(pem(other))
    with pytest.raises(bundle_format.IntegrityFailure, match="not the key pinned"):
        installer.load_public_key(tmp_path / "other.pem")
