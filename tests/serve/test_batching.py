"""Continuous batching: requests decoded together give what each gives alone, on torch and ONNX.

The reference is the unbatched decode loop (`decode_loop`, batch 1, no padding) over the model called
directly, so a left-padding, attention-mask or position-id mistake in the batch shows as a different
greedy output. Prompts have different lengths so that every batch is padded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import torch

from appliance.serve.backends import BackendBusy, CausalLMBackend, OnnxBackend, TorchBackend
from appliance.serve.backends.decoding import Generation, SamplingParams, decode_loop

from .tiny import build_model, build_tokenizer

TEXTS = ["The patient", "Assessment: stable angina. Plan: start aspirin, follow up",
         "Triage note: urgent referral to neurology", "Discharge summary: pneumonia treated with antibiotics, oxygen"]
N = 30


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on a busy 2-core machine runs far faster on one thread
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def torch_case():
    tokenizer = build_tokenizer()
    model = build_model(tokenizer)
    backend = TorchBackend(model, tokenizer, model_id="tiny")
    yield backend, model
    backend.close()


@pytest.fixture(scope="module")
def onnx_case(exports):
    from optimum.onnxruntime import ORTModelForCausalLM

    backend = OnnxBackend.from_dir(exports.onnx, "tiny-onnx")
    assert backend._decoder is not None  # the IO-binding path, the one served on CPU
    yield backend, ORTModelForCausalLM.from_pretrained(exports.onnx, local_files_only=True, use_cache=True)
    backend.close()


@pytest.fixture(params=["torch", "onnx"])
def case(request):
    return request.getfixturevalue(f"{request.param}_case")


def unbatched(backend: Any, model: Any, ids: list[int], params: SamplingParams) -> tuple[str, Generation]:
    """The batch-1 decode loop over the model itself: no scheduler, no padding."""
    def forward(input_ids: torch.Tensor, mask: torch.Tensor, past: Any) -> tuple[torch.Tensor, Any]:
        with torch.inference_mode():
            out = model(input_ids=input_ids, attention_mask=mask, past_key_values=past, use_cache=True)
        return out.logits[0, -1], out.past_key_values

    state = Generation(len(ids))
    return "".join(decode_loop(forward, ids, params, backend._eos_ids, backend.decode, state)), state


def run_together(generations: list[Generation]) -> list[str]:
    """Consume every generation in its own thread, as the server's request threads do."""
    out = [""] * len(generations)

    def consume(i: int) -> None:
        out[i] = "".join(generations[i])

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(len(generations))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return out


def prompts(backend: Any) -> list[list[int]]:
    ids = [backend.encode(text) for text in TEXTS]
    assert len({len(i) for i in ids}) == len(ids)  # every length differs: the batch is padded
    return ids


def test_batched_greedy_equals_unbatched(case) -> None:
    backend, model = case
    ids = prompts(backend)
    expected = [unbatched(backend, model, p, SamplingParams(N, 0))[0] for p in ids]
    steps, rows = backend.scheduler.steps, backend.scheduler.rows_stepped
    generations = [backend.generate(p, N, temperature=0) for p in ids]  # queued before the thread admits them
    assert run_together(generations) == expected
    assert all(g.finish_reason in ("stop", "length") for g in generations)
    assert [g.completion_tokens for g in generations] == [
        unbatched(backend, model, p, SamplingParams(N, 0))[1].completion_tokens for p in ids]
    # They shared steps: more rows were decoded than steps were run.
    assert backend.scheduler.rows_stepped - rows > backend.scheduler.steps - steps


def test_request_joining_a_running_batch_equals_unbatched(case) -> None:
    backend, model = case
    ids = prompts(backend)
    first = backend.generate(ids[3], N, temperature=0)
    head = next(first)  # the first request is decoding when the others arrive
    later = [backend.generate(p, N, temperature=0) for p in ids[:3]]
    texts = run_together([first, *later])
    texts[0] = head + texts[0]
    assert texts == [unbatched(backend, model, p, SamplingParams(N, 0))[0] for p in [ids[3], *ids[:3]]]


def test_sampling_params_stay_per_request(case) -> None:
    backend, model = case
    ids = prompts(backend)
    seeded = SamplingParams(N, temperature=0.9, top_p=0.8, seed=11)
    stop_word = unbatched(backend, model, ids[1], SamplingParams(N, 0))[0][5:8]
    stopped = SamplingParams(N, 0, stop=(stop_word,))
    alone = [unbatched(backend, model, ids[0], seeded)[0], unbatched(backend, model, ids[1], stopped)[0],
             unbatched(backend, model, ids[2], SamplingParams(N, 0))[0]]
    assert stop_word not in alone[1]
    together = run_together([
        backend.generate(ids[0], N, temperature=0.9, top_p=0.8, seed=11),
        backend.generate(ids[1], N, temperature=0, stop=[stop_word]),
        backend.generate(ids[2], N, temperature=0)])
    assert together == alone


