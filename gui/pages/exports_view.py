"""What the Models page says about exports: format names, the parity sentence, and a fresh folder name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from appliance.errors import InvalidInput
from appliance.export import FORMATS

# Read from the format table, so a new format module shows up here with its own description.
FORMAT_HELP = {name: f"{name} — {fmt.description}" for name, fmt in FORMATS.items()}
DEFAULT_EXPORT_FOLDER = Path.home() / "appliance-exports"


def export_parity(path: Path) -> dict[str, Any] | None:
    """The parity block of an export's export.json (None if the folder is gone or has none)."""
    try:
        data = json.loads((path / "export.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    parity = data.get("parity") if isinstance(data, dict) else None
    return parity if isinstance(parity, dict) else None


def parity_text(parity: dict[str, Any] | None) -> str:
    """One sentence on an export's parity check, or an empty string when there is none."""
    if not parity:
        return ""
    verdict = "passed" if parity.get("passed") else "FAILED"
    parts = [f"parity {verdict}"]
    prompts = parity.get("prompts")
    exact = parity.get("exact_32")
    if isinstance(exact, int | float):
        on = f" on {prompts} held-out prompts" if prompts else ""
        parts.append(f"{exact:.0%} identical for the first 32 tokens{on}")
    top1 = parity.get("top1_agreement")
    if isinstance(top1, int | float):
        parts.append(f"top-1 agreement {top1:.1%}")
    return ", ".join(parts)


def free_path(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``… whichever does not exist yet (an export never overwrites)."""
    if not path.exists():
        return path
    for n in range(2, 1000):
        candidate = path.with_name(f"{path.name}-{n}")
        if not candidate.exists():
            return candidate
    raise InvalidInput(f"{path}: too many exports with this name; choose another folder")
