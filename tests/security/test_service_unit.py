"""The systemd unit confines the service to loopback and the networks named at install time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "installer")]

import install_system_files as system_files  # noqa: E402
from bundle_format import UsageFailure  # noqa: E402


def test_unit_denies_every_address_but_loopback_and_the_named_networks(tmp_path: Path) -> None:
    nets = (system_files.allowed_network("10.20.0.0/16"), system_files.allowed_network("192.0.2.7"))
    staged = system_files.stage_unit(tmp_path, Path("/opt/appliance"), Path("/opt/appliance/models"), "appliance",
                                     Path("/etc/appliance/serve.env"), nets)
    staged.commit()
    lines = (tmp_path / system_files.UNIT_PATH).read_text().splitlines()
    assert "IPAddressDeny=any" in lines
    assert "IPAddressAllow=localhost 10.20.0.0/16 192.0.2.7/32" in lines
    assert 'Environment="APPLIANCE_AUDIT_ANCHOR=/var/lib/appliance-audit/audit.anchor"' in lines


def test_unit_without_networks_allows_loopback_only(tmp_path: Path) -> None:
    system_files.stage_unit(tmp_path, Path("/opt/a"), Path("/opt/a/models"), "appliance",
                            Path("/etc/appliance/serve.env")).commit()
    assert "IPAddressAllow=localhost" in (tmp_path / system_files.UNIT_PATH).read_text().splitlines()


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "example.org", "10.0.0.1; rm -rf /"])
def test_bad_network_refused(bad: str) -> None:
    with pytest.raises(UsageFailure, match="is not an IP address or network"):
        system_files.allowed_network(bad)
