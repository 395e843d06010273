"""The task endpoint: a classification run served exactly as it was evaluated and approved.

A classification run is evaluated by scoring every label's reply under the run's own prompt (its
training template, `appliance.data.tasks.build_prompt`) and taking the most likely label, optionally
after contextual calibration. Serving the same run as free-text generation would hand an EHR tool a
different classifier from the one the reviewer approved. So for every served model whose run's task is
``classify`` the server answers

- ``POST /v1/classify`` ``{"model", "input": "note" | ["note", ...]}`` with each input's label, every
  label's probability and the model version, and
- ``POST /v1/completions`` with that model: ``prompt`` is the note, the reply's ``text`` is the label
  and, when ``logprobs`` is asked, ``top_logprobs`` hold the labels' log-probabilities,

both through `appliance.evaluate.label_scoring.LabelScorer`, the object evaluation uses: the same
prompt, label replies, scoring and calibration code, not a copy of it. The parity test serves a run's
export and checks that its answers on the run's test split equal the stored evaluation's predictions.

Hazards:
- Scoring needs the backend's model to itself (adapter switch, KV cache): it runs under the backend's
  generation lock (`exclusive_model`), so a classification waits for a running generation to end.
- Inputs are notes (PHI): never logged; the audit gets the SHA-256 of the prompts the model saw.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from appliance.data.tasks import TaskConfig
from appliance.errors import UsageError
from appliance.evaluate.label_scoring import LabelScorer
from appliance.serve.errors import bad_request

MAX_INPUTS = 32  # notes per request; each is a full forward of the model


@dataclass(frozen=True)
class TaskSpec:
    """What the run says about how it is answered: its task, task settings, calibration and version."""

    model_id: str
    run_id: str
    task: str
    task_config: TaskConfig
    calibrate: bool = False
    version: str = ""  # the approval, "name@vN"

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.task_config.label_set)


@dataclass(frozen=True)
class Classification:
    label: str
    probabilities: dict[str, float]  # every label, in the run's label order
    log_probs: dict[str, float]
    prompt_tokens: int
    prompt_text: str  # the prompt the model saw (hashed for the audit, never logged)


class _OrtForScoring:
    """An ``ORTModelForCausalLM`` behind the small part of the torch model interface label scoring uses.

    It hands back no KV cache, so `score_replies` takes its unshared path (one batched forward of prompt
    plus reply per label), which is the reference the shared path is tested against."""

    training = False

    def __init__(self, model: Any) -> None:
        self._model = model

    def eval(self) -> _OrtForScoring:
        return self

    def train(self, mode: bool = True) -> _OrtForScoring:
        return self

    def modules(self) -> Iterator[Any]:
        return iter(())

    def parameters(self) -> Iterator[Any]:
        return iter(())

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **_: Any) -> Any:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        out = self._model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        return SimpleNamespace(logits=out.logits, past_key_values=None)

    __call__ = forward

    def generate(self, **kwargs: Any) -> Any:
        return self._model.generate(**kwargs)


@contextlib.contextmanager
def exclusive_model(backend: Any, model_id: str) -> Iterator[None]:
    """Hold ``backend``'s model for ``model_id`` alone (its generation lock, its adapter active).

    A backend may offer this itself as ``exclusive(model_id)``; otherwise the lock and adapter switch of
    `CausalLMBackend` are used."""
    own = getattr(backend, "exclusive", None)
    if own is not None:
        with own(model_id):
            yield
        return
    lock = getattr(backend, "_generate_lock", None) or threading.Lock()
    activate = getattr(backend, "_activate", None)
    with lock, (activate(model_id) if activate is not None else contextlib.nullcontext()):
        yield


def scoring_model(backend: Any) -> Any:
    """The object label scoring calls: the backend's torch model, or its ONNX session wrapped."""
    model = getattr(backend, "_model", None)
    if model is None:
        raise UsageError(f"a {getattr(backend, 'kind', '?')} backend offers no model to score labels with")
    return _OrtForScoring(model) if getattr(backend, "kind", "") == "onnx" else model


