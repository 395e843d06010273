"""The OpenAPI 3.1 description of the serving API, served at ``GET /openapi.json`` without a key.

It is a plain JSON document built here (no Swagger UI, no assets from any CDN), so an integration team
can load it into their own tools on the hospital network. It describes routes and shapes only, never
models or keys.
"""

from __future__ import annotations

from typing import Any

from appliance import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}
_SAMPLING = {
    "model": {"type": "string", "description": "a model id from GET /v1/models"},
    "max_tokens": {"type": "integer", "minimum": 1},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 1},
    "top_p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 1},
    "stop": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 4}]},
    "seed": {"type": "integer"},
    "stream": {"type": "boolean", "default": False,
               "description": "answer as server-sent events (text/event-stream), ending with 'data: [DONE]'"},
    "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "invalid request (the message says what to change)", 401: "missing or invalid API key",
            403: "the key may not use this model, the model is no longer approved, or /metrics without an admin "
                 "key", 404: "unknown model or route", 411: "Content-Length required",
            413: "request body too large", 503: "model busy or audit unavailable; retry after Retry-After"}
    return {str(s): {"description": text[s], "content": {"application/json": {"schema": _ERROR}}} for s in statuses}


def _generation(summary: str, request: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": required, "properties": {**_SAMPLING, **request}}}}},
        "responses": {"200": {"description": "the completion (JSON), or server-sent events when stream is true",
                              "content": {"application/json": {"schema": {"type": "object"}},
                                          "text/event-stream": {"schema": {"type": "string"}}}},
                      **_errors(400, 401, 403, 404, 411, 413, 503)}}}


def _task_request(task: str) -> dict[str, Any]:
    """The request body of a task endpoint: a model of that task and one note or a list of up to 32."""
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["model", "input"], "properties": {
            "model": {"type": "string", "description": f"a model whose card says task '{task}'"},
            "input": {"oneOf": [{"type": "string"},
                                {"type": "array", "items": {"type": "string"}, "maxItems": 32}]}}}}}}


def document() -> dict[str, Any]:
    message = {"type": "object", "required": ["role", "content"], "properties": {
        "role": {"enum": ["system", "user", "assistant"]}, "content": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Clinical tuning appliance: serving API", "version": __version__,
                 "description": "OpenAI-compatible API over the appliance's exported models. Every route but "
                                "/health and /openapi.json needs 'Authorization: Bearer <key>'."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                "message": {"type": "string"}, "type": {"type": "string"}, "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]}}}}}},
        },
        "paths": {
            "/health": {"get": {"summary": "liveness (no key)", "security": [],
                                "responses": {"200": {"description": "serving"}}}},
            "/openapi.json": {"get": {"summary": "this document (no key)", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1 JSON"}}}},
            "/v1/models": {"get": {"summary": "models this key may use", "security": [{"bearer": []}],
                                   "responses": {"200": {"description": "list of models"}, **_errors(401)}}},
            "/v1/models/{model}": {"get": {
                "summary": "one model", "security": [{"bearer": []}],
                "parameters": [{"name": "model", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the model"}, **_errors(401, 403, 404)}}},
            "/v1/completions": _generation(
                "text completion; for a classification model the prompt is the note, the text its label, and "
                "'logprobs': N lists the N most likely labels' log-probabilities",
                {"prompt": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer"}}]},
                 "logprobs": {"type": "integer", "minimum": 0, "description": "classification models only"}},
                ["model", "prompt"]),
            "/v1/chat/completions": _generation(
                "chat completion through the model's chat template",
                {"messages": {"type": "array", "items": message, "minItems": 1}}, ["model", "messages"]),
            "/v1/classify": {"post": {
                "summary": "label of each note by the classification run's own label scoring (as evaluated and "
                           "approved), every label's probability, and the model version",
                "security": [{"bearer": []}],
                "requestBody": _task_request("classify"),
                "responses": {"200": {"description": "labels and probabilities", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "model": {"type": "string"}, "model_version": {"type": "string"},
                        "run_id": {"type": "string"}, "labels": {"type": "array", "items": {"type": "string"}},
                        "data": {"type": "array", "items": {"type": "object", "properties": {
                            "index": {"type": "integer"}, "label": {"type": "string"},
                            "probabilities": {"type": "object", "additionalProperties": {"type": "number"}}}}}}}}}},
                    **_errors(400, 401, 403, 404, 411, 413, 503)}}},
            "/v1/extract": {"post": {
                "summary": "fields of each note by the extraction run's own prompt and greedy decoding (as "
                           "evaluated and approved), parsed as a JSON object, and the model version",
                "security": [{"bearer": []}],
                "requestBody": _task_request("extract"),
                "responses": {"200": {"description": "per note: fields (null when the reply is not a JSON object), "
                                                     "valid_json, text"},
                              **_errors(400, 401, 403, 404, 411, 413, 503)}}},
            "/metrics": {"get": {"summary": "Prometheus exposition (admin-scoped keys only)",
                                 "security": [{"bearer": []}],
                                 "responses": {"200": {"description": "text/plain; version=0.0.4"},
                                               **_errors(401, 403)}}},
        },
    }
