"""The API itself, independent of the HTTP transport: routes, authentication, generation, audit, metrics.

``Api.handle(request)`` takes a parsed HTTP request and returns a ``Reply``: a JSON body, or for
``stream: true`` an iterator of server-sent-event frames the transport writes as they come. Every
request ends in exactly one call of ``_finish``, which counts it in the metrics and hands one
``RequestRecord`` to the audit sink; for a stream that happens when the stream ends or is abandoned.
With a ``DurableSpool`` as the sink the audit fails closed: the record is durable before the answer
leaves, and a request whose record cannot be made durable is answered 503 (a stream is refused before
it starts when the spool is full, and ends without ``[DONE]`` if its record cannot be spooled).

Task endpoints (``appliance.serve.tasks``): a served classification run answers ``/v1/classify`` and,
under its model id, ``/v1/completions`` with its label; an extraction run answers ``/v1/extract``.
A ``ServeGate`` is asked on every request naming a model, so a run rejected or rolled back elsewhere
stops being served on the next request.

Order of checks, and why: /health needs no key (load balancers and the installer probe it). Every
other path asks for a key first, so an unauthenticated caller learns nothing about routes or models.
The body is read only after the key and its declared size were accepted, so an unauthenticated or
oversized upload is never buffered.

Never logged: prompt and completion text, message contents, the presented key. Log lines name the
route, status, model id, key name, token counts and latency.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from appliance.serve import openapi
from appliance.serve.audit import BatchingSink, UnauthenticatedSampler, sha256_text
from appliance.serve.backends.base import Backend, BackendBusy, ChatTemplateError
from appliance.serve.backends.decoding import Generation
from appliance.serve.config import ServeConfig
from appliance.serve.errors import ApiError, bad_request
from appliance.serve.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from appliance.serve.metrics import Metrics
from appliance.serve.protocols import KeyInfo, KeyStore, RequestRecord, ServeGate
from appliance.serve.schema import (
    CompletionRequest,
    Limits,
    completion_response,
    new_id,
    parse_chat,
    parse_completion,
    stream_chunk,
    usage_chunk,
)
from appliance.serve.spool import AuditUnavailable, DurableSpool
from appliance.serve.tasks import (
    Classification,
    Classifier,
    Extraction,
    Extractor,
    TaskRequest,
    classify_response,
    extract_response,
    parse_classify,
    parse_task_completion,
    task_completion_response,
)
from appliance.serve.wire import (
    EventStream,
    HttpRequest,
    Reply,
    json_reply,
    read_json,
    sse_frame,
)

# Re-exported: the transport and tests name them here.
__all__ = ["Api", "EventStream", "HttpRequest", "Reply", "UnauthenticatedSampler"]

log = logging.getLogger("appliance.serve")

ROUTE_HEALTH = "/health"
ROUTE_MODELS = "/v1/models"
ROUTE_COMPLETIONS = "/v1/completions"
ROUTE_CHAT = "/v1/chat/completions"
ROUTE_CLASSIFY = "/v1/classify"
ROUTE_EXTRACT = "/v1/extract"
ROUTE_METRICS = "/metrics"
ROUTE_OPENAPI = "/openapi.json"
ROUTE_OTHER = "other"
CLIENT_GONE = 499  # nginx's code for "client closed the connection before the response ended"

_TaskModel = TypeVar("_TaskModel", Classifier, Extractor)



@dataclass
class _Call:
    """What is known about one request so far; filled in as it goes, recorded once at the end."""

    route: str
    started: float = field(default_factory=time.perf_counter)
    arrived: float = field(default_factory=time.time)
    request_id: str = ""
    key_name: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_sha256: str = ""
    response_sha256: str = ""
    finished: bool = False
    first_token: float | None = None  # perf_counter of the first generated text, if any
    last_token: float = 0.0

    def audit_prompts(self, results: Sequence[Classification | Extraction]) -> None:
        """Hash the prompts a task endpoint's model saw, and count their tokens (the text is never kept)."""
        self.prompt_sha256 = sha256_text("\n".join(r.prompt_text for r in results))
        self.prompt_tokens = sum(r.prompt_tokens for r in results)