class Classifier:
    """Label scoring for one served classification run (one model id of one backend)."""

    def __init__(self, backend: Any, spec: TaskSpec) -> None:
        if spec.task != "classify":
            raise UsageError(f"run {spec.run_id} is a {spec.task} run; only classify runs have a label endpoint")
        if not spec.labels:
            raise UsageError(f"run {spec.run_id} has no label set to score")
        self.backend = backend
        self.spec = spec
        self.scorer = LabelScorer(scoring_model(backend), backend.tokenizer, spec.task, spec.task_config,
                                  spec.labels)

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        field = self.spec.task_config.text_field
        records = [{field: text} for text in texts]
        # The tokenizer is the backend's, shared with requests being encoded in other threads: it is
        # used under the backend's tokenizer lock (taken after the model's, the order generation uses).
        tokenizer_lock = getattr(self.backend, "_tokenizer_lock", None) or contextlib.nullcontext()
        with exclusive_model(self.backend, self.spec.model_id), tokenizer_lock:
            prompts = [self.scorer.prompts.prompt(r) for r in records]
            texts_seen = [self.backend.tokenizer.decode(ids) for ids in prompts]
            scored = self.scorer.predict_scores(records, calibrate=self.spec.calibrate)
        out = []
        for i, ids in enumerate(prompts):
            row = np.asarray(scored.log_probs[i], dtype=np.float64)
            log_probs = {label: float(v) for label, v in zip(self.spec.labels, row, strict=True)}
            out.append(Classification(scored.labels[i], {k: float(np.exp(v)) for k, v in log_probs.items()},
                                      log_probs, len(ids), texts_seen[i]))
        return out


EXTRACT_MAX_NEW_TOKENS = 128  # what evaluation reserves and generates for an extraction (predict's default)


@dataclass(frozen=True)
class Extraction:
    fields: dict[str, Any] | None  # the requested fields, None when the reply is not a JSON object
    text: str  # the reply as generated
    prompt_tokens: int
    prompt_text: str


class Extractor:
    """Greedy extraction for one served ``extract`` run, through evaluation's own ``predict`` (same prompt,
    same reserve, same greedy decoding) and its JSON parsing."""

    def __init__(self, backend: Any, spec: TaskSpec) -> None:
        if spec.task != "extract":
            raise UsageError(f"run {spec.run_id} is a {spec.task} run, not an extraction")
        self.backend = backend
        self.spec = spec
        self.model = scoring_model(backend)

    def extract(self, texts: Sequence[str]) -> list[Extraction]:
        from appliance.data.tasks import build_prompt
        from appliance.evaluate.metrics import parse_json_object
        from appliance.evaluate.predict import predict

        config = self.spec.task_config
        records = [{config.text_field: text} for text in texts]
        tokenizer = self.backend.tokenizer
        tokenizer_lock = getattr(self.backend, "_tokenizer_lock", None) or contextlib.nullcontext()
        with exclusive_model(self.backend, self.spec.model_id), tokenizer_lock:
            prompts = [build_prompt("extract", r, tokenizer, config, reserve=EXTRACT_MAX_NEW_TOKENS) for r in records]
            seen = [tokenizer.decode(ids) for ids in prompts]
            replies = predict(self.model, tokenizer, "extract", config, records, max_new_tokens=EXTRACT_MAX_NEW_TOKENS)
        out = []
        for reply, ids, text in zip(replies, prompts, seen, strict=True):
            parsed = parse_json_object(reply)
            fields = {f: parsed.get(f) for f in config.extract_fields} if parsed is not None else None
            out.append(Extraction(fields, reply, len(ids), text))
        return out


def task_endpoint(backend: Any, spec: TaskSpec) -> Classifier | Extractor:
    """The task endpoint of a served run: label scoring for classify, greedy extraction for extract."""
    return Classifier(backend, spec) if spec.task == "classify" else Extractor(backend, spec)


def extract_response(request_id: str, spec: TaskSpec, results: Sequence[Extraction], created: int) -> dict[str, Any]:
    return {"id": request_id, "object": "extraction", "created": created, "model": spec.model_id,
            "model_version": spec.version, "run_id": spec.run_id, "fields": list(spec.task_config.extract_fields),
            "data": [{"index": i, "fields": r.fields, "valid_json": r.fields is not None, "text": r.text}
                     for i, r in enumerate(results)],
            "usage": {"prompt_tokens": sum(r.prompt_tokens for r in results)}}


