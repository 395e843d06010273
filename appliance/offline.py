"""Offline enforcement. Import this module before anything that might reach the network.

The appliance runs on hospital servers with no internet. Hoping that no library phones home is not
enough: this module sets the Hugging Face offline switches and turns telemetry off *before* any
Hugging Face import, and installs a guard that refuses, before any packet leaves:

- an outgoing ``connect`` / ``connect_ex`` / ``create_connection`` to anything but loopback;
- a datagram (``sendto``, ``sendmsg``) to anything but loopback (UDP needs no connect);
- name resolution (``getaddrinfo``, ``gethostbyname[_ex]``, ``gethostbyaddr``) of any name but
  localhost and this machine's own host name; literal addresses resolve nothing and pass, so the
  server can still bind a LAN address;
- child processes: a Python child gets this same guard (``offline_site/sitecustomize.py`` is put first
  on its ``PYTHONPATH``) and the offline environment; known network clients (curl, wget, ssh, pip,
  git, ...) are refused outright.

Listening sockets (the serving API) are unaffected. What this cannot cover -- a non-Python child that
is not on the refusal list, or native code calling the C library directly -- is the job of the kernel:
the installed service runs with ``IPAddressDeny=any`` (systemd), and the README shows how to run
under a network namespace with no route out.
"""

from __future__ import annotations

import inspect
import ipaddress
import logging
import os
import socket
import subprocess
from pathlib import Path
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
_original_sendto = socket.socket.sendto
_original_sendmsg = socket.socket.sendmsg
_original_getaddrinfo = socket.getaddrinfo
_original_gethostbyname = socket.gethostbyname
_original_gethostbyname_ex = socket.gethostbyname_ex
_original_gethostbyaddr = socket.gethostbyaddr
_original_popen_init = subprocess.Popen.__init__

#: Programs whose whole purpose is talking to other machines; a child process never runs them.
REFUSED_PROGRAMS = frozenset({
    "curl", "wget", "ssh", "scp", "sftp", "rsync", "nc", "ncat", "netcat", "socat", "telnet", "ftp",
    "git", "pip", "pip3", "uv", "conda", "apt", "apt-get", "dnf", "yum", "nslookup", "dig", "host", "ping",
})
SITE_DIR = Path(__file__).resolve().parent / "offline_site"


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


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    # sendto(data, address) or sendto(data, flags, address)
    if args:
        _check_address(self.family, args[-1])
    return _original_sendto(self, data, *args)


def _guarded_sendmsg(self: socket.socket, buffers: Any, ancdata: Any = (), flags: int = 0,
                     address: Any = None) -> int:
    if address is not None:
        _check_address(self.family, address)
    return _original_sendmsg(self, buffers, ancdata, flags, address)


def _may_resolve(host: Any) -> bool:
    """Whether looking ``host`` up stays on this machine: none, a literal address, localhost, or this
    machine's own name (resolved from /etc/hosts by the usual nsswitch setup)."""
    if host is None or host == "":
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0]
    if host.lower() in _LOOPBACK_NAMES or host == socket.gethostname():
        return True
    try:
        ipaddress.ip_address(host)
        return True  # a literal: nothing is looked up
    except ValueError:
        return False


def _refuse_lookup(host: Any) -> None:
    raise OfflineViolation(f"offline guard: name lookup of {host!r} refused; the appliance only talks to this machine")


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _may_resolve(host):
        _refuse_lookup(host)
    return _original_getaddrinfo(host, *args, **kwargs)


def _guarded_gethostbyname(host: str) -> str:
    if not _may_resolve(host):
        _refuse_lookup(host)
    return _original_gethostbyname(host)


def _guarded_gethostbyname_ex(host: str) -> Any:
    if not _may_resolve(host):
        _refuse_lookup(host)
    return _original_gethostbyname_ex(host)


def _guarded_gethostbyaddr(host: str) -> Any:
    if not _is_loopback(host) and host != socket.gethostname():
        _refuse_lookup(host)  # a reverse lookup asks the DNS server about that address
    return _original_gethostbyaddr(host)


#: Set to 1 in the environment given to a child that is build tooling for a connected build machine
#: (``packaging/build_bundle.py`` resolves wheels from an index), never part of the appliance itself.
BUILD_TOOL_ENV = "APPLIANCE_BUILD_TOOL"


def child_environment(env: dict[str, str] | None) -> dict[str, str]:
    """``env`` (or this process's environment) with the offline switches and the guard for Python children."""
    out = dict(os.environ if env is None else env)
    paths = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(SITE_DIR)]
    if out.get(BUILD_TOOL_ENV) == "1":
        if paths:
            out["PYTHONPATH"] = os.pathsep.join(paths)
        else:
            out.pop("PYTHONPATH", None)
        return out
    out.update(_ENV)
    out["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), *paths])
    return out


def _program(args: Any, shell: bool) -> str:
    if isinstance(args, (str, bytes, os.PathLike)):
        text = os.fsdecode(args)
        first = text.split()[0] if shell and text.split() else text
    else:
        items = list(args)
        first = os.fsdecode(items[0]) if items else ""
    return os.path.basename(first)


_POPEN_SIGNATURE = inspect.signature(_original_popen_init)


def _guarded_popen_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    bound = _POPEN_SIGNATURE.bind(self, *args, **kwargs)  # positional or keyword, env and shell are found
    arguments = dict(bound.arguments)
    arguments.pop("self")
    program = _program(arguments.get("executable") or arguments["args"], bool(arguments.get("shell")))
    if program in REFUSED_PROGRAMS:
        raise OfflineViolation(
            f"offline guard: running '{program}' refused; the appliance never reaches other machines")
    arguments["env"] = child_environment(arguments.get("env"))
    _original_popen_init(self, **arguments)


def enforce() -> None:
    """Set the offline environment and install the guard. Idempotent."""
    for key, value in _ENV.items():
        os.environ[key] = value
    # Also in this process's own environment, for children started without subprocess.Popen
    # (multiprocessing's spawn, os.posix_spawn, os.system).
    os.environ["PYTHONPATH"] = child_environment(None)["PYTHONPATH"]
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = _guarded_create_connection
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
    socket.socket.sendmsg = _guarded_sendmsg  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.gethostbyname = _guarded_gethostbyname
    socket.gethostbyname_ex = _guarded_gethostbyname_ex
    socket.gethostbyaddr = _guarded_gethostbyaddr
    subprocess.Popen.__init__ = _guarded_popen_init  # type: ignore[method-assign]
    kernels_logger = logging.getLogger(_KERNELS_LOGGER)
    if _not_kernels_advice not in kernels_logger.filters:
        kernels_logger.addFilter(_not_kernels_advice)


def is_enforced() -> bool:
    return socket.socket.connect is _guarded_connect and socket.getaddrinfo is _guarded_getaddrinfo


enforce()
