"""What the API generates: greedy outputs equal the model's own ``generate``, for every backend kind;
streaming equals non-streaming; stop strings, max_tokens, seeds; adapters chosen by ``model``."""

from __future__ import annotations

import pytest

from .client import post
from .tiny import ADAPTERS

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
MESSAGES = [{"role": "system", "content": "You triage referrals."},
            {"role": "user", "content": "Chest pain and shortness of breath since this morning."}]
PROMPT = "The patient was seen in clinic today for"
N = 24


@pytest.fixture(scope="module")
def reference_models(exports):
    """The exported models loaded directly, as their users would without the server."""
    from optimum.onnxruntime import ORTModelForCausalLM
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(exports.merged, local_files_only=True)
    models = {"tiny": AutoModelForCausalLM.from_pretrained(exports.merged, local_files_only=True).eval(),
              "tiny-onnx": ORTModelForCausalLM.from_pretrained(exports.onnx, local_files_only=True)}
    for name, path in exports.adapters.items():
        base = AutoModelForCausalLM.from_pretrained(exports.merged, local_files_only=True)
        models[name] = PeftModel.from_pretrained(base, path).eval()
    return tokenizer, models


def direct_greedy(reference_models, model_id: str, ids: list[int], max_new_tokens: int = N) -> str:
    import torch

    tokenizer, models = reference_models
    input_ids = torch.tensor([ids])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on a busy 2-core machine runs far faster on one thread
    try:
        out = models[model_id].generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                        max_new_tokens=max_new_tokens, do_sample=False,
                                        pad_token_id=tokenizer.pad_token_id)
    finally:
        torch.set_num_threads(threads)
    new = out[0, len(ids):].tolist()
    return tokenizer.decode(new, skip_special_tokens=True)


def chat(server, model: str, **extra):
    body = {"model": model, "messages": MESSAGES, "max_tokens": N, "temperature": 0, **extra}
    return post(server.url, CHAT, body)


def complete(server, model: str, **extra):
    body = {"model": model, "prompt": PROMPT, "max_tokens": N, "temperature": 0, **extra}
    return post(server.url, COMPLETIONS, body)


@pytest.mark.parametrize("model", ["tiny", "tiny-onnx", *ADAPTERS])
def test_greedy_completion_equals_the_model_called_directly(server, reference_models, model) -> None:
    tokenizer, _ = reference_models
    resp = complete(server, model)
    assert resp.status == 200, resp.raw
    body = resp.json()
    ids = tokenizer.encode(PROMPT)
    assert body["choices"][0]["text"] == direct_greedy(reference_models, model, ids)
    assert body["object"] == "text_completion" and body["model"] == model and body["id"].startswith("cmpl-")
    assert body["usage"]["prompt_tokens"] == len(ids)
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]


@pytest.mark.parametrize("model", ["tiny", "tiny-onnx", *ADAPTERS])
def test_greedy_chat_equals_the_model_called_directly(server, reference_models, model) -> None:
    tokenizer, _ = reference_models
    resp = chat(server, model)
    assert resp.status == 200, resp.raw
    body = resp.json()
    ids = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=True)
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": direct_greedy(reference_models, model, ids)}
    assert choice["index"] == 0 and choice["finish_reason"] in ("stop", "length")
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["usage"]["prompt_tokens"] == len(ids)
    assert isinstance(body["created"], int)


def test_two_adapters_differ_and_model_picks_one(server) -> None:
    outputs = {m: chat(server, m).json()["choices"][0]["message"]["content"] for m in ("tiny", *ADAPTERS)}
    assert len(set(outputs.values())) == 3, outputs
    # Interleaved requests still get their own adapter (the switch happens per request).
    for model in (ADAPTERS[1], ADAPTERS[0], "tiny", ADAPTERS[1]):
        assert chat(server, model).json()["choices"][0]["message"]["content"] == outputs[model]


