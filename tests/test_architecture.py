"""Layering rules: the core library never imports Qt (every appliance module imports with PySide6 made
unimportable), and the tables owned by a catalog module have no SQL anywhere else."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path


def test_appliance_imports_without_qt() -> None:
    script = textwrap.dedent("""
        import importlib, pkgutil, sys

        class NoQt:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'gui'):
                    raise ImportError(f'{name} is forbidden in the core library')
                return None

        sys.meta_path.insert(0, NoQt())
        import appliance
        names = [m.name for m in pkgutil.walk_packages(appliance.__path__, 'appliance.')
                 if not m.name.endswith('__main__')]
        for name in names:
            importlib.import_module(name)
        assert not any(m.split('.')[0] in ('PySide6', 'shiboken6') for m in sys.modules)
        print(len(names))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) >= 10


# Tables whose SQL lives in one catalog module (appliance/catalog/) and nowhere else but the schema.
CATALOG_TABLES = ("runs", "run_checkpoints", "approvals", "exports")
_SQL_ON_CATALOG_TABLES = re.compile(
    r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(?:" + "|".join(CATALOG_TABLES) + r")\b")


def test_catalog_tables_have_no_sql_outside_the_catalog() -> None:
    root = Path(__file__).resolve().parent.parent
    allowed = (root / "appliance" / "catalog", root / "appliance" / "store")
    offenders = []
    for path in sorted([*(root / "appliance").rglob("*.py"), *(root / "gui").rglob("*.py")]):
        if any(path.is_relative_to(folder) for folder in allowed):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _SQL_ON_CATALOG_TABLES.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not offenders, "SQL on catalog tables outside appliance/catalog:\n" + "\n".join(offenders)


def test_the_sql_check_sees_the_statements_it_forbids() -> None:
    for statement in ("SELECT run_id FROM runs", "INSERT INTO runs (run_id)", "UPDATE runs SET state = ?",
                      "DELETE FROM run_checkpoints WHERE", "s JOIN runs r ON", "UPDATE approvals SET current",
                      "SELECT export_id FROM exports"):
        assert _SQL_ON_CATALOG_TABLES.search(statement), statement
    assert not _SQL_ON_CATALOG_TABLES.search("summaries of evaluated runs from the registry")
