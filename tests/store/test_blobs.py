"""Encrypted blobs: round trips, tamper detection per chunk, bounded memory for large files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from appliance.errors import IntegrityError
from appliance.store.blobs import HEADER, NONCE, TAG
from appliance.workspace import Workspace

SIZES = [0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 17]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip(ws: Workspace, tmp_path: Path, size: int) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(bytes((i * 31) % 251 for i in range(size)))
    info = ws.put_blob(src, "test")
    assert info.size == size and info.chunks == max(1, -(-size // (1024 * 1024)))
    out = ws.get_blob(info.blob_id, tmp_path / "out.bin")
    assert out.read_bytes() == src.read_bytes()
    entry = list(ws.audit_entries(action="blob.put"))[-1]
    assert entry.object_ids == [info.blob_id] and entry.details["sha256"] == info.sha256


def _two_chunk_blob(ws: Workspace, tmp_path: Path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"a" * (1024 * 1024) + b"b" * 1000)
    return ws.put_blob(src, "test")


def test_flipped_byte_names_chunk(ws: Workspace, tmp_path: Path) -> None:
    info = _two_chunk_blob(ws, tmp_path)
    path = ws.blobs.path(info.blob_id)
    data = bytearray(path.read_bytes())
    second_chunk = HEADER.size + NONCE + 1024 * 1024 + TAG
    data[second_chunk + NONCE + 5] ^= 0x01
    path.write_bytes(bytes(data))
    report = ws.verify()
    assert not report.ok
    assert f"blob {info.blob_id}: chunk 1 failed authentication" in report.blob_problems[0]
    with pytest.raises(IntegrityError):
        ws.get_blob(info.blob_id, tmp_path / "out.bin")
    assert not (tmp_path / "out.bin").exists()  # nothing half-written


def test_truncation_and_reordering_detected(ws: Workspace, tmp_path: Path) -> None:
    info = _two_chunk_blob(ws, tmp_path)
    path = ws.blobs.path(info.blob_id)
    original = path.read_bytes()
    first_len = NONCE + 1024 * 1024 + TAG
    # Drop the last chunk.
    path.write_bytes(original[: HEADER.size + first_len])
    with pytest.raises(IntegrityError, match="truncated"):
        ws.blobs.verify(info)
    # Swap in a chunk from another blob with identical plaintext: the blob id in the AAD refuses it.
    other = _two_chunk_blob(ws, tmp_path)
    other_bytes = ws.blobs.path(other.blob_id).read_bytes()
    path.write_bytes(original[: HEADER.size] + other_bytes[HEADER.size:])
    with pytest.raises(IntegrityError, match="chunk 0 failed authentication"):
        ws.blobs.verify(info)


def test_database_page_tamper_detected(ws_path: Path) -> None:
    from tests.conftest import PASSWORDS

    db = ws_path / "workspace.db"
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0x01
    db.write_bytes(bytes(data))
    try:
        ws = Workspace.open(ws_path, "admin", PASSWORDS["admin"])
    except IntegrityError:
        return  # the damaged page was needed to open: refused as an integrity failure
    with ws:
        report = ws.verify()
    assert not report.ok and any("HMAC" in p or "malformed" in p for p in report.database_problems)


def test_300mb_blob_round_trips_in_bounded_memory(ws_path: Path, tmp_path: Path) -> None:
    """Put and get a 300 MB blob in a child process and read its peak RSS."""
    script = textwrap.dedent(f"""
        import hashlib, os, resource, sys
        from pathlib import Path
        from appliance.workspace import Workspace
        src = Path({str(tmp_path / 'big.bin')!r})
        digest = hashlib.sha256()
        with open(src, 'wb') as fh:
            block = os.urandom(1 << 20)
            for i in range(300):
                chunk = block[:-4] + i.to_bytes(4, 'big')
                digest.update(chunk)
                fh.write(chunk)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with Workspace.open(Path({str(ws_path)!r}), 'admin', 'admin-quiet-harbour') as ws:
            info = ws.put_blob(src, 'big')
            src.unlink()
            out = ws.get_blob(info.blob_id, Path({str(tmp_path / 'out.bin')!r}))
        check = hashlib.sha256()
        with open(out, 'rb') as fh:
            while b := fh.read(1 << 20):
                check.update(b)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(base, peak, info.size, check.hexdigest() == digest.hexdigest() == info.sha256)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    base_kb, peak_kb, size, same = result.stdout.split()
    assert int(size) == 300 * 1024 * 1024 and same == "True"
    growth_mb = (int(peak_kb) - int(base_kb)) / 1024
    assert growth_mb < 48, f"memory grew by {growth_mb:.0f} MB for a 300 MB blob"


def test_directory_round_trip_without_plaintext_archive(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "model"
    (src / "sub").mkdir(parents=True)
    (src / "config.json").write_text('{"a": 1}')
    (src / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 9000)
    before = set(ws.root.rglob("*"))
    info = ws.put_dir(src, "test-dir", "test.seal", ["thing"])
    assert set(ws.root.rglob("*")) - before == {ws.blobs.path(info.blob_id)}  # no tar file anywhere
    out = ws.get_dir(info.blob_id, tmp_path / "out")
    assert (out / "config.json").read_text() == '{"a": 1}'
    assert (out / "sub" / "weights.bin").read_bytes() == (src / "sub" / "weights.bin").read_bytes()
    entry = list(ws.audit_entries(action="test.seal"))[0]
    assert entry.object_ids == ["thing", info.blob_id]
