"""Export formats, one module each; every module here registers itself in `FORMATS` when imported.

Adding a format is one new module in this package that calls `register_format` (see
`appliance.export.registry`). The package imports its modules in name order, which is also the order
the formats are listed in (``adapter``, ``merged``, ``onnx``, ``onnx-int8``).
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
