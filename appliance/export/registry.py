"""The table of export formats. Adding a format means adding one module that calls `register_format`.

A format is two functions and a parity rule:
- ``write(source, out_dir) -> details``: write the export's files into `out_dir` (an empty private
  directory) from `source` (`appliance.export.source.ExportSource`); return JSON-able facts about what
  was written (dtype, quantization, ...), recorded in ``export.json`` under ``format_details``.
- ``load(export_dir, base_dir) -> Generator``: load an export of this format with the stock loader of
  its kind. `base_dir` is only needed by formats that do not carry the base weights (``adapter``).
- `rule`: the parity figure the export must reach against the PyTorch reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import UsageError
from appliance.export.base import Generator, ParityRule

if TYPE_CHECKING:
    from appliance.export.source import ExportSource

WriteFn = Callable[["ExportSource", Path], dict[str, Any]]
LoadFn = Callable[[Path, Path | None], Generator]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    description: str
    rule: ParityRule
    write: WriteFn
    load: LoadFn
    needs_adapter: bool = False  # only meaningful for LoRA/DoRA runs


FORMATS: dict[str, ExportFormat] = {}


def register_format(fmt: ExportFormat) -> ExportFormat:
    """Put `fmt` in `FORMATS`; a second format with the same name is a programming error."""
    if fmt.name in FORMATS:
        raise ValueError(f"export format {fmt.name!r} is registered twice")
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> ExportFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown export format {name!r}; choose one of: {', '.join(FORMATS)}") from None
