"""Tuning tasks: turn one record dict into one training example through the tokenizer's chat template.

Registered tasks (`TASKS`, extend with `register_task`):

- `classify`:  note -> one label from a label set (e.g. specialty, triage).
- `summarize`: note -> reference summary.
- `extract`:   note -> JSON object with the requested record fields.
- `instruct`:  free instruction (optionally with the note) -> free response.
- `continue`:  plain continued pre-training on the note text, no chat template.

Supervised tasks put the loss on the assistant response only: `labels` is `IGNORE_INDEX` on every
prompt and template token, so the model is not trained to reproduce the note (which would also make it
memorise PHI-bearing text). `continue` trains on every token.

Hazards:
- The response segment is found as the tokens that follow the longest common prefix of the templated
  prompt (with generation prompt) and the templated conversation (with the answer). For templates that
  render the generation prompt differently from a finished turn, the first label may start a token or
  two earlier than the answer text; it never starts later.
- Truncation only ever shortens the note text inside the prompt (the instruction, label list, template
  tokens and the whole response are kept). An example whose response and fixed prompt cannot fit in
  `max_length` raises `ExampleTooLong` rather than being silently cut.
- Error messages name fields and sizes, never field values: records hold PHI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from appliance.errors import InvalidInput, UsageError
from appliance.fieldhelp import help_of, settings_from
from appliance.fieldhelp import help_text as _help

IGNORE_INDEX = -100


class ChatTokenizer(Protocol):
    """The part of a Hugging Face tokenizer that tasks use."""

    eos_token_id: int | None

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...

    def __call__(self, text: str, **kwargs: Any) -> Any: ...

    def decode(self, token_ids: Sequence[int], **kwargs: Any) -> str: ...


@dataclass(frozen=True)
class Example:
    """Token ids and labels of one training example; `labels[i] == IGNORE_INDEX` means no loss at i."""

    input_ids: list[int]
    labels: list[int]
    truncated: bool = False  # the note text was shortened to fit max_length

    def __post_init__(self) -> None:
        if len(self.input_ids) != len(self.labels):
            raise ValueError("input_ids and labels must have the same length")

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def num_loss_tokens(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


class ExampleTooLong(InvalidInput):
    """The response plus the fixed part of the prompt do not fit in max_length."""


@dataclass
class TaskConfig:
    """Settings of a task; stored with a run and shown in the GUI with the same help text."""

    text_field: str = field(default="text", metadata=_help("Record field that holds the note text."))
    label_field: str = field(
        default="",
        metadata=_help(
            "Record field that holds the expected answer. Empty means the task's default "
            "(classify: specialty, summarize: summary, instruct: response)."
        ),
    )
    label_set: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "classify: the allowed labels, listed in the prompt in this order. A record whose label is "
            "not in the set is refused. Empty means any value is accepted and no list is shown."
        ),
    )
    extract_fields: tuple[str, ...] = field(
        default=("specialty", "triage"),
        metadata=_help("extract: record fields the model must return, as keys of a JSON object."),
    )
    prompt_field: str = field(
        default="instruction", metadata=_help("instruct: record field that holds the instruction.")
    )
    instruction: str = field(
        default="",
        metadata=_help(
            "Prompt wording placed before the note. Empty means the task's default wording. "
            "{labels} and {fields} are replaced by the label set and the extract fields."
        ),
    )
    system_prompt: str = field(
        default="", metadata=_help("Optional system message. Empty means none (the template's own default).")
    )
    max_length: int = field(
        default=512, metadata=_help("Maximum tokens per example, prompt and response together (16-131072).")
    )
    truncation: Literal["end", "middle"] = field(
        default="end",
        metadata=_help(
            "How an over-long note is shortened: 'end' keeps its beginning; 'middle' keeps its beginning "
            "and end (where assessment and plan usually are)."
        ),
    )

    def __post_init__(self) -> None:
        self.label_set = tuple(self.label_set)
        self.extract_fields = tuple(self.extract_fields)
        if not 16 <= self.max_length <= 131072:
            raise UsageError(f"max_length must be between 16 and 131072, got {self.max_length}")
        if self.truncation not in ("end", "middle"):
            raise UsageError(f"truncation must be 'end' or 'middle', got {self.truncation!r}")
        if len(set(self.label_set)) != len(self.label_set) or any(not s for s in self.label_set):
            raise UsageError("label_set must hold distinct, non-empty labels")
        if not self.text_field:
            raise UsageError("text_field must not be empty")
        if not self.extract_fields or len(set(self.extract_fields)) != len(self.extract_fields):
            raise UsageError("extract_fields must hold at least one field, each once")

    @classmethod
    def help(cls) -> dict[str, str]:
        """Field name -> help text, for the CLI and the GUI."""
        return help_of(cls)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TaskConfig:
        """Build from a TOML/JSON table; unknown keys are an error, so typos do not pass silently."""
        return settings_from(cls, values, unknown="unknown task setting(s): {unknown}; known: {known}",
                             error=UsageError)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


# ---------------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class Task:
    """One way of turning a record into a prompt and an expected response.

    `prompt(record, config, note_text)` returns the user message for the (possibly shortened) note;
    `response(record, config)` the assistant answer. Unsupervised tasks (`supervised=False`) have
    neither and train on the raw text.
    """

    name: str
    description: str
    supervised: bool
    default_label_field: str | None = None
    default_instruction: str = ""
    prompt: Callable[[Mapping[str, Any], TaskConfig, str], str] | None = None
    response: Callable[[Mapping[str, Any], TaskConfig], str] | None = None


TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    if task.name in TASKS:
        raise ValueError(f"task {task.name!r} is already registered")
    if task.supervised and (task.prompt is None or task.response is None):
        raise ValueError(f"supervised task {task.name!r} needs prompt and response builders")
    TASKS[task.name] = task
    return task


def get_task(name: str | Task) -> Task:
    if isinstance(name, Task):
        return name
    try:
        return TASKS[name]
    except KeyError:
        raise UsageError(f"unknown task {name!r}; choose one of: {', '.join(TASKS)}") from None


def _field(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"record has no value in field {name!r}")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _label_field(task: Task, config: TaskConfig) -> str:
    name = config.label_field or task.default_label_field
    if not name:
        raise UsageError(f"task {task.name!r} needs label_field to be set")
    return name


def _instruction(task: Task, config: TaskConfig) -> str:
    template = config.instruction or task.default_instruction
    return template.replace("{labels}", ", ".join(config.label_set)).replace(
        "{fields}", ", ".join(config.extract_fields)
    )


def _note_prompt(task_name: str) -> Callable[[Mapping[str, Any], TaskConfig, str], str]:
    def prompt(record: Mapping[str, Any], config: TaskConfig, note: str) -> str:
        return f"{_instruction(TASKS[task_name], config)}\n\nNote:\n{note}"

    return prompt


def _classify_response(record: Mapping[str, Any], config: TaskConfig) -> str:
    label = _field(record, _label_field(TASKS["classify"], config)).strip()
    if config.label_set and label not in config.label_set:
        raise InvalidInput(f"a record's label is not in label_set ({len(config.label_set)} labels)")
    return label


def _classify_prompt(record: Mapping[str, Any], config: TaskConfig, note: str) -> str:
    task = TASKS["classify"]
    if config.instruction:
        head = _instruction(task, config)
    elif config.label_set:
        head = f"{task.default_instruction} Answer with exactly one of: {', '.join(config.label_set)}."
    else:
        head = f"{task.default_instruction} Answer with the label only."
    return f"{head}\n\nNote:\n{note}"


def _summary_response(record: Mapping[str, Any], config: TaskConfig) -> str:
    return _field(record, _label_field(TASKS["summarize"], config)).strip()


def _extract_response(record: Mapping[str, Any], config: TaskConfig) -> str:
    return json.dumps({f: record.get(f) for f in config.extract_fields}, ensure_ascii=False)


def _instruct_prompt(record: Mapping[str, Any], config: TaskConfig, note: str) -> str:
    instruction = _field(record, config.prompt_field).strip()
    return f"{instruction}\n\n{note}" if note else instruction


def _instruct_response(record: Mapping[str, Any], config: TaskConfig) -> str:
    return _field(record, _label_field(TASKS["instruct"], config)).strip()


register_task(
    Task(
        "classify",
        "Assign one label from a fixed set (e.g. specialty or triage) to a note.",
        supervised=True,
        default_label_field="specialty",
        default_instruction="Classify the clinical note.",
        prompt=_classify_prompt,
        response=_classify_response,
    )
)
register_task(
    Task(
        "summarize",
        "Write a short summary of a note.",
        supervised=True,
        default_label_field="summary",
        default_instruction="Summarize the clinical note in one sentence, naming the main problem and medication.",
        prompt=_note_prompt("summarize"),
        response=_summary_response,
    )
)
register_task(
    Task(
        "extract",
        "Return the requested fields of a note as a JSON object.",
        supervised=True,
        default_instruction="Extract the following fields from the clinical note and answer with a JSON "
        "object with exactly these keys: {fields}.",
        prompt=_note_prompt("extract"),
        response=_extract_response,
    )
)
register_task(
    Task(
        "instruct",
        "Follow a free-text instruction stored in the record (the note, if any, follows it).",
        supervised=True,
        default_label_field="response",
        prompt=_instruct_prompt,
        response=_instruct_response,
    )
)
register_task(Task("continue", "Continued pre-training on raw note text (loss on every token).", supervised=False))


# ---------------------------------------------------------------------------------------------------
# Building examples


def _token_ids(result: Any) -> list[int]:
    """apply_chat_template / __call__ return a list or a BatchEncoding depending on arguments."""
    if isinstance(result, Mapping):
        result = result["input_ids"]
    ids = list(result)
    if ids and isinstance(ids[0], list):  # batched form
        ids = ids[0]
    return [int(i) for i in ids]


def _chat_ids(tokenizer: ChatTokenizer, messages: list[dict[str, str]], generation_prompt: bool) -> list[int]:
    if not getattr(tokenizer, "chat_template", None):
        raise UsageError("the tokenizer has no chat template; choose a base model that defines one")
    return _token_ids(tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation_prompt))


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading token ids ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _messages(task: Task, record: Mapping[str, Any], config: TaskConfig, note: str) -> list[dict[str, str]]:
    assert task.prompt is not None
    messages = [{"role": "system", "content": config.system_prompt}] if config.system_prompt else []
    messages.append({"role": "user", "content": task.prompt(record, config, note)})
    return messages


def _shorten(tokenizer: ChatTokenizer, note_ids: list[int], keep: int, how: str) -> str:
    if keep >= len(note_ids):
        return tokenizer.decode(note_ids)
    if how == "middle":
        head, tail = keep - keep // 2, keep // 2
        tail_text = tokenizer.decode(note_ids[len(note_ids) - tail :]) if tail else ""
        return f"{tokenizer.decode(note_ids[:head])} [...] {tail_text}".rstrip()
    return f"{tokenizer.decode(note_ids[:keep])} [...]"


def _fit_note(
    note: str,
    tokenizer: ChatTokenizer,
    config: TaskConfig,
    length_of: Callable[[str], int],
    limit: int,
) -> tuple[str, bool]:
    """Return the note text, shortened if needed so that `length_of(text) <= limit`.

    `length_of` renders the whole example around a candidate note text. The search is a binary search
    on how many note tokens to keep; decode/encode round trips are not exactly monotonic, so the result
    is checked and stepped down until it fits.
    """
    if length_of(note) <= limit:
        return note, False
    if length_of("[...]") > limit:
        raise ExampleTooLong(
            f"the prompt template and response alone exceed max_length={config.max_length} tokens; "
            "raise max_length or shorten the instruction"
        )
    note_ids = _token_ids(tokenizer(note, add_special_tokens=False))
    lo, hi = 0, len(note_ids)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if length_of(_shorten(tokenizer, note_ids, mid, config.truncation)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    keep = lo
    text = _shorten(tokenizer, note_ids, keep, config.truncation)
    while keep > 0 and length_of(text) > limit:
        keep -= 1
        text = _shorten(tokenizer, note_ids, keep, config.truncation)
    return text, True


def build_example(
    task: str | Task, record: Mapping[str, Any], tokenizer: ChatTokenizer, config: TaskConfig | None = None
) -> Example:
    """Turn `record` into an `Example` for `task` (see the module docstring for the label contract)."""
    t = get_task(task)
    config = config or TaskConfig()
    if not t.supervised:
        return _continue_example(record, tokenizer, config)
    assert t.response is not None
    response = t.response(record, config)
    note = str(record.get(config.text_field) or "") if t.name == "instruct" else _field(record, config.text_field)

    def conversation(note_text: str) -> list[dict[str, str]]:
        return [*_messages(t, record, config, note_text), {"role": "assistant", "content": response}]

    def full_length(note_text: str) -> int:
        return len(_chat_ids(tokenizer, conversation(note_text), generation_prompt=False))

    truncated = False
    if note:
        note, truncated = _fit_note(note, tokenizer, config, full_length, config.max_length)
    ids = _chat_ids(tokenizer, conversation(note), generation_prompt=False)
    if len(ids) > config.max_length:
        raise ExampleTooLong(f"instruction and response exceed max_length={config.max_length} tokens")
    prompt_ids = _chat_ids(tokenizer, _messages(t, record, config, note), generation_prompt=True)
    start = common_prefix(prompt_ids, ids)
    if start >= len(ids):
        raise InvalidInput("the chat template dropped the response; check the model's chat template")
    return Example(ids, [IGNORE_INDEX] * start + ids[start:], truncated)


def build_prompt(
    task: str | Task,
    record: Mapping[str, Any],
    tokenizer: ChatTokenizer,
    config: TaskConfig | None = None,
    *,
    reserve: int = 0,
) -> list[int]:
    """Prompt token ids (with generation prompt) for evaluation or serving, worded as in training.

    The note is shortened like in `build_example` so that the prompt plus `reserve` new tokens fit
    in `config.max_length`.
    """
    t = get_task(task)
    config = config or TaskConfig()
    if not t.supervised:
        ids = _token_ids(tokenizer(_field(record, config.text_field), add_special_tokens=True))
        return ids[: max(1, config.max_length - reserve)]
    note = str(record.get(config.text_field) or "") if t.name == "instruct" else _field(record, config.text_field)

    def render(note_text: str) -> list[int]:
        return _chat_ids(tokenizer, _messages(t, record, config, note_text), generation_prompt=True)

    limit = config.max_length - reserve
    if note:
        note, _ = _fit_note(note, tokenizer, config, lambda s: len(render(s)), limit)
    ids = render(note)
    if len(ids) > limit:
        raise ExampleTooLong(f"the prompt exceeds max_length={config.max_length} minus {reserve} reserved tokens")
    return ids


def _continue_example(record: Mapping[str, Any], tokenizer: ChatTokenizer, config: TaskConfig) -> Example:
    ids = _token_ids(tokenizer(_field(record, config.text_field), add_special_tokens=True))
    eos = tokenizer.eos_token_id
    if eos is not None and (not ids or ids[-1] != eos):
        ids.append(eos)  # teaches the model where a note ends
    truncated = len(ids) > config.max_length
    ids = ids[: config.max_length]
    return Example(ids, list(ids), truncated)