def test_token_id_prompt_equals_text_prompt(server, reference_models) -> None:
    tokenizer, _ = reference_models
    ids = tokenizer.encode(PROMPT)
    by_ids = post(server.url, COMPLETIONS, {"model": "tiny", "prompt": ids, "max_tokens": N, "temperature": 0})
    assert by_ids.json()["choices"][0]["text"] == complete(server, "tiny").json()["choices"][0]["text"]


@pytest.mark.parametrize("path", [CHAT, COMPLETIONS])
@pytest.mark.parametrize("model", ["tiny", "tiny-onnx", ADAPTERS[0]])
def test_stream_equals_non_stream(server, path, model) -> None:
    send = chat if path == CHAT else complete
    whole = send(server, model).json()
    resp = send(server, model, stream=True, stream_options={"include_usage": True})
    assert resp.status == 200
    assert resp.headers["content-type"] == "text/event-stream"
    events = resp.events()
    assert events[-1] == "[DONE]"
    assert resp.raw.endswith(b"data: [DONE]\n\n")
    chunks, usage = events[:-2], events[-2]
    assert usage["choices"] == [] and usage["usage"] == whole["usage"]
    assert len({c["id"] for c in chunks}) == 1
    expected_object = "chat.completion.chunk" if path == CHAT else "text_completion"
    assert {c["object"] for c in chunks} == {expected_object}
    if path == CHAT:
        assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert text == whole["choices"][0]["message"]["content"]
    else:
        text = "".join(c["choices"][0]["text"] for c in chunks)
        assert text == whole["choices"][0]["text"]
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == whole["choices"][0]["finish_reason"]
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    assert len(chunks) > 3  # really streamed, not one chunk


def test_stream_without_usage_option_has_no_usage_chunk(server) -> None:
    events = chat(server, "tiny", stream=True).events()
    assert events[-1] == "[DONE]"
    assert all("usage" not in e for e in events[:-1])


def test_max_tokens_ends_with_length(server) -> None:
    body = complete(server, "tiny", max_tokens=5).json()
    full = complete(server, "tiny").json()
    if full["choices"][0]["finish_reason"] == "length" or full["usage"]["completion_tokens"] > 5:
        assert body["choices"][0]["finish_reason"] == "length"
        assert body["usage"]["completion_tokens"] == 5
        assert full["choices"][0]["text"].startswith(body["choices"][0]["text"])


def test_default_max_tokens_applies(server) -> None:
    body = post(server.url, COMPLETIONS, {"model": "tiny", "prompt": PROMPT, "temperature": 0}).json()
    assert body["usage"]["completion_tokens"] <= 16  # the test server's default_max_tokens


@pytest.mark.parametrize("stream", [False, True])
def test_stop_string_cuts_the_output(server, stream) -> None:
    full = complete(server, "tiny", max_tokens=40).json()["choices"][0]["text"]
    stop = full[10:13]
    assert len(stop) == 3 and stop not in full[:10]
    resp = complete(server, "tiny", max_tokens=40, stop=[stop, "never-appears"], stream=stream)
    if stream:
        chunks = resp.events()[:-1]
        text = "".join(c["choices"][0]["text"] for c in chunks)
        finish = chunks[-1]["choices"][0]["finish_reason"]
    else:
        text, finish = resp.json()["choices"][0]["text"], resp.json()["choices"][0]["finish_reason"]
    assert text == full[:full.index(stop)]
    assert finish == "stop"


def test_seeded_sampling_repeats_and_differs_from_greedy(server) -> None:
    sampled = [complete(server, "tiny", temperature=1.0, top_p=0.9, seed=1234).json()["choices"][0]["text"]
               for _ in range(2)]
    assert sampled[0] == sampled[1]
    others = {complete(server, "tiny", temperature=1.5, seed=s).json()["choices"][0]["text"] for s in range(4)}
    assert len(others) > 1
