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
    monkeypatch.setattr(offline, "_original_sendto", refuse)
    monkeypatch.setattr(offline, "_original_sendmsg", refuse)
    monkeypatch.setattr(offline, "_original_getaddrinfo", refuse)
    monkeypatch.setattr(offline, "_original_gethostbyname", refuse)
    monkeypatch.setattr(offline, "_original_gethostbyname_ex", refuse)
    monkeypatch.setattr(offline, "_original_gethostbyaddr", refuse)
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


@pytest.mark.parametrize("address", [("192.0.2.10", 53), ("8.8.8.8", 53)])
def test_udp_datagrams_refused(no_real_network: list[object], address: tuple[str, int]) -> None:
    """UDP needs no connect: sendto and sendmsg carry the destination themselves."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pytest.raises(OfflineViolation, match="offline guard"):
        sock.sendto(b"query", address)
    with pytest.raises(OfflineViolation, match="offline guard"):
        sock.sendto(b"query", 0, address)
    with pytest.raises(OfflineViolation, match="offline guard"):
        sock.sendmsg([b"query"], [], 0, address)
    sock.close()
    assert no_real_network == []


def test_udp_on_loopback_allowed() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.sendto(b"ping", server.getsockname())
    client.sendmsg([b"pong"], [], 0, server.getsockname())
    assert server.recv(4) == b"ping" and server.recv(4) == b"pong"
    client.close()
    server.close()


@pytest.mark.parametrize("name", ["huggingface.co", "example.invalid", "pypi.org"])
def test_name_resolution_refused(no_real_network: list[object], name: str) -> None:
    for lookup in (lambda: socket.getaddrinfo(name, 443), lambda: socket.gethostbyname(name),
                   lambda: socket.gethostbyname_ex(name), lambda: socket.gethostbyaddr("192.0.2.10")):
        with pytest.raises(OfflineViolation, match="name lookup of .* refused"):
            lookup()
    assert no_real_network == []


def test_literal_and_local_names_still_resolve() -> None:
    """Binding a LAN address (a literal: nothing is looked up) and localhost keep working."""
    assert socket.getaddrinfo("10.1.2.3", 80, type=socket.SOCK_STREAM)[0][4] == ("10.1.2.3", 80)
    assert socket.getaddrinfo(None, 80, flags=socket.AI_PASSIVE, type=socket.SOCK_STREAM)
    assert socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)


_CHILD_UDP = "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('192.0.2.10', 53))"
_CHILD_DNS = "import socket; socket.getaddrinfo('huggingface.co', 443)"


@pytest.mark.parametrize("code", [_CHILD_UDP, _CHILD_DNS])
def test_python_children_get_the_guard(code: str) -> None:
    """A child process does not inherit monkeypatching; it gets the guard at interpreter start."""
    import subprocess
    import sys

    # A clean environment on purpose: the guard adds itself to whatever env the caller passes.
    done = subprocess.run([sys.executable, "-c", code], env={"PATH": os.environ["PATH"],
                                                             "PYTHONPATH": str(offline.SITE_DIR.parents[1])},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "OfflineViolation: offline guard" in done.stderr


@pytest.mark.parametrize("argv", [["curl", "https://huggingface.co"], "wget -q https://pypi.org",
                                  ["/usr/bin/git", "fetch"]])
def test_network_programs_refused(argv: object) -> None:
    import subprocess

    with pytest.raises(OfflineViolation, match="running '.*' refused"):
        subprocess.run(argv, shell=isinstance(argv, str), check=False)
