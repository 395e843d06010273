"""Model backends: the ``Backend`` protocol, the registered kinds (``torch``, ``onnx``) and loading.

Importing this package registers every backend module, so ``load_model_dir`` sees them all.
"""

from appliance.serve.backends.base import Backend, BackendBusy, CausalLMBackend, ChatTemplateError
from appliance.serve.backends.decoding import Generation, SamplingParams
from appliance.serve.backends.loading import (
    EXPORT_FILE,
    FORMATS,
    backends_by_model,
    describe,
    load_model_dir,
    load_model_dirs,
)
from appliance.serve.backends.onnx_backend import OnnxBackend
from appliance.serve.backends.registry import BACKENDS, ModelDir, register_backend
from appliance.serve.backends.torch_backend import TorchBackend

__all__ = [
    "BACKENDS", "EXPORT_FILE", "FORMATS", "Backend", "BackendBusy", "CausalLMBackend", "ChatTemplateError",
    "Generation", "ModelDir", "OnnxBackend", "SamplingParams", "TorchBackend", "backends_by_model", "describe",
    "load_model_dir", "load_model_dirs", "register_backend",
]
