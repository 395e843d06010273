"""The importer table, format detection and `read_path`, the one entry point for reading sources.

Adding a format means adding one module that defines a class with `name`, `claims` and `read` and
decorates it with `@register`; `appliance.ingest` imports the module so that it registers.

Errors: `read_path`, `list_sources` and `detect_format` raise `InvalidInput` for a path that cannot be
imported at all (missing, unreadable, unknown format, empty folder) and `UsageError` for an unknown
format name, both before any record is produced. Problems inside a file never raise: they come out of
the iterator as `Rejected` and reading goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, TypeVar

from appliance.errors import InvalidInput, UsageError
from appliance.ingest.base import ImportOptions, ProgressFn, Record, Rejected, Skipped
from appliance.ingest.progress import ByteMeter

NO_CLAIM = 0
CLAIM_BY_EXTENSION = 10
CLAIM_BY_CONTENT = 20
SNIFF_BYTES = 64 * 1024


class Importer(Protocol):
    """One source format.

    `claims` scores how sure the importer is that it reads `path`, given the file's first bytes:
    `NO_CLAIM`, `CLAIM_BY_EXTENSION` or `CLAIM_BY_CONTENT`; the highest score wins, so content beats
    extension (an HL7 feed saved as ``.txt`` is read as HL7).

    `read` yields Records and Rejected for one file, reading it incrementally through `meter.open`.
    It must not raise for malformed content, and its rejection reasons must not quote the content.
    """

    name: str

    def claims(self, path: Path, head: bytes) -> int: ...

    def read(self, path: Path, options: ImportOptions, meter: ByteMeter) -> Iterator[Record | Rejected | Skipped]: ...


IMPORTERS: dict[str, Importer] = {}

_ImporterClass = TypeVar("_ImporterClass", bound=type)


def register(cls: _ImporterClass) -> _ImporterClass:
    """Class decorator: put one instance of `cls` in `IMPORTERS` under `cls.name`."""
    instance = cls()
    name = instance.name
    if name in IMPORTERS:
        raise ValueError(f"importer '{name}' is registered twice")
    IMPORTERS[name] = instance
    return cls


def detect_format(path: Path) -> str:
    """Format name of a file, or of a folder whose importable files all share one format.

    Raises InvalidInput when no importer claims the file, when a folder holds no importable file, or
    when a folder mixes formats (`read_path` with ``fmt="auto"`` still reads such a folder, file by
    file).
    """
    path = Path(path)
    if path.is_dir():
        formats = sorted({fmt for _, fmt in list_sources(path)})
        if len(formats) > 1:
            raise InvalidInput(f"{path}: folder mixes formats ({', '.join(formats)}); import each format separately")
        return formats[0]
    _require_exists(path)
    fmt = _detect_file(path)
    if fmt is None:
        raise InvalidInput(f"{path}: unknown file format; expected {_format_list()}")
    return fmt


def list_sources(path: Path, fmt: str = "auto") -> list[tuple[Path, str]]:
    """The files `read_path` would read, each with the format it would read it as.

    A folder contributes its visible regular files (not recursive), sorted by name: with
    ``fmt="auto"`` those some importer claims, with an explicit format all of them.
    """
    path = Path(path)
    if fmt != "auto" and fmt not in IMPORTERS:
        raise UsageError(f"unknown format '{fmt}'; choose one of auto, {_format_list()}")
    _require_exists(path)
    if not path.is_dir():
        if fmt != "auto":
            return [(path, fmt)]
        detected = _detect_file(path)
        if detected is None:
            raise InvalidInput(f"{path}: unknown file format; expected {_format_list()}")
        return [(path, detected)]
    try:
        children = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot list folder ({exc.strerror})") from None
    sources: list[tuple[Path, str]] = []
    for child in children:
        child_fmt = fmt if fmt != "auto" else _detect_file(child)
        if child_fmt is not None:
            sources.append((child, child_fmt))
    if not sources:
        raise InvalidInput(f"{path}: folder holds no importable file ({_format_list()})")
    return sources


def read_path(
    path: Path,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    progress: ProgressFn | None = None,
) -> Iterator[Record | Rejected | Skipped]:
    """Records and rejections from a file or a folder, in file order then position order.

    The path is checked eagerly (see the module docstring for what raises); the files are read lazily
    as the iterator is consumed, with memory bounded by `options.max_record_bytes`, not by file size.
    `progress(bytes_done, bytes_total)` is called at the start, at most a few times per second while
    reading, and with ``bytes_done == bytes_total`` once everything has been read.
    """
    opts = options if options is not None else ImportOptions()
    sources = list_sources(Path(path), fmt)
    sized: list[tuple[Path, str, int]] = []
    for file, file_fmt in sources:
        try:
            sized.append((file, file_fmt, file.stat().st_size))
        except OSError as exc:
            raise InvalidInput(f"{file}: cannot read ({exc.strerror})") from None
    meter = ByteMeter(sum(size for _, _, size in sized), progress)
    return _read_sources(sized, opts, meter)


def _read_sources(
    sources: list[tuple[Path, str, int]], options: ImportOptions, meter: ByteMeter
) -> Iterator[Record | Rejected | Skipped]:
    meter.report()
    for file, fmt, size in sources:
        meter.start_file(size)
        try:
            yield from IMPORTERS[fmt].read(file, options, meter)
        except OSError as exc:
            # A file that vanished or became unreadable mid-import: report it and go on with the rest.
            yield Rejected(str(file), "file", f"cannot read file ({exc.strerror or type(exc).__name__})")
        finally:
            meter.end_file()
    meter.report()


def _detect_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from None
    best_name, best_score = None, NO_CLAIM
    for name in sorted(IMPORTERS):
        score = IMPORTERS[name].claims(path, head)
        if score > best_score:
            best_name, best_score = name, score
    return best_name


def _require_exists(path: Path) -> None:
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")


def _format_list() -> str:
    return ", ".join(sorted(IMPORTERS))
