"""Tests for task templates: loss only on the response, truncation never cuts it, clear refusals."""

from __future__ import annotations

import json

import pytest

from appliance.data.tasks import (
    IGNORE_INDEX,
    TASKS,
    Example,
    ExampleTooLong,
    Task,
    TaskConfig,
    build_example,
    build_prompt,
    register_task,
)
from appliance.errors import InvalidInput, UsageError
from appliance.synthetic import SPECIALTIES, generate, to_record_dict


@pytest.fixture(scope="module")
def records():
    recs = [to_record_dict(n) for n in generate(12, seed=8)]
    for r in recs:
        r["instruction"] = "State the triage level of this note."
        r["response"] = r["triage"]
    return recs


def _response_ids(ex: Example) -> list[int]:
    return [t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab != IGNORE_INDEX]


def _expected_answer(task: str, record: dict, config: TaskConfig) -> str:
    if task == "classify":
        return record["specialty"]
    if task == "summarize":
        return record["summary"]
    if task == "extract":
        return json.dumps({f: record[f] for f in config.extract_fields})
    return record["response"]


# One shared body for every supervised task (table-driven, like PEFT's TEST_CASES).
SUPERVISED = ["classify", "summarize", "extract", "instruct"]


@pytest.mark.parametrize("task", SUPERVISED)
def test_loss_only_on_the_response(task, tokenizer, records):
    config = TaskConfig(max_length=4096, label_set=SPECIALTIES if task == "classify" else ())
    for record in records[:4]:
        ex = build_example(task, record, tokenizer, config)
        assert len(ex.input_ids) == len(ex.labels) and not ex.truncated
        start = next(i for i, lab in enumerate(ex.labels) if lab != IGNORE_INDEX)
        # Prompt part fully masked, response part fully supervised and contiguous up to the end.
        assert all(lab == IGNORE_INDEX for lab in ex.labels[:start])
        assert ex.labels[start:] == ex.input_ids[start:]
        answer = _expected_answer(task, record, config)
        decoded = tokenizer.decode(_response_ids(ex), skip_special_tokens=True)
        # Compare through the tokenizer, so words a tiny vocabulary lacks (<unk>) count the same on both sides.
        expected = tokenizer.decode(tokenizer(answer, add_special_tokens=False)["input_ids"], skip_special_tokens=True)
        assert decoded.strip() == expected.strip()
        # The training prompt is exactly the inference prompt: same wording at train and eval time.
        assert ex.input_ids[:start] == build_prompt(task, record, tokenizer, config)


def test_continue_trains_on_every_token(tokenizer, records):
    ex = build_example("continue", records[0], tokenizer, TaskConfig(max_length=100_000))
    assert ex.labels == ex.input_ids and ex.input_ids[-1] == tokenizer.eos_token_id
    short = build_example("continue", records[0], tokenizer, TaskConfig(max_length=32))
    assert len(short) == 32 and short.truncated and short.input_ids == ex.input_ids[:32]


@pytest.mark.parametrize("how", ["end", "middle"])
@pytest.mark.parametrize("task", ["classify", "summarize", "extract"])
def test_truncation_never_cuts_the_response(task, how, bpe_tokenizer, records):
    record = max(records, key=lambda r: len(r["text"]))
    full = build_example(task, record, bpe_tokenizer, TaskConfig(max_length=100_000))
    limit = len(full) // 2
    assert limit > len(_response_ids(full)) + 100, "test needs a long note"
    ex = build_example(task, record, bpe_tokenizer, TaskConfig(max_length=limit, truncation=how))
    assert ex.truncated and len(ex) <= limit
    assert _response_ids(ex) == _response_ids(full)
    text = bpe_tokenizer.decode(ex.input_ids)
    assert "[...]" in text
    if how == "middle":
        # The end of the note (signature line) survives middle truncation.
        tail = record["text"].rstrip().splitlines()[-1][-12:]
        assert tail in text


def test_too_long_response_is_refused(bpe_tokenizer, records):
    with pytest.raises(ExampleTooLong):
        build_example("summarize", records[0], bpe_tokenizer, TaskConfig(max_length=20))


def test_classify_refuses_labels_outside_the_set(bpe_tokenizer, records):
    config = TaskConfig(label_field="triage", label_set=("cardiology",))
    with pytest.raises(InvalidInput) as err:
        build_example("classify", records[0], bpe_tokenizer, config)
    assert records[0]["triage"] not in str(err.value)  # messages never echo record values


def test_missing_fields_are_refused_without_echoing_phi(bpe_tokenizer, records):
    record = dict(records[0], summary="")
    with pytest.raises(InvalidInput) as err:
        build_example("summarize", record, bpe_tokenizer)
    assert "summary" in str(err.value)
    no_text = {k: v for k, v in records[0].items() if k != "text"}
    with pytest.raises(InvalidInput):
        build_example("classify", no_text, bpe_tokenizer)


def test_instruct_without_note(bpe_tokenizer, records):
    record = {"instruction": "Spell out BID.", "response": "twice a day"}
    ex = build_example("instruct", record, bpe_tokenizer)
    assert bpe_tokenizer.decode(_response_ids(ex), skip_special_tokens=True).strip() == "twice a day"


def test_prompt_wording_and_system_message(bpe_tokenizer, records):
    config = TaskConfig(
        label_set=("urgent", "routine"),
        label_field="triage",
        system_prompt="Be brief.",
        instruction="Triage this note as one of {labels}.",
    )
    prompt = bpe_tokenizer.decode(build_prompt("classify", records[0], bpe_tokenizer, config))
    assert "Be brief." in prompt and "Triage this note as one of urgent, routine." in prompt
    default = bpe_tokenizer.decode(
        build_prompt("classify", records[0], bpe_tokenizer, TaskConfig(label_set=SPECIALTIES))
    )
    assert "Answer with exactly one of: cardiology" in default


def test_registry_and_config_validation():
    assert set(TASKS) >= {"classify", "summarize", "extract", "instruct", "continue"}
    with pytest.raises(UsageError):
        build_example("translate", {}, None)
    with pytest.raises(ValueError):
        register_task(Task("classify", "again", supervised=False))
    with pytest.raises(ValueError):
        register_task(Task("half", "supervised without builders", supervised=True))
    for bad in (dict(max_length=4), dict(truncation="start"), dict(label_set=("a", "a")), dict(extract_fields=())):
        with pytest.raises(UsageError):
            TaskConfig(**bad)
    with pytest.raises(UsageError):
        TaskConfig.from_mapping({"max_lenght": 10})
    config = TaskConfig.from_mapping({"max_length": 256, "label_set": ["a", "b"]})
    assert config.label_set == ("a", "b") and TaskConfig.from_mapping(config.to_dict()) == config
    assert set(TaskConfig.help()) == set(config.to_dict()) and all(TaskConfig.help().values())


def test_missing_chat_template_is_a_usage_error(records, make_tokenizer):
    tok = make_tokenizer("wordlevel")
    tok.chat_template = None
    with pytest.raises(UsageError):
        build_example("classify", records[0], tok)
