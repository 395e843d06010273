"""Offline enforcement. Import this module before anything that might reach the network.

The appliance runs on hospital servers with no internet. Hoping that no library phones home is not
enough: this module sets the Hugging Face offline switches and turns telemetry off *before* any
Hugging Face import, and installs a socket guard that refuses every connection whose destination
is not this machine's loopback interface. Listening sockets (the serving API) are unaffected: the
guard only looks at outgoing ``connect`` calls.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from typing import Any

_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
    "MLFLOW_TRACKING_URI": "",
    "TOKENIZERS_PARALLELISM": "false",
}

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


# bitsandbytes tries to fetch a CPU kernel from the Hugging Face hub (the `kernels` package) and, when
# that package is absent, warns the user to install it. Installing it would mean downloading code at run
# time, which this product never does; the built-in kernel is used instead, so the advice is dropped.
_KERNELS_LOGGER = "bitsandbytes.backends.cpu.ops"


def _not_kernels_advice(record: logging.LogRecord) -> bool:
    return "kernels-community" not in str(record.msg)


class OfflineViolation(ConnectionRefusedError):
    """Raised when code tries to open a connection that leaves this machine."""


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0]
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        # A host name other than localhost: refusing it here also stops the DNS lookup that
        # would itself leak the name to the network.
        return False


def _check_address(family: int, address: Any) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # AF_UNIX and friends never leave the machine
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_loopback(host):
        port = address[1] if isinstance(address, tuple) and len(address) > 1 else "?"
        raise OfflineViolation(
            f"offline guard: connection to {host}:{port} refused; the appliance only talks to this machine"
        )


_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_create_connection = socket.create_connection


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self.family, address)
    _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self.family, address)
    return _original_connect_ex(self, address)


def _guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    # create_connection resolves names itself before socket.connect sees an address, so check here
    # first to avoid the lookup of a remote name.
    host = address[0] if isinstance(address, tuple) else address
    if not _is_loopback(host):
        _check_address(socket.AF_INET, address)
    return _original_create_connection(address, *args, **kwargs)


def enforce() -> None:
    """Set the offline environment and install the socket guard. Idempotent."""
    for key, value in _ENV.items():
        os.environ[key] = value
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = _guarded_create_connection
    kernels_logger = logging.getLogger(_KERNELS_LOGGER)
    if _not_kernels_advice not in kernels_logger.filters:
        kernels_logger.addFilter(_not_kernels_advice)


def is_enforced() -> bool:
    return socket.socket.connect is _guarded_connect


enforce()
