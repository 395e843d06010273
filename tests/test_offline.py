"""Offline guard: non-loopback connections are refused before any packet or DNS lookup."""

from __future__ import annotations

import os
import socket

import pytest

from appliance import offline
from appliance.offline import OfflineViolation


@pytest.fixture
def no_real_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Replace the real connect functions so that even a broken guard could never send a packet."""
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("the guard let a non-loopback connection through")

    monkeypatch.setattr(offline, "_original_connect", refuse)
    monkeypatch.setattr(offline, "_original_connect_ex", refuse)
    monkeypatch.setattr(offline, "_original_create_connection", refuse)
    return calls


def test_environment_is_offline() -> None:
    assert offline.is_enforced()
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        assert os.environ[key] == "1"


@pytest.mark.parametrize("address", [("192.0.2.10", 443), ("2001:db8::1", 443), ("huggingface.co", 443),
                                     ("example.invalid", 80)])
def test_non_loopback_refused(no_real_network: list[object], address: tuple[str, int]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    with pytest.raises(OfflineViolation, match="offline guard: connection to .* refused"):
        sock.connect(address)
    with pytest.raises(OfflineViolation):
        sock.connect_ex(address)
    sock.close()
    with pytest.raises(OfflineViolation):
        socket.create_connection(address, timeout=1)
    assert no_real_network == []


def test_loopback_allowed() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn, _ = server.accept()
    client.sendall(b"ping")
    assert conn.recv(4) == b"ping"
    client.close()
    conn.close()
    by_name = socket.create_connection(("localhost", port), timeout=5)
    accepted, _ = server.accept()
    by_name.close()
    accepted.close()
    server.close()


def test_hf_hub_download_refused_offline(no_real_network: list[object]) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    with pytest.raises((LocalEntryNotFoundError, OfflineModeIsEnabled, OSError)):
        hf_hub_download("HuggingFaceTB/SmolLM2-135M-Instruct", "config.json", cache_dir="/nonexistent-cache")
    assert no_real_network == []


def test_no_advice_to_download_bitsandbytes_kernels() -> None:
    """bitsandbytes suggests installing `kernels` (a run-time download from the hub); the advice is dropped,
    other bitsandbytes warnings are not."""
    import logging
    import subprocess
    import sys

    import appliance.offline as offline

    logger = logging.getLogger(offline._KERNELS_LOGGER)
    assert offline._not_kernels_advice in logger.filters
    other = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "some other warning", (), None)
    advice = logger.makeRecord(logger.name, logging.WARNING, __file__, 1,
                               "Failed to load CPU gemm_4bit_forward from kernels-community: %s", ("x",), None)
    assert logger.filter(other) and not logger.filter(advice)
    done = subprocess.run([sys.executable, "-c", "import appliance.offline, bitsandbytes"], capture_output=True,
                          text=True, timeout=300, check=True)
    assert "kernels" not in done.stderr
