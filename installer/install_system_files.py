"""The optional systemd unit (serving API) and desktop entry (GUI) written by the installer.

Both point at ``PREFIX/current``, so an upgrade or rollback never rewrites them. They are written under
``--system-root`` (default ``/``), like DESTDIR, so tests and image builders can redirect them; the
paths *inside* the files are always the real ones. Files are staged next to their destination and
renamed into place only after the install has committed, so a failed install leaves no unit behind.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bundle_format import UsageFailure

UNIT_PATH = "etc/systemd/system/appliance-serve.service"
DESKTOP_PATH = "usr/local/share/applications/clinical-tuning-appliance.desktop"
TEMPLATES = Path(__file__).resolve().parent / "templates"

# systemd and desktop files give meaning to whitespace, quotes, '%' (specifiers) and '$' (variables);
# refusing them in paths is simpler and safer than escaping for two different syntaxes.
_UNSAFE = re.compile(r"[\s%$\"'\\;`]")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def plain_path(path: Path, what: str) -> Path:
    """An absolute path without characters that unit or desktop files would interpret."""
    text = str(path)
    if not path.is_absolute() or _UNSAFE.search(text):
        raise UsageFailure(f"{what} '{text}' must be an absolute path without spaces, quotes, '%' or '$'")
    return path


def service_user(name: str) -> str:
    if not _USER.match(name):
        raise UsageFailure(f"service user '{name}' is not a valid user name")
    return name


@dataclass(frozen=True)
class StagedFile:
    final: Path
    tmp: Path

    def commit(self) -> None:
        os.replace(self.tmp, self.final)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    leftover = re.search(r"@[A-Z_]+@", text)
    if leftover:  # the template and this code disagree; never write a unit with a literal placeholder
        raise RuntimeError(f"{template}: no value for {leftover.group(0)}")
    return text


def stage(system_root: Path, relpath: str, text: str) -> StagedFile:
    """Write ``text`` to a temporary file beside ``system_root/relpath`` (0644)."""
    final = system_root / relpath
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    return StagedFile(final, Path(tmp))


def allowed_network(text: str) -> str:
    """An address or CIDR network for the unit's ``IPAddressAllow`` (e.g. 10.20.0.5 or 10.20.0.0/16)."""
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise UsageFailure(f"--allow-network '{text}' is not an IP address or network (e.g. 10.20.0.0/16)") from None


def stage_unit(system_root: Path, prefix: Path, model_dir: Path, user: str, env_file: Path,
               allow_networks: tuple[str, ...] = ()) -> StagedFile:
    text = render("appliance-serve.service.in", {"PREFIX": str(prefix), "MODEL_DIR": str(model_dir),
                                                 "SERVICE_USER": user, "ENV_FILE": str(env_file),
                                                 "ALLOW_NETWORKS": " ".join(["localhost", *allow_networks])})
    return stage(system_root, UNIT_PATH, text)


def stage_desktop(system_root: Path, prefix: Path) -> StagedFile:
    return stage(system_root, DESKTOP_PATH, render("appliance.desktop.in", {"PREFIX": str(prefix)}))
