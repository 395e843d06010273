"""Export an approved run as merged weights, an adapter, or an ONNX model, with a parity verdict.

Front door:
- `export(request, prompts, progress=, metric=) -> dict`: writes the export and returns its export.json;
  the output directory appears only if parity against the PyTorch reference passed.
- `load_generator(export_dir, base_dir=None) -> Generator`: greedy decoding and logits from an export.

Formats (`FORMATS`, one module each in `appliance/export/formats/`, registered on import): ``adapter``,
``merged``, ``onnx``, ``onnx-int8``. This package is a pure library over plain directories: approval, encryption and the
audit chain belong to the caller.
"""

from __future__ import annotations

from appliance.export import formats as formats  # noqa: I001  (registers every format in appliance/export/formats/)
from appliance.export.base import ExportRequest, Generator, ParityResult, ParityRule
from appliance.export.pipeline import export, failed_json_path, load_generator
from appliance.export.registry import FORMATS, ExportFormat, get_format, register_format

__all__ = ["FORMATS", "ExportFormat", "ExportRequest", "Generator", "ParityResult", "ParityRule", "export",
           "failed_json_path", "get_format", "load_generator", "register_format"]
