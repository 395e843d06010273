"""OpenAI-compatible HTTP API over exported models, for the hospital's EHR tools.

Routes: ``GET /health`` and ``GET /openapi.json`` (no key), ``GET /v1/models``, ``POST /v1/completions``,
``POST /v1/chat/completions`` (with ``stream: true`` as server-sent events), the task endpoints
``POST /v1/classify`` and ``POST /v1/extract``, ``GET /metrics`` (admin-scoped keys). Every other route
needs ``Authorization: Bearer <key>``. Each request is audited as hashes of its prompt and response:
through a ``DurableSpool`` before it is answered (``appliance serve``), or a ``RequestSink`` off the
request path (the stand-alone runner, tests). What a workspace may serve: ``appliance.serve.served``.

    backends = load_model_dirs([Path("exports/triage-lora"), Path("exports/summary-onnx")])
    handle = serve(backends, key_store, sink, ServeConfig(port=8000))
    ...
    handle.stop()
"""

from appliance.serve.audit import BatchingSink, JsonlSink, MemorySink, NullSink, sha256_text
from appliance.serve.backends import (
    Backend,
    Generation,
    OnnxBackend,
    TorchBackend,
    backends_by_model,
    load_model_dir,
    load_model_dirs,
)
from appliance.serve.config import ServeConfig
from appliance.serve.http import ServerHandle, serve, serve_forever
from appliance.serve.keys import StaticKeyStore, hash_key, new_key
from appliance.serve.protocols import KeyInfo, KeyStore, RequestRecord, RequestSink

__all__ = [
    "Backend", "BatchingSink", "Generation", "JsonlSink", "KeyInfo", "KeyStore", "MemorySink", "NullSink",
    "OnnxBackend", "RequestRecord", "RequestSink", "ServeConfig", "ServerHandle", "StaticKeyStore", "TorchBackend",
    "backends_by_model", "hash_key", "load_model_dir", "load_model_dirs", "new_key", "serve", "serve_forever",
    "sha256_text",
]
