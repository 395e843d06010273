"""Help text on dataclass settings: every option the CLI and the GUI show carries its own sentence.

    level: int = field(default=1, metadata=help_text("How much to do."))
    ...
    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any


def help_text(text: str) -> dict[str, str]:
    """The ``metadata`` of a field whose help is ``text``."""
    return {"help": text}


def help_of(cls: Any) -> dict[str, str]:
    """Field name -> help text, in declaration order (empty for a field without one)."""
    return {f.name: f.metadata.get("help", "") for f in fields(cls)}
