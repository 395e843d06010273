"""The core library never imports Qt: every appliance module imports with PySide6 made unimportable."""

from __future__ import annotations

import subprocess
import sys
import textwrap


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