class Api:
    def __init__(self, backends: Mapping[str, Backend], keys: KeyStore, sink: BatchingSink | DurableSpool,
                 config: ServeConfig, tasks: Mapping[str, Classifier | Extractor] | None = None,
                 gate: ServeGate | None = None) -> None:
        """``tasks``: the classification runs among the served model ids (their task endpoint); ``gate``
        says per request whether a model may still be served (None: every configured model may)."""
        self.backends = dict(backends)
        self.tasks = dict(tasks or {})
        unknown = sorted(set(self.tasks) - set(self.backends))
        if unknown:
            raise ValueError(f"task model(s) {', '.join(unknown)} are not among the served models")
        self.gate = gate
        self._unauthenticated = UnauthenticatedSampler(config.unauthenticated_sample_s)
        self.keys = keys
        self.sink = sink
        self.config = config
        self.metrics = Metrics()
        self.limits = Limits(config.max_tokens_limit, config.default_max_tokens, config.max_stop_sequences)
        self.created = int(time.time())
        # Admission per backend (adapters of one base share it): running + waiting generations.
        self._slots: dict[int, threading.BoundedSemaphore] = {
            id(b): threading.BoundedSemaphore(config.max_queue_per_model) for b in self.backends.values()}
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self.metrics.gauge("appliance_models", "Model ids served.", lambda: len(self.backends))
        self.metrics.gauge("appliance_requests_in_flight", "Requests being handled now.", lambda: self._in_flight)
        self.metrics.gauge("appliance_audit_records_dropped_total", "Request records dropped (audit queue full).",
                           lambda: sink.dropped, "counter")
        self.metrics.gauge("appliance_audit_records_failed_total", "Request records the audit sink failed to store.",
                           lambda: sink.failed, "counter")
        self.metrics.gauge("appliance_audit_records_delivered_total", "Request records handed to the audit sink.",
                           lambda: sink.delivered, "counter")
        self.metrics.gauge("appliance_audit_records_pending", "Request records spooled, not yet in the audit chain.",
                           lambda: getattr(sink, "pending", 0))
        self.metrics.gauge("appliance_unauthenticated_requests_total",
                           "Requests refused for a missing or invalid key (sampled into the audit chain).",
                           lambda: self._unauthenticated.total, "counter")

    # -- entry point -------------------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> Reply:
        """Answer one request. Never raises; every reply carries ``X-Request-Id``, the id in its audit record."""
        route = self._route(request.path)
        call = _Call(route, request_id=new_id(route == ROUTE_CHAT) if route in (ROUTE_CHAT, ROUTE_COMPLETIONS)
                     else "req-" + secrets.token_hex(12))
        with self._in_flight_lock:
            self._in_flight += 1
        streaming = False
        try:
            reply = self._dispatch(request, call)
            streaming = reply.stream is not None
            if not streaming and not self._finish(call, reply.status):
                reply = _audit_unavailable()
        except ApiError as exc:
            headers = (("WWW-Authenticate", "Bearer"),) if exc.status == 401 else ()
            if exc.status == 503:
                headers = (("Retry-After", "1"),)
            reply = json_reply(exc.status, exc.body(), headers) if self._finish(call, exc.status) \
                else _audit_unavailable()
        except Exception as exc:  # an unexpected failure: answer 500, log the type only (messages may hold text)
            log.error("internal error on %s: %s", route, type(exc).__name__)
            reply = json_reply(500, ApiError(500, "internal server error", "internal_error").body()) \
                if self._finish(call, 500) else _audit_unavailable()
        finally:
            if not streaming:
                self._leave()
        reply.headers += (("X-Request-Id", call.request_id),)
        return reply

    def _leave(self) -> None:
        with self._in_flight_lock:
            self._in_flight -= 1

    @staticmethod
    def _route(path: str) -> str:
        if path in (ROUTE_HEALTH, ROUTE_MODELS, ROUTE_COMPLETIONS, ROUTE_CHAT, ROUTE_CLASSIFY, ROUTE_EXTRACT,
                    ROUTE_METRICS, ROUTE_OPENAPI):
            return path
        if path.startswith(ROUTE_MODELS + "/"):
            return ROUTE_MODELS
        return ROUTE_OTHER

    def _dispatch(self, request: HttpRequest, call: _Call) -> Reply:
        if call.route == ROUTE_HEALTH and request.method == "GET":
            return json_reply(200, {"status": "ok", "models": len(self.backends)})
        if call.route == ROUTE_OPENAPI and request.method == "GET":
            return json_reply(200, openapi.document())
        key = self._authenticate(request.headers)
        call.key_name = key.name
        if call.route == ROUTE_OTHER:
            raise ApiError(404, "unknown route; see /v1/models, /v1/completions, /v1/chat/completions", "not_found")
        expected = "POST" if call.route in (ROUTE_COMPLETIONS, ROUTE_CHAT, ROUTE_CLASSIFY, ROUTE_EXTRACT) else "GET"
        if request.method != expected:
            raise ApiError(405, f"{call.route} takes {expected}", "method_not_allowed")
        if call.route == ROUTE_METRICS:
            if not key.admin:
                raise ApiError(403, "/metrics shows every model's traffic; it needs an admin-scoped API key",
                               "admin_scope_required")
            return Reply(200, self.metrics.render(), METRICS_CONTENT_TYPE)
        if call.route == ROUTE_MODELS:
            return self._models(request.path, key, call)
        body = read_json(request, self.config.max_body_bytes)
        if call.route == ROUTE_CLASSIFY:
            return self._classify(parse_classify(body), key, call, completions=False)
        if call.route == ROUTE_EXTRACT:
            return self._extract(parse_classify(body, ROUTE_EXTRACT), key, call)
        classifier = self.tasks.get(str(body.get("model")))
        if call.route == ROUTE_COMPLETIONS and isinstance(classifier, Classifier):
            task = parse_task_completion(body, len(classifier.spec.labels))
            return self._classify(task, key, call, completions=True)
        parsed = parse_chat(body, self.limits) if call.route == ROUTE_CHAT else parse_completion(body, self.limits)
        if parsed.stream:
            self._admit_audit()
        return self._complete(parsed, key, call)

    # -- pieces ------------------------------------------------------------------------------------

    def _authenticate(self, headers: Mapping[str, str]) -> KeyInfo:
        value = headers.get("authorization", "")
        scheme, _, presented = value.partition(" ")
        presented = presented.strip()
        if scheme.lower() != "bearer" or not presented:
            raise ApiError(401, "missing API key; send the header 'Authorization: Bearer <key>'", "missing_api_key")
        key = self.keys.check(presented)
        if key is None:
            raise ApiError(401, "invalid API key; ask the appliance administrator for a valid one", "invalid_api_key")
        return key

    def _model_card(self, model_id: str) -> dict[str, Any]:
        backend = self.backends[model_id]
        card = {"id": model_id, "object": "model", "created": self.created, "owned_by": "appliance",
                "backend": backend.kind, "context_length": backend.context_length}
        task = self.tasks.get(model_id)
        if task is not None:
            card.update(task=task.spec.task, model_version=task.spec.version, run_id=task.spec.run_id)
        if isinstance(task, Classifier):
            card.update(labels=list(task.spec.labels), calibrated=task.spec.calibrate)
        if isinstance(task, Extractor):
            card.update(fields=list(task.spec.task_config.extract_fields))
        return card

    def _servable(self, model_id: str) -> bool:
        return self.gate is None or self.gate.refusal(model_id) is None

    def _models(self, path: str, key: KeyInfo, call: _Call) -> Reply:
        if path != ROUTE_MODELS:
            model_id = path[len(ROUTE_MODELS) + 1:]
            self._backend(model_id, key, call)
            return json_reply(200, self._model_card(model_id))
        cards = [self._model_card(m) for m in sorted(self.backends) if key.allows(m) and self._servable(m)]
        return json_reply(200, {"object": "list", "data": cards})

    def _backend(self, model_id: str, key: KeyInfo, call: _Call) -> Backend:
        backend = self.backends.get(model_id)
        if backend is None:
            call.model = "unknown"
            raise ApiError(404, "unknown model; GET /v1/models lists the models this key may use", "model_not_found",
                           "model")
        call.model = model_id
        if not key.allows(model_id):
            raise ApiError(403, f"this API key may not use model '{model_id}'", "model_not_allowed", "model")
        refusal = self.gate.refusal(model_id) if self.gate is not None else None
        if refusal is not None:
            raise ApiError(403, f"model '{model_id}' is no longer served: {refusal}", "model_withdrawn", "model")
        return backend

    def _task_model(self, req: TaskRequest, key: KeyInfo, call: _Call, kind: type[_TaskModel], what: str,
                    code: str) -> _TaskModel:
        """The served task model of ``req.model``, checked as ``_backend`` checks it, when it is a ``kind``;
        ``ApiError`` 404 with ``code`` when the run is not ``what`` the endpoint serves."""
        self._backend(req.model, key, call)
        found = self.tasks.get(req.model)
        if not isinstance(found, kind):
            raise ApiError(404, f"model '{req.model}' is not {what}; GET /v1/models shows each model's task", code,
                           "model")
        return found

    def _classify(self, req: TaskRequest, key: KeyInfo, call: _Call, completions: bool) -> Reply:
        """The task endpoint: label scoring exactly as the run was evaluated (see ``appliance.serve.tasks``)."""
        classifier = self._task_model(req, key, call, Classifier, "a classification run", "not_a_classifier")
        results: list[Classification] = classifier.classify(req.inputs)
        call.audit_prompts(results)
        call.completion_tokens = len(results)
        call.response_sha256 = sha256_text("\n".join(r.label for r in results))
        created = int(time.time())
        if completions:
            return json_reply(200, task_completion_response(call.request_id, classifier.spec, results, req.logprobs,
                                                       created))
        return json_reply(200, classify_response(call.request_id, classifier.spec, results, created))

    def _extract(self, req: TaskRequest, key: KeyInfo, call: _Call) -> Reply:
        """The task endpoint of an extraction run: greedy replies as evaluation makes them, parsed as it parses."""
        extractor = self._task_model(req, key, call, Extractor, "an extraction run", "not_an_extractor")
        results: list[Extraction] = extractor.extract(req.inputs)
        call.audit_prompts(results)
        call.response_sha256 = sha256_text("\n".join(r.text for r in results))
        return json_reply(200, extract_response(call.request_id, extractor.spec, results, int(time.time())))

    def _prompt(self, backend: Backend, req: CompletionRequest) -> tuple[str, list[int]]:
        """(the text hashed for the audit, the token ids the model sees)."""
        if req.chat:
            try:
                text = backend.render_chat(req.messages)
            except ChatTemplateError as exc:
                raise bad_request(str(exc).splitlines()[0], "messages", "chat_template_error") from None
            # The template writes any BOS itself; adding special tokens again would double it.
            return text, backend.encode(text, add_special_tokens=False)
        if req.prompt_ids is not None:
            return ",".join(map(str, req.prompt_ids)), list(req.prompt_ids)
        assert req.prompt is not None
        return req.prompt, backend.encode(req.prompt, add_special_tokens=True)

    def _max_tokens(self, backend: Backend, req: CompletionRequest, prompt_tokens: int) -> int:
        context = backend.context_length
        room = context - prompt_tokens if context else None
        if room is not None and room < 1:
            raise bad_request(f"the prompt is {prompt_tokens} tokens; this model's context is {context} tokens",
                              "messages" if req.chat else "prompt", "context_length_exceeded")
        if req.max_tokens is None:
            return min(self.limits.default_max_tokens, room) if room is not None else self.limits.default_max_tokens
        if room is not None and req.max_tokens > room:
            raise bad_request(f"prompt ({prompt_tokens} tokens) plus max_tokens ({req.max_tokens}) exceeds this "
                              f"model's context of {context} tokens", "max_tokens", "context_length_exceeded")
        return req.max_tokens

    def _complete(self, req: CompletionRequest, key: KeyInfo, call: _Call) -> Reply:
        backend = self._backend(req.model, key, call)
        prompt_text, prompt_ids = self._prompt(backend, req)
        if not prompt_ids:
            raise bad_request("the prompt encodes to no tokens", "prompt")
        call.prompt_sha256 = sha256_text(prompt_text)
        call.prompt_tokens = len(prompt_ids)
        max_tokens = self._max_tokens(backend, req, len(prompt_ids))
        if req.prompt_ids is not None and max(req.prompt_ids) >= len(backend.tokenizer):
            raise bad_request("'prompt' holds a token id outside this model's vocabulary", "prompt")
        slot = self._slots[id(backend)]
        if not slot.acquire(blocking=False):  # running + queued requests of this model at the bound
            raise ApiError(503, f"model '{req.model}' has a full queue; retry shortly", "model_busy")
        try:
            generation = backend.generate(prompt_ids, max_tokens, req.temperature, req.top_p, req.stop, req.seed,
                                          model_id=req.model)
        except BackendBusy:
            slot.release()
            raise ApiError(503, f"model '{req.model}' has a full queue; retry shortly", "model_busy") from None
        except BaseException:
            slot.release()
            raise
        if req.stream:
            return Reply(200, content_type="text/event-stream", headers=(("Cache-Control", "no-cache"),),
                         stream=self._stream(generation, req, call, slot.release))
        try:
            with generation:
                text = "".join(self._timed(generation, call))
        finally:
            slot.release()
        call.completion_tokens = generation.completion_tokens
        call.response_sha256 = sha256_text(text)
        payload = completion_response(call.request_id, req.model, req.chat, text, generation.finish_reason,
                                      generation.prompt_tokens, generation.completion_tokens)
        return json_reply(200, payload)

    def _stream(self, generation: Generation, req: CompletionRequest, call: _Call,
                release: Callable[[], None]) -> EventStream:
        text_parts: list[str] = []
        outcome = {"status": CLIENT_GONE}
        released: list[bool] = []

        def release_once() -> None:  # at the last token, so the client's next request finds the queue slot free
            if not released:
                released.append(True)
                release()

        def frames() -> Iterator[bytes]:
            created = int(time.time())
            try:
                if req.chat:
                    yield sse_frame(stream_chunk(call.request_id, req.model, True, created, role=True))
                for delta in self._timed(generation, call):
                    text_parts.append(delta)
                    yield sse_frame(stream_chunk(call.request_id, req.model, req.chat, created, delta))
                release_once()
                yield sse_frame(stream_chunk(call.request_id, req.model, req.chat, created,
                                        finish_reason=generation.finish_reason))
                if req.include_usage:
                    yield sse_frame(usage_chunk(call.request_id, req.model, req.chat, created, generation.prompt_tokens,
                                           generation.completion_tokens))
                outcome["status"] = 200
                call.completion_tokens = generation.completion_tokens
                call.response_sha256 = sha256_text("".join(text_parts))
                if not self._finish(call, 200):  # fail closed: no [DONE] for a request the audit lacks
                    outcome["status"] = 503
                    yield sse_frame(_AUDIT_UNAVAILABLE.body())
                    return
                yield b"data: [DONE]\n\n"
            except Exception as exc:  # headers are sent: report in the stream, record as a server error
                outcome["status"] = 500
                log.error("stream failed on %s: %s", call.route, type(exc).__name__)
                yield sse_frame(ApiError(500, "generation failed", "internal_error").body())

        def cleanup() -> None:
            generation.close()  # frees the model at once when the client left mid-stream
            release_once()
            call.completion_tokens = generation.completion_tokens
            call.response_sha256 = sha256_text("".join(text_parts))
            self._finish(call, outcome["status"])
            self._leave()

        return EventStream(frames(), cleanup)

    @staticmethod
    def _timed(generation: Generation, call: _Call) -> Iterator[str]:
        """The generation's text deltas, noting when the first and the last arrived (for the latency metrics)."""
        for delta in generation:
            now = time.perf_counter()
            if call.first_token is None:
                call.first_token = now
            call.last_token = now
            yield delta

    def _admit_audit(self) -> None:
        """503 before a stream starts when its audit record could not be spooled at its end."""
        admit = getattr(self.sink, "admit", None)
        if admit is not None:
            try:
                admit()
            except AuditUnavailable:
                raise _AUDIT_UNAVAILABLE from None

    def _finish(self, call: _Call, status: int) -> bool:
        """Count the request, log it and make its audit record durable. False when the record could not be
        made durable: the caller then answers 503 instead (the audit fails closed).

        Unauthenticated attempts are not each written to the chain (a flood of them would fill it): they
        are counted, and one record per ``unauthenticated_sample_s`` carries the attempts since the last."""
        if call.finished:
            return True
        call.finished = True
        seconds = time.perf_counter() - call.started
        model = call.model or ""
        record: RequestRecord | None = None
        if call.route not in (ROUTE_HEALTH, ROUTE_OPENAPI):  # public, fixed answers: nothing to audit
            attempts = self._unauthenticated.attempt() if status == 401 else 1
            if attempts:
                record = RequestRecord(
                    key_name=call.key_name, model=model, route=call.route, prompt_tokens=call.prompt_tokens,
                    completion_tokens=call.completion_tokens, latency_ms=round(seconds * 1000, 3),
                    prompt_sha256=call.prompt_sha256, response_sha256=call.response_sha256, status=status,
                    request_id=call.request_id, time=call.arrived, attempts=attempts)
        durable = True
        if record is not None:
            try:
                self.sink.record(record)
            except AuditUnavailable:
                durable, status = False, 503
        self.metrics.observe(model, call.route, status, seconds, call.prompt_tokens, call.completion_tokens)
        if call.first_token is not None and call.route in (ROUTE_CHAT, ROUTE_COMPLETIONS):
            self.metrics.observe_generation(model, call.first_token - call.started, call.last_token - call.first_token,
                                            call.completion_tokens)
        log.info("%s %d model=%s key=%s prompt_tokens=%d completion_tokens=%d %.1fms", call.route, status,
                 model or "-", call.key_name or "-", call.prompt_tokens, call.completion_tokens, seconds * 1000)
        return durable


_AUDIT_UNAVAILABLE = ApiError(503, "the request could not be audited; retry shortly", "audit_unavailable")


def _audit_unavailable() -> Reply:
    return json_reply(503, _AUDIT_UNAVAILABLE.body(), (("Retry-After", "1"),))
