"""Serving settings: one dataclass, each field with its default and help text, checked in ``__post_init__``.

The GUI shows the same help text; ``ServeConfig.from_dict`` / ``from_toml`` load the ``[serve]`` table
of a settings file and reject unknown keys, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import ipaddress
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from appliance.errors import InvalidInput
from appliance.fieldhelp import help_of, read_toml, settings_from
from appliance.fieldhelp import help_text as _help

# Annotation (as a string, see the __future__ import) -> accepted runtime types, for settings read from TOML.
_SCALAR_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,)}


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    host: str = field(default="127.0.0.1", metadata=_help(
        "Address to listen on. The default accepts connections from this machine only; use the server's "
        "hospital-network address (or 0.0.0.0) to serve EHR tools on other hosts, with TLS."))
    port: int = field(default=8000, metadata=_help("TCP port to listen on; 0 picks a free port."))
    tls_cert: Path | None = field(default=None, metadata=_help(
        "PEM certificate (chain) the hospital issued for this server. Given with tls_key, the API is HTTPS only."))
    tls_key: Path | None = field(default=None, metadata=_help("PEM private key of tls_cert."))
    allow_plaintext_network: bool = field(default=False, metadata=_help(
        "Allow plain HTTP on a non-loopback address. Prompts carry patient data: leave off and use TLS "
        "unless the network path is otherwise protected."))
    max_tokens_limit: int = field(default=1024, metadata=_help(
        "Largest max_tokens a request may ask for; larger requests get 400."))
    default_max_tokens: int = field(default=256, metadata=_help(
        "Completion length when a request gives no max_tokens (capped by the model's context)."))
    max_body_bytes: int = field(default=1_048_576, metadata=_help(
        "Largest request body accepted, in bytes; larger bodies get 413 without being read."))
    max_stop_sequences: int = field(default=4, metadata=_help("Most stop sequences one request may give."))
    max_queue_per_model: int = field(default=16, metadata=_help(
        "Generation requests one model may hold (running + waiting) before new ones get 503."))
    max_connections: int = field(default=64, metadata=_help(
        "Open connections served at once; further connections are closed at once."))
    max_connections_per_client: int = field(default=32, metadata=_help(
        "Open connections one client address may hold at once; further connections from it are closed at once."))
    request_timeout_s: float = field(default=60.0, metadata=_help(
        "Seconds an idle keep-alive connection stays open between requests."))
    header_timeout_s: float = field(default=10.0, metadata=_help(
        "Seconds a connection has to send a complete request head (request line and headers), however slowly "
        "it trickles bytes; a connection over it is closed."))
    body_timeout_s: float = field(default=30.0, metadata=_help(
        "Seconds a request has to send its whole body once its head is accepted; a request over it gets 400."))
    audit_max_batch: int = field(default=256, metadata=_help("Request records handed to the audit sink at once."))
    audit_max_delay_s: float = field(default=0.5, metadata=_help(
        "Longest a request record waits before it is handed to the audit sink."))
    audit_max_queue: int = field(default=100_000, metadata=_help(
        "Request records held in memory for the audit sink; beyond it records are dropped and counted in "
        "/metrics (serving never waits for the audit)."))

    audit_spool_max_records: int = field(default=10_000, metadata=_help(
        "Request records the encrypted audit spool holds while the audit chain cannot be written (another "
        "process holds a long write); when it is full, requests get 503 rather than go unaudited."))
    unauthenticated_sample_s: float = field(default=60.0, metadata=_help(
        "Requests without a valid key are counted in /metrics; one audit record per this many seconds carries "
        "the number of such attempts since the previous one."))

    def __post_init__(self) -> None:
        for f in fields(self):
            expected = _SCALAR_TYPES.get(str(f.type))
            value = getattr(self, f.name)
            if expected and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
                raise InvalidInput(f"serve: {f.name} must be a {f.type}, not {value!r}")
        if not self.host:
            raise InvalidInput("serve: host must not be empty")
        if not 0 <= self.port <= 65535:
            raise InvalidInput(f"serve: port {self.port} is not between 0 and 65535")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise InvalidInput("serve: give both tls_cert and tls_key, or neither")
        for name in ("tls_cert", "tls_key"):
            value = getattr(self, name)
            if value is not None:
                path = Path(value)
                object.__setattr__(self, name, path)
                if not path.is_file():
                    raise InvalidInput(f"serve: {name} {path} is not a readable file")
        if not self.tls_enabled and not is_loopback_host(self.host) and not self.allow_plaintext_network:
            raise InvalidInput(f"serve: listening on {self.host} without TLS would send prompts in clear; "
                               "give tls_cert and tls_key, or set allow_plaintext_network")
        for name in ("max_tokens_limit", "default_max_tokens", "max_body_bytes", "max_stop_sequences",
                     "max_queue_per_model", "max_connections", "max_connections_per_client", "audit_max_batch",
                     "audit_max_queue", "audit_spool_max_records"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"serve: {name} must be at least 1")
        if self.default_max_tokens > self.max_tokens_limit:
            raise InvalidInput(f"serve: default_max_tokens ({self.default_max_tokens}) exceeds max_tokens_limit "
                               f"({self.max_tokens_limit})")
        for name in ("request_timeout_s", "header_timeout_s", "body_timeout_s", "audit_max_delay_s",
                     "unauthenticated_sample_s"):
            if getattr(self, name) <= 0:
                raise InvalidInput(f"serve: {name} must be positive")

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert is not None

    @classmethod
    def help(cls) -> dict[str, str]:
        """Field name -> help text, in declaration order (for the GUI and ``--help``)."""
        return help_of(cls)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {f.name: f.default for f in fields(cls) if f.default is not MISSING}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServeConfig:
        values = dict(data)
        for name in ("tls_cert", "tls_key"):
            if values.get(name) in ("", None):
                values[name] = None
            elif name in values:
                values[name] = Path(values[name])
        return settings_from(cls, values, unknown="serve: unknown setting(s) {unknown}; known: {known}",
                             wrong="serve: ", error=InvalidInput)

    @classmethod
    def from_toml(cls, path: Path) -> ServeConfig:
        """Settings from the ``[serve]`` table of a TOML file (or the whole file when it has none)."""
        data = read_toml(path, error=InvalidInput)
        return cls.from_dict(data.get("serve", data))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("tls_cert", "tls_key"):
            out[name] = str(out[name]) if out[name] is not None else ""
        return out