def test_chat_prompts_reuse_the_template_opening_and_equal_unbatched(case) -> None:
    backend, model = case
    ids = [backend.encode(backend.render_chat([{"role": "user", "content": text}]), add_special_tokens=False)
           for text in TEXTS]
    opening = backend.scheduler._prefixes[0]
    assert all(tuple(p[:len(opening)]) == opening for p in ids)
    expected = [unbatched(backend, model, p, SamplingParams(N, 0))[0] for p in ids]
    reused = backend.scheduler.prefix_tokens_reused
    assert run_together([backend.generate(p, N, temperature=0) for p in ids]) == expected
    # The opening's KV is computed once (maybe in an earlier test) and reused by the rest.
    assert backend.scheduler.prefix_tokens_reused - reused >= (len(ids) - 1) * len(opening)


def test_closing_one_request_leaves_the_others_running(case) -> None:
    backend, model = case
    ids = prompts(backend)
    leaving = backend.generate(ids[0], 200, temperature=0)
    staying = backend.generate(ids[2], N, temperature=0)
    assert next(leaving)
    leaving.close()
    assert list(leaving) == []
    assert "".join(staying) == unbatched(backend, model, ids[2], SamplingParams(N, 0))[0]
    wait_for(lambda: backend.scheduler.running == 0)


def test_exclusive_use_pauses_the_batch_between_steps(torch_case) -> None:
    import time

    backend, model = torch_case
    ids = prompts(backend)[2]
    generation = backend.generate(ids, N, temperature=0)
    head = next(generation)
    with backend.exclusive("tiny"):
        steps = backend.scheduler.steps
        time.sleep(0.3)  # room for steps to run, were they not held
        assert backend.scheduler.steps <= steps + 1  # at most the step under way when the lock was taken
    assert head + "".join(generation) == unbatched(backend, model, ids, SamplingParams(N, 0))[0]


def test_dropped_generation_frees_its_row(torch_case) -> None:
    backend, _ = torch_case
    generation = backend.generate(backend.encode(TEXTS[1]), 400, temperature=0)
    next(generation)
    del generation  # never closed: garbage collection ends it
    import gc

    gc.collect()
    wait_for(lambda: backend.scheduler.running == 0)


def test_full_queue_raises_busy() -> None:
    tokenizer = build_tokenizer()
    backend = TorchBackend(build_model(tokenizer), tokenizer, model_id="small", max_batch=1, max_waiting=1)
    try:
        ids = backend.encode(TEXTS[1])
        with backend.exclusive("small"):  # no step runs: nothing ends while the queue fills
            held = [backend.generate(ids, 400, temperature=0), backend.generate(ids, 400, temperature=0)]
            with pytest.raises(BackendBusy):
                backend.generate(ids, 400, temperature=0)
        for generation in held:
            generation.close()
        wait_for(lambda: backend.scheduler.running == 0 and backend.scheduler.queued == 0)
        assert backend.generate(ids, 3, temperature=0).text() == "".join(
            backend.generate(ids, 3, temperature=0))
    finally:
        backend.close()


def test_a_backend_without_a_forward_pass_cannot_be_built() -> None:
    class NoForward(CausalLMBackend):
        kind = "none"

    tokenizer = build_tokenizer()
    with pytest.raises(TypeError, match="_forward_batch"):
        NoForward(tokenizer, ["none"], eos_ids=(), context_length=None)


def test_a_failing_step_fails_its_requests_and_the_scheduler_goes_on() -> None:
    tokenizer = build_tokenizer()
    backend = TorchBackend(build_model(tokenizer), tokenizer, model_id="small")
    forward = backend.scheduler._forward

    def failing(input_ids, attention_mask, position_ids, past):
        if past is not None and input_ids.shape[1] == 1:  # decode steps fail, prefill works
            raise RuntimeError("step failed")
        return forward(input_ids, attention_mask, position_ids, past)

    backend.scheduler._forward = failing
    try:
        ids = [backend.encode(text) for text in TEXTS[:2]]
        generations = [backend.generate(p, 10, temperature=0) for p in ids]
        for generation in generations:
            with pytest.raises(RuntimeError, match="step failed"):
                generation.text()
        one = backend.generate(ids[0], 1, temperature=0)  # prefill only: served
        one.text()
        assert one.completion_tokens + (one.finish_reason == "stop") == 1
    finally:
        backend.close()


def test_a_client_streaming_back_to_back_always_finds_its_queue_slot(torch_case, key_store) -> None:
    from appliance.serve import MemorySink, ServeConfig, serve

    from .client import post

    backend, _ = torch_case
    handle = serve({"tiny": backend}, key_store, MemorySink(), ServeConfig(port=0, max_queue_per_model=1))
    try:
        body = {"model": "tiny", "messages": [{"role": "user", "content": TEXTS[1]}], "max_tokens": 4,
                "temperature": 0, "stream": True}
        # The slot is freed before the last chunks are sent, so the next request never races its release.
        statuses = [post(handle.url, "/v1/chat/completions", body).status for _ in range(8)]
    finally:
        handle.stop()
    assert statuses == [200] * 8


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the scheduler did not settle"
        time.sleep(0.01)