# -- request parsing -------------------------------------------------------------------------------


def _inputs(value: Any, name: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise bad_request(f"'{name}' must be a non-empty string or a list of non-empty strings", name)
    if len(items) > MAX_INPUTS:
        raise bad_request(f"'{name}' holds {len(items)} notes; send at most {MAX_INPUTS} per request", name)
    return list(items)


@dataclass(frozen=True)
class TaskRequest:
    model: str
    inputs: list[str]
    logprobs: int | None = None  # completions shape: how many labels' log-probabilities to list


def parse_classify(body: Mapping[str, Any], route: str = "/v1/classify") -> TaskRequest:
    """``{"model", "input"}`` of /v1/classify and /v1/extract."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required and must be a string", "model")
    unknown = sorted(set(body) - {"model", "input", "user"})
    if unknown:
        raise bad_request(f"'{unknown[0]}' is not a parameter of {route} (model, input)", unknown[0],
                          "unsupported_parameter")
    return TaskRequest(model, _inputs(body.get("input"), "input"))


# Completions parameters that change nothing in a scored answer, and those that cannot be honoured.
_IGNORED = frozenset({"model", "prompt", "logprobs", "max_tokens", "max_completion_tokens", "temperature", "top_p",
                      "seed", "user", "n", "stream"})


def parse_task_completion(body: Mapping[str, Any], labels: int) -> TaskRequest:
    """``/v1/completions`` for a classification model: the prompt is the note, the answer its label."""
    model = str(body.get("model"))
    for name in sorted(set(body) - _IGNORED):
        if body[name] not in (None, False, 0, "", [], {}):
            raise bad_request(f"'{name}' does not apply to a classification model; leave it out", name,
                              "unsupported_parameter")
    if body.get("stream"):
        raise bad_request("a classification is answered at once; leave 'stream' out", "stream",
                          "unsupported_parameter")
    if body.get("n") not in (None, 1):
        raise bad_request("'n' must be 1 for a classification model", "n", "unsupported_parameter")
    logprobs = body.get("logprobs")
    if logprobs is not None and (isinstance(logprobs, bool) or not isinstance(logprobs, int) or logprobs < 0):
        raise bad_request("'logprobs' must be a non-negative integer", "logprobs")
    return TaskRequest(model, _inputs(body.get("prompt"), "prompt"), min(int(logprobs), labels) if logprobs else None)


def classify_response(request_id: str, spec: TaskSpec, results: Sequence[Classification],
                      created: int) -> dict[str, Any]:
    return {"id": request_id, "object": "classification", "created": created, "model": spec.model_id,
            "model_version": spec.version, "run_id": spec.run_id, "labels": list(spec.labels),
            "calibrated": spec.calibrate,
            "data": [{"index": i, "label": r.label, "probabilities": r.probabilities} for i, r in enumerate(results)],
            "usage": {"prompt_tokens": sum(r.prompt_tokens for r in results), "total_tokens":
                      sum(r.prompt_tokens for r in results)}}


def task_completion_response(request_id: str, spec: TaskSpec, results: Sequence[Classification], logprobs: int | None,
                             created: int) -> dict[str, Any]:
    choices = []
    for i, r in enumerate(results):
        choice: dict[str, Any] = {"index": i, "text": r.label, "finish_reason": "stop", "logprobs": None,
                                  "probabilities": r.probabilities}
        if logprobs:
            top = sorted(r.log_probs.items(), key=lambda kv: -kv[1])[:logprobs]
            choice["logprobs"] = {"tokens": [r.label], "token_logprobs": [r.log_probs[r.label]],
                                  "top_logprobs": [dict(top)], "text_offset": [0]}
        choices.append(choice)
    prompt_tokens = sum(r.prompt_tokens for r in results)
    return {"id": request_id, "object": "text_completion", "created": created, "model": spec.model_id,
            "model_version": spec.version, "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(results),
                      "total_tokens": prompt_tokens + len(results)}}
