"""The official ``openai`` Python client against the server (skipped when the package is absent)."""

from __future__ import annotations

import pytest

openai = pytest.importorskip("openai")

from .tiny import KEYS  # noqa: E402

MESSAGES = [{"role": "user", "content": "Chest pain since this morning."}]


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=KEYS["all"], max_retries=0, timeout=60)


def test_models_and_chat(client) -> None:
    assert {m.id for m in client.models.list()} >= {"tiny", "tiny-onnx"}
    reply = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=8, temperature=0)
    assert reply.choices[0].message.role == "assistant"
    assert reply.usage.completion_tokens == 8 or reply.choices[0].finish_reason == "stop"
    streamed = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=8, temperature=0,
                                              stream=True, stream_options={"include_usage": True})
    chunks = list(streamed)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reply.choices[0].message.content
    assert chunks[-1].usage.total_tokens == reply.usage.total_tokens


def test_completions(client) -> None:
    reply = client.completions.create(model="tiny-lora-a", prompt="The patient", max_tokens=6, temperature=0)
    streamed = client.completions.create(model="tiny-lora-a", prompt="The patient", max_tokens=6, temperature=0,
                                         stream=True)
    assert "".join(c.choices[0].text for c in streamed) == reply.choices[0].text


def test_errors_map_to_the_clients_exceptions(server, client) -> None:
    bad_key = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.models.list()
    limited = openai.OpenAI(base_url=server.url + "/v1", api_key=KEYS["tiny-only"], max_retries=0)
    with pytest.raises(openai.PermissionDeniedError):
        limited.chat.completions.create(model="tiny-onnx", messages=MESSAGES)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="tiny", messages=MESSAGES, temperature=5)
    assert info.value.code == "invalid_request" and info.value.param == "temperature"


@pytest.fixture(scope="module")
def classifying(backends):
    """A server whose 'tiny' model is a classification run (its task settings given here)."""
    from appliance.data.tasks import TaskConfig
    from appliance.serve import MemorySink, ServeConfig, StaticKeyStore, serve
    from appliance.serve.tasks import Classifier, TaskSpec

    spec = TaskSpec("tiny", "run-0001-lora", "classify", TaskConfig(label_set=("cardiology", "neurology", "routine")),
                    version="ward-triage@v1")
    keys = StaticKeyStore.from_plain({"ehr": (KEYS["all"], None)})
    handle = serve({"tiny": backends["tiny"]}, keys, MemorySink(), ServeConfig(port=0),
                   tasks={"tiny": Classifier(backends["tiny"], spec)})
    yield handle
    handle.stop()


def test_a_classification_model_through_the_client(classifying) -> None:
    """What the README shows an EHR tool doing: the label in the completions shape, and the task endpoint."""
    client = openai.OpenAI(base_url=classifying.url + "/v1", api_key=KEYS["all"], max_retries=0, timeout=60)
    note = "Chest pain radiating to the left arm since this morning."
    reply = client.completions.create(model="tiny", prompt=note, logprobs=2, max_tokens=1)
    label = reply.choices[0].text
    top = reply.choices[0].logprobs.top_logprobs[0]
    assert label in ("cardiology", "neurology", "routine") and len(top) == 2 and max(top, key=top.get) == label
    answer = client.post("/classify", body={"model": "tiny", "input": [note]}, cast_to=dict)
    assert answer["data"][0]["label"] == label and answer["model_version"] == "ward-triage@v1"
    assert set(answer["data"][0]["probabilities"]) == {"cardiology", "neurology", "routine"}
    card = client.models.retrieve("tiny")
    assert card.model_extra["task"] == "classify"
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model="tiny", prompt=note, stream=True)
    assert info.value.param == "stream"
