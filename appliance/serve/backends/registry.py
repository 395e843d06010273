"""Backend kinds, one module each, registered by the export formats they load.

Adding a backend means one module with a class decorated ``@register_backend(kind, formats=...)``,
imported in ``appliance.serve.backends``. ``load_model_dir`` picks the class by the directory's format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class ModelDir:
    """An export directory as ``appliance.serve.backends.loading.describe`` found it."""

    path: Path
    format: str
    model_id: str
    base: Path | None = None  # adapters only: the base model directory
    onnx_file: str | None = None


class Loadable(Protocol):
    @classmethod
    def load(cls, dirs: Sequence[ModelDir]) -> Any:
        """One backend serving ``dirs``: a single directory, or several adapters sharing one base."""
        ...


T = TypeVar("T", bound=Loadable)


@dataclass(frozen=True)
class BackendKind:
    kind: str
    formats: tuple[str, ...]
    cls: type[Loadable]


BACKENDS: dict[str, BackendKind] = {}


def register_backend(kind: str, formats: tuple[str, ...]) -> Callable[[type[T]], type[T]]:
    def decorate(cls: type[T]) -> type[T]:
        if kind in BACKENDS:
            raise ValueError(f"backend {kind!r} registered twice")
        taken = {f for b in BACKENDS.values() for f in b.formats} & set(formats)
        if taken:
            raise ValueError(f"formats {sorted(taken)} already have a backend")
        BACKENDS[kind] = BackendKind(kind, formats, cls)
        return cls

    return decorate


def backend_for_format(fmt: str) -> BackendKind:
    for backend in BACKENDS.values():
        if fmt in backend.formats:
            return backend
    known = sorted(f for b in BACKENDS.values() for f in b.formats)
    raise KeyError(f"no backend serves format {fmt!r}; known formats: {', '.join(known)}")
