"""Layering rules: the core library never imports Qt (every appliance module imports with PySide6 made
unimportable), the tables owned by a catalog module have no SQL anywhere else, and no core module is
longer than 500 lines (data held as code aside)."""

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


# The core's layers, lowest first. A module may import its own layer and the layers below it, never one
# above: that is what lets a newcomer read the core bottom-up and change a layer without its callers
# pulling it into a cycle. What each layer is, and why it sits where it does:
#   foundation  errors, offline switches, progress and field help: no appliance imports of their own.
#   store       the encrypted database, blobs and audit chain.
#   catalog     typed records, the only SQL on their tables (it reads the store).
#   workspace   the front door: a user's session over the store, reading its users and settings
#               through the catalog; workspace_keys is its key lifecycle (password change, rotation).
#   services    jobs and the run registry, on top of the workspace.
#   runtime     getting models into memory and running them (appliance/runtime/), and base_models,
#               which converts a registered GGUF base by loading it; the two import each other's
#               modules, so they share a layer.
#   data        snapshots, tasks and packing; ingest, de-identification and the synthetic-note generator
#               (they never load a model).
#   tune        training; it knows runtime and data, nothing that scores or ships a model.
#   evaluate    scoring a run (it reads the tuning method registry and loads runs through runtime).
#   ship        compare (runs methods and evaluates them) and export (packages a tuned run).
#   serve       the API over exported models (reads export manifests, scores tasks like evaluate).
#   shells      the demo and the CLI, which drive everything.
# Imports under ``if TYPE_CHECKING:`` are exempt (they never run; they name a type for mypy), and so are
# modules named in data, such as the job table of `appliance.jobs`, which imports a job's module by name
# only when that job runs. An upward import inside a function is still an upward dependency: it is an
# error unless listed, with its reason, in UPWARD_INSIDE_FUNCTIONS; at module level it is always an error.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("appliance", "errors", "offline", "offline_site", "progress", "fieldhelp")),
    ("store", ("store",)),
    ("catalog", ("catalog",)),
    ("workspace", ("workspace", "workspace_keys")),
    ("services", ("jobs", "registry")),
    ("runtime", ("runtime", "base_models")),
    ("data", ("data", "ingest", "deid", "synthetic")),
    ("tune", ("tune",)),
    ("evaluate", ("evaluate",)),
    ("ship", ("compare", "export")),
    ("serve", ("serve",)),
    ("shells", ("demo", "cli")),
)

# Upward imports tolerated, each inside a function (never at module level) and each with its reason.
# An entry is (importing module, imported module).
UPWARD_INSIDE_FUNCTIONS: dict[tuple[str, str], str] = {
    ("appliance.catalog.base", "appliance.workspace"):
        "a read takes a Workspace or a bare connection, and telling them apart needs the class; the workspace "
        "reads its own users and settings through the catalog, so importing it at module level would be a cycle",
}


def _layer_of(module: str) -> int:
    parts = module.split(".")
    unit = parts[1] if len(parts) > 1 and parts[0] == "appliance" else "appliance"
    if unit == "__version__":
        unit = "appliance"
    for rank, (_name, units) in enumerate(LAYERS):
        if unit in units:
            return rank
    raise AssertionError(f"{module}: its package is in no layer of LAYERS; add it where it belongs")


def _imports(path: Path, module: str) -> list[tuple[str, int, bool]]:
    """(imported appliance module, line, at module level) for every import in `path`, except those under
    ``if TYPE_CHECKING:``: they never run, and only name a type for mypy."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    guards = [block for block in tree.body if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)]
    type_only = {id(node) for block in guards for node in ast.walk(block)}
    top = {id(node) for node in tree.body}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if base == "appliance" else base for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found += [(t, node.lineno, id(node) in top) for t in targets if t.split(".")[0] == "appliance"]
    return found


def _upward_imports() -> list[str]:
    root = Path(__file__).resolve().parent.parent
    offenders = []
    for path in sorted((root / "appliance").rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        module = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
        for target, line, at_top in _imports(path, module):
            if _layer_of(target) <= _layer_of(module):
                continue
            if not at_top and (module, target) in UPWARD_INSIDE_FUNCTIONS:
                continue
            where = "at module level" if at_top else "inside a function"
            offenders.append(f"{path.relative_to(root)}:{line}: {module} ({LAYERS[_layer_of(module)][0]}) imports "
                             f"{target} ({LAYERS[_layer_of(target)][0]}) {where}")
    return offenders


def test_no_module_imports_a_layer_above_its_own() -> None:
    offenders = _upward_imports()
    assert not offenders, "upward imports (see LAYERS in tests/test_architecture.py):\n" + "\n".join(offenders)


def test_the_layer_check_sees_the_imports_it_forbids(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(textwrap.dedent("""
        from typing import TYPE_CHECKING
        from appliance import workspace
        from appliance.serve.keys import hash_key
        import appliance.tune.loading
        if TYPE_CHECKING:
            from appliance.cli import main

        def later():
            from appliance.compare.service import compare
    """))
    found = {(target, at_top) for target, _line, at_top in _imports(module, "appliance.runtime.sample")}
    assert found == {("appliance.workspace", True), ("appliance.serve.keys", True),
                     ("appliance.tune.loading", True), ("appliance.compare.service", False)}
    assert _layer_of("appliance.runtime.loading") < _layer_of("appliance.tune.loading") < _layer_of("appliance.serve")
    assert _layer_of("appliance.base_models") == _layer_of("appliance.runtime.bases")
    assert _layer_of("appliance.__version__") == _layer_of("appliance.errors") == 0


# Modules that fit in a head: no module of the core is longer than this, data held as code aside.
MAX_MODULE_LINES = 500


def _exempt_from_length(rel: str) -> bool:
    """Data, not logic: files in a package's own ``data/`` folder (word lists and the scripts that build them,
    e.g. ``appliance/deid/data/``; the synthetic generator's tables are JSON in ``appliance/synthetic/data/``)."""
    parts = rel.split("/")
    return "data" in parts[2:-1]


def test_no_module_is_longer_than_the_limit() -> None:
    root = Path(__file__).resolve().parent.parent
    long = []
    for path in sorted((root / "appliance").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and not _exempt_from_length(rel):
            long.append(f"{rel}: {lines} lines")
    assert not long, (f"modules over {MAX_MODULE_LINES} lines (split them along a seam; re-export what callers "
                      "import):\n" + "\n".join(long))


def test_only_data_is_exempt_from_the_length_limit() -> None:
    assert _exempt_from_length("appliance/synthetic/data/__init__.py")
    assert not _exempt_from_length("appliance/synthetic/clinical.py")
    assert _exempt_from_length("appliance/deid/data/build_lists.py")
    assert not _exempt_from_length("appliance/data/tasks.py")
    assert not _exempt_from_length("appliance/workspace.py")
    assert not _exempt_from_length("appliance/serve/api.py")
