"""No SQL outside the catalog: every query on the workspace database lives in ``appliance/catalog/``
(typed records) or ``appliance/store/`` (schema, blobs, audit chain).

The test reads the source of ``appliance/``, ``gui/``, ``packaging/`` and ``installer/`` and fails on
a call of ``execute``/``executemany``/``executescript`` or a string that reads as a query (``SELECT``,
``INSERT``, ``UPDATE``, ``DELETE`` in capitals, with the words that follow them in SQL).
"""

from __future__ import annotations

import io
import re
import tokenize
from fnmatch import fnmatch
from pathlib import Path

from tests.conftest import REPO

ROOTS = ("appliance", "gui", "packaging", "installer")
HOMES = ("appliance/catalog/*", "appliance/store/*")  # where SQL belongs

# Files that still hold SQL, each with the reason. This list only ever shrinks: when a file's queries
# move into the catalog, its line goes (the last test below fails while a listed file has none left).
ALLOWED: dict[str, str] = {}

_CALL = re.compile(r"\.execute(?:many|script)?\(")
_QUERY = re.compile(r"\bSELECT\s+(?:\*|\d|DISTINCT\b|[a-z_(])|\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b"
                    r"|\bUPDATE\s+[a-z_]+\s+SET\b|\bDELETE\s+FROM\b")


def _strings_and_calls(source: str) -> list[tuple[int, str]]:
    """(line, excerpt) of every execute call and every query-like string in ``source``."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and _QUERY.search(token.string):
            found.append((token.start[0], token.string[:80]))
        elif token.type == tokenize.NAME and token.string in ("execute", "executemany", "executescript"):
            line = token.line
            if _CALL.search(line):
                found.append((token.start[0], line.strip()[:80]))
    return found


def _sql_by_file() -> dict[str, list[tuple[int, str]]]:
    out = {}
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if any(fnmatch(rel, home) for home in HOMES):
                continue
            hits = _strings_and_calls(path.read_text(encoding="utf-8"))
            if hits:
                out[rel] = hits
    return out


def _allowed(rel: str) -> bool:
    return any(fnmatch(rel, pattern) for pattern in ALLOWED)


def test_the_detector_sees_queries_and_calls() -> None:
    source = ('conn.execute("SELECT a, b FROM t WHERE c = ?", (1,))\n'
              'q = ("INSERT OR IGNORE INTO t (a) VALUES (?)")\n'
              'tx.executemany(q, rows)\n'
              'u = "UPDATE runs SET state = ?"\n'
              'd = "DELETE FROM t"\n'
              'ok = "Select a model; UPDATE the page; delete it"\n')
    assert [line for line, _ in _strings_and_calls(source)] == [1, 1, 2, 3, 4, 5]


def test_no_sql_outside_the_catalog_and_the_store() -> None:
    stray = {rel: hits for rel, hits in _sql_by_file().items() if not _allowed(rel)}
    listing = "\n".join(f"{rel}:{line}: {excerpt}" for rel, hits in stray.items() for line, excerpt in hits)
    assert not stray, f"SQL outside appliance/catalog and appliance/store (move it into a catalog module):\n{listing}"


def test_the_allow_list_names_only_files_that_still_hold_sql() -> None:
    holding = _sql_by_file()
    stale = [p for p in ALLOWED if "*" not in p and p not in holding]
    assert not stale, f"no SQL left in {stale}: remove them from ALLOWED"
    missing = [p for p in ALLOWED if "*" not in p and not (Path(REPO) / p).exists()]
    assert not missing
