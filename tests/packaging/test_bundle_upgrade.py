"""Upgrade, rollback and the anti-rollback high-water mark on a prefix of its own."""

from __future__ import annotations

import json
import os

from bundle_testlib import (
    BASE_COUNTER,
    appliance,
    install,
    install_with_bundle_installer,
    rollback,
    snapshot,
    verify,
)


def current(prefix) -> str:
    return os.readlink(prefix / "current")


def test_upgrade_then_rollback_switches_current_back_and_keeps_refusing_older(bundle, variant, keys, netns,
                                                                            tmp_path) -> None:
    prefix = tmp_path / "appliance"
    old, new = f"0.1.0-{BASE_COUNTER}", f"0.1.0-{BASE_COUNTER + 1}"
    assert install(bundle, prefix, keys["public"]).returncode == 0

    upgraded = install(variant(BASE_COUNTER + 1), prefix, keys["public"])
    assert upgraded.returncode == 0, upgraded.stderr
    summary = json.loads(upgraded.stdout)
    assert (summary["current"], summary["previous"]) == (new, old)
    assert current(prefix) == f"versions/{new}"
    assert sorted(p.name for p in (prefix / "versions").iterdir()) == [old, new]  # previous kept for rollback

    back = rollback(prefix)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["current"] == old and current(prefix) == f"versions/{old}"
    assert appliance(prefix, "--version").stdout.split() == ["appliance", "0.1.0"]
    assert verify(prefix).returncode == 0

    # Rolling back does not lower the high-water mark: the older bundle is still refused...
    before = snapshot(prefix)
    refused = install(variant(BASE_COUNTER - 1), prefix, keys["public"])
    assert refused.returncode == 3 and f"counter {BASE_COUNTER + 1}" in refused.stderr
    assert snapshot(prefix) == before

    # ...while the newer one, still on disk, is re-activated without a rebuild.
    again = install(variant(BASE_COUNTER + 1), prefix, keys["public"])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["action"] == "already-installed" and current(prefix) == f"versions/{new}"
    state = json.loads((prefix / "installed.json").read_text())
    assert (state["current"], state["previous"], state["high_water"]["counter"]) == (new, old, BASE_COUNTER + 1)


def test_rollback_without_a_previous_version_is_refused(installed) -> None:
    before = snapshot(installed["prefix"])
    result = rollback(installed["prefix"])
    assert result.returncode == 3 and result.stderr.startswith("appliance-install: no previous version")
    assert snapshot(installed["prefix"]) == before


def test_an_installed_prefix_refuses_the_new_bundles_own_installer(installed, variant, keys) -> None:
    """Upgrades run the installer already on the host; the one inside an unverified bundle never runs as root
    on an installed prefix."""
    prefix = installed["prefix"]
    before = snapshot(prefix)
    refused = install_with_bundle_installer(variant(BASE_COUNTER + 5), prefix, keys["public"])
    assert refused.returncode == 2
    assert f"upgrade it with its own installer, {prefix}/current/installer/install.sh" in refused.stderr
    assert snapshot(prefix) == before


def test_a_bundle_signed_by_another_key_is_refused_on_upgrade(installed, variant, keys) -> None:
    from bundle_testlib import resign

    prefix = installed["prefix"]
    before = snapshot(prefix)
    other = variant(BASE_COUNTER + 6)  # used by this test only: re-signed in place below
    resign(other, keys["other_public"].parent / "key.pem", lambda manifest: None)
    refused = install(other, prefix, keys["other_public"])
    assert refused.returncode == 4 and "was installed from key" in refused.stderr
    assert snapshot(prefix) == before
