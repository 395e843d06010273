"""Loading the generator's JSON tables (``appliance/synthetic/data/``), each file read once.

The tables are data, not code: the modules that use them (`vocab`, `clinical`, the note renderers) turn
them into typed tuples and dataclasses at import time and check their shape, so a malformed edit fails
on import with the file and key named rather than as an odd note later.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DATA_PACKAGE = "appliance.synthetic.data"


@cache
def load(filename: str) -> dict[str, Any]:
    """The parsed JSON object of `filename` in the data package (cached: each file is read once)."""
    text = resources.files(DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    table = json.loads(text)
    if not isinstance(table, dict):
        raise ValueError(f"{filename}: expected a JSON object at the top level")
    return table


def strings(filename: str, key: str) -> tuple[str, ...]:
    """`key` of `filename` as a tuple of ASCII strings (notes are upper-cased, so lengths must not change)."""
    values = load(filename)[key]
    if not isinstance(values, list) or not all(isinstance(v, str) and v.isascii() for v in values):
        raise ValueError(f"{filename}: {key} must be a list of ASCII strings")
    return tuple(values)


def string_pairs(filename: str, key: str) -> tuple[tuple[str, str], ...]:
    """`key` of `filename` as a tuple of (string, string) pairs."""
    values = load(filename)[key]
    if not isinstance(values, list) or not all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) and x.isascii() for x in v) for v in values
    ):
        raise ValueError(f"{filename}: {key} must be a list of [string, string] pairs")
    return tuple((a, b) for a, b in values)
