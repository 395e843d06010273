"""OpenAI request parsing and response shapes for /v1/completions and /v1/chat/completions.

``parse_chat`` / ``parse_completion`` turn a decoded JSON body into a ``CompletionRequest`` or raise a
400 ``ApiError`` naming the offending parameter. Parameters this server cannot honour (n > 1,
logprobs, tools, penalties...) are rejected when set to anything but their neutral value, rather than
ignored: a caller must not get a different kind of answer than it asked for without knowing.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appliance.serve.errors import bad_request

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})

# Parameter -> values that mean "not used"; anything else is refused.
_NEUTRAL: dict[str, tuple[Any, ...]] = {
    "n": (None, 1), "best_of": (None, 1), "logprobs": (None, False, 0), "top_logprobs": (None, 0),
    "echo": (None, False), "suffix": (None, ""), "presence_penalty": (None, 0, 0.0),
    "frequency_penalty": (None, 0, 0.0), "logit_bias": (None, {}), "tools": (None, []), "functions": (None, []),
    "tool_choice": (None, "none", "auto"), "function_call": (None, "none", "auto"),
}


@dataclass(frozen=True)
class Limits:
    max_tokens: int
    default_max_tokens: int
    max_stop: int


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    chat: bool
    messages: tuple[dict[str, str], ...] = ()
    prompt: str | None = None
    prompt_ids: tuple[int, ...] | None = None
    max_tokens: int | None = None  # None: the server's default, capped by the context
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    stream: bool = False
    include_usage: bool = False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _common(body: Mapping[str, Any], limits: Limits) -> dict[str, Any]:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required and must be a string", "model")
    for name, neutral in _NEUTRAL.items():
        value = body.get(name)
        if not any(value == n and type(value) is type(n) for n in neutral) and value is not None:
            raise bad_request(f"'{name}' is not supported by this server; leave it out", name, "unsupported_parameter")
    response_format = body.get("response_format")
    if response_format is not None and (not isinstance(response_format, dict) or response_format.get("type") != "text"):
        raise bad_request("only response_format {'type': 'text'} is supported", "response_format",
                          "unsupported_parameter")

    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None:
        if not _is_int(max_tokens) or max_tokens < 1:
            raise bad_request("'max_tokens' must be a positive integer", "max_tokens")
        if max_tokens > limits.max_tokens:
            raise bad_request(f"'max_tokens' is {max_tokens}; this server allows at most {limits.max_tokens}",
                              "max_tokens")
    temperature = body.get("temperature", 1.0)
    if temperature is None:
        temperature = 1.0
    if not _is_number(temperature) or not 0 <= temperature <= 2:
        raise bad_request("'temperature' must be a number from 0 to 2", "temperature")
    top_p = body.get("top_p", 1.0)
    if top_p is None:
        top_p = 1.0
    if not _is_number(top_p) or not 0 < top_p <= 1:
        raise bad_request("'top_p' must be a number greater than 0 and at most 1", "top_p")
    stop = body.get("stop")
    stops: tuple[str, ...]
    if stop is None:
        stops = ()
    elif isinstance(stop, str):
        stops = (stop,)
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        stops = tuple(stop)
    else:
        raise bad_request("'stop' must be a string or a list of strings", "stop")
    if len(stops) > limits.max_stop or any(not s for s in stops):
        raise bad_request(f"'stop' takes 1 to {limits.max_stop} non-empty strings", "stop")
    seed = body.get("seed")
    if seed is not None and (not _is_int(seed) or not -(2**63) <= seed < 2**64):
        raise bad_request("'seed' must be an integer", "seed")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad_request("'stream' must be true or false", "stream")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict) or not isinstance(options.get("include_usage", False), bool):
            raise bad_request("'stream_options' must be an object like {'include_usage': true}", "stream_options")
        include_usage = bool(options.get("include_usage", False))
    return {"model": model, "max_tokens": max_tokens, "temperature": float(temperature), "top_p": float(top_p),
            "stop": stops, "seed": seed % 2**63 if seed is not None else None, "stream": stream,
            "include_usage": include_usage}


def _message_text(content: Any, index: int) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise bad_request(f"messages[{index}]: only text content parts are supported", "messages")
            parts.append(part["text"])
        return "".join(parts)
    raise bad_request(f"messages[{index}].content must be a string or a list of text parts", "messages")


def parse_chat(body: Mapping[str, Any], limits: Limits) -> CompletionRequest:
    common = _common(body, limits)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty list", "messages")
    parsed = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise bad_request(f"messages[{i}] must be an object", "messages")
        role = message.get("role")
        if role not in ROLES:
            raise bad_request(f"messages[{i}].role must be one of {', '.join(sorted(ROLES))}", "messages")
        parsed.append({"role": str(role), "content": _message_text(message.get("content"), i)})
    return CompletionRequest(chat=True, messages=tuple(parsed), **common)


def parse_completion(body: Mapping[str, Any], limits: Limits) -> CompletionRequest:
    common = _common(body, limits)
    prompt = body.get("prompt")
    # A batch of one is accepted (clients often wrap the prompt); larger batches would need n > 1 semantics.
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str | list):
        prompt = prompt[0]
    if isinstance(prompt, str):
        if not prompt:
            raise bad_request("'prompt' must not be empty", "prompt")
        return CompletionRequest(chat=False, prompt=prompt, **common)
    if isinstance(prompt, list) and prompt and all(_is_int(t) and t >= 0 for t in prompt):
        return CompletionRequest(chat=False, prompt_ids=tuple(prompt), **common)
    raise bad_request("'prompt' must be a non-empty string, a list of token ids, or a list with one of those",
                      "prompt")


def new_id(chat: bool) -> str:
    return ("chatcmpl-" if chat else "cmpl-") + secrets.token_hex(12)


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def completion_response(request_id: str, model: str, chat: bool, text: str, finish_reason: str | None,
                        prompt_tokens: int, completion_tokens: int, created: int | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish_reason, "logprobs": None}
    if chat:
        choice["message"] = {"role": "assistant", "content": text}
    else:
        choice["text"] = text
    return {"id": request_id, "object": "chat.completion" if chat else "text_completion",
            "created": created or int(time.time()), "model": model, "choices": [choice],
            "usage": usage(prompt_tokens, completion_tokens)}


def stream_chunk(request_id: str, model: str, chat: bool, created: int, text: str | None = None,
                 finish_reason: str | None = None, role: bool = False) -> dict[str, Any]:
    """One SSE chunk. Chat: the first carries the role, then content deltas, then an empty delta with
    the finish reason. Completions: text pieces, the last with the finish reason."""
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish_reason, "logprobs": None}
    if chat:
        delta: dict[str, Any] = {}
        if role:
            delta["role"] = "assistant"
            delta["content"] = ""
        if text:
            delta["content"] = text
        choice["delta"] = delta
    else:
        choice["text"] = text or ""
    return {"id": request_id, "object": "chat.completion.chunk" if chat else "text_completion",
            "created": created, "model": model, "choices": [choice]}


def usage_chunk(request_id: str, model: str, chat: bool, created: int, prompt_tokens: int,
                completion_tokens: int) -> dict[str, Any]:
    return {"id": request_id, "object": "chat.completion.chunk" if chat else "text_completion",
            "created": created, "model": model, "choices": [], "usage": usage(prompt_tokens, completion_tokens)}
