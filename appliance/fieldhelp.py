"""Help text on dataclass settings: every option the CLI and the GUI show carries its own sentence.

    level: int = field(default=1, metadata=help_text("How much to do."))
    ...
    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def help_text(text: str) -> dict[str, str]:
    """The ``metadata`` of a field whose help is ``text``."""
    return {"help": text}


def help_of(cls: Any) -> dict[str, str]:
    """Field name -> help text, in declaration order (empty for a field without one)."""
    return {f.name: f.metadata.get("help", "") for f in fields(cls)}


def settings_from(cls: type[T], values: Mapping[str, Any], *, unknown: str, wrong: str | None = None,
                  error: type[Exception] = ValueError) -> T:
    """``cls(**values)`` for a settings dataclass read from a TOML/JSON table, so a typo never passes silently.

    A key that is not a field raises `error` with `unknown` formatted with ``{unknown}`` (the bad keys)
    and ``{known}`` (every field). With `wrong`, a value of the wrong type (the dataclass's own
    ``TypeError``) raises `error` with `wrong` followed by the reason; without, it propagates.
    """
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]  # cls is a dataclass type
    bad = sorted(set(values) - known)
    if bad:
        raise error(unknown.format(unknown=", ".join(bad), known=", ".join(sorted(known))))
    if wrong is None:
        return cls(**dict(values))
    try:
        return cls(**dict(values))
    except TypeError as exc:  # e.g. a list where a number belongs
        raise error(f"{wrong}{exc}") from None


def read_toml(path: Path | str, *, what: str = "TOML file", error: type[Exception] = ValueError) -> dict[str, Any]:
    """The top-level table of the TOML file ``path``. When it cannot be read, is not UTF-8 or is not TOML,
    raises `error` with "<path>: not a readable <what> (<reason>)"."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: not a readable {what} ({exc})") from None
