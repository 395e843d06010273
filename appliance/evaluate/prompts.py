"""Evaluation prompts worded exactly as in training, and their content-free twins for calibration.

A `PromptSource` gives the token ids a model is scored or prompted with:
- `prompt(record)`: the prompt for a record, ending with the chat template's generation prompt;
- `content_free(record, text)`: the same prompt, with the same examples if any, but the note replaced
  by `text` ("N/A", "", "[MASK]"), used by contextual calibration. For a zero-shot prompt it is the same
  for every record, so scorers cache content-free scores by prompt tokens.

`ZeroShotPrompts` is `appliance.data.tasks.build_prompt` itself. `query_message` returns the user message
that `build_prompt` puts in the prompt, so in-context prompts can place the same query after their
examples; it checks itself against `build_prompt` and raises if the two ever diverge.

Hazard: prompts contain the note (PHI). Nothing here logs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from appliance.data import tasks as task_lib
from appliance.data.tasks import TaskConfig, build_prompt, get_task
from appliance.errors import UsageError

#: Content-free inputs of Zhao et al. 2021 ("Calibrate before use"), averaged for calibration.
CONTENT_FREE_INPUTS: tuple[str, ...] = ("N/A", "", "[MASK]")


class PromptSource(Protocol):
    def prompt(self, record: Mapping[str, Any]) -> list[int]: ...

    def content_free(self, record: Mapping[str, Any], text: str) -> list[int]: ...


def as_ids(result: Any) -> list[int]:
    """apply_chat_template / __call__ return a list or a BatchEncoding depending on arguments and version."""
    if isinstance(result, Mapping):
        result = result["input_ids"]
    ids = list(result)
    if ids and isinstance(ids[0], list):
        ids = ids[0]
    return [int(i) for i in ids]


def render_chat(tokenizer: Any, messages: Sequence[Mapping[str, str]], *, generation_prompt: bool = True) -> list[int]:
    if not getattr(tokenizer, "chat_template", None):
        raise UsageError("the tokenizer has no chat template; choose a base model that defines one")
    return as_ids(tokenizer.apply_chat_template(list(messages), tokenize=True, add_generation_prompt=generation_prompt))


def system_messages(config: TaskConfig) -> list[dict[str, str]]:
    return [{"role": "system", "content": config.system_prompt}] if config.system_prompt else []


def user_message(task: str, record: Mapping[str, Any], config: TaskConfig, note: str) -> str:
    t = get_task(task)
    if t.prompt is None:
        raise UsageError(f"task {t.name!r} has no prompt (it trains on raw text)")
    return t.prompt(record, config, note)


def query_message(task: str, record: Mapping[str, Any], tokenizer: Any, config: TaskConfig, *, reserve: int = 0) -> str:
    """The user message of `build_prompt(task, record, tokenizer, config, reserve=reserve)`.

    The note is shortened by the same rule and budget as `build_prompt` (shared code in
    `appliance.data.tasks`), so an in-context prompt asks its question in the training wording.
    """
    t = get_task(task)
    note = str(record.get(config.text_field) or "")
    if not note.strip() and t.name != "instruct":
        raise UsageError(f"a record has no value in field {config.text_field!r}")

    def render(note_text: str) -> list[int]:
        messages = [
            *system_messages(config),
            {"role": "user", "content": user_message(task, record, config, note_text)},
        ]
        return render_chat(tokenizer, messages)

    if note:
        # One truncation rule for training, zero-shot and in-context prompts: reuse the task module's.
        note, _ = task_lib._fit_note(note, tokenizer, config, lambda s: len(render(s)), config.max_length - reserve)
    expected = build_prompt(task, record, tokenizer, config, reserve=reserve)
    if render(note) != expected:
        raise RuntimeError("query wording diverged from build_prompt; the two must change together")
    return user_message(task, record, config, note)


def content_free_record(record: Mapping[str, Any], config: TaskConfig, text: str) -> dict[str, Any]:
    return {**record, config.text_field: text}


class ZeroShotPrompts:
    """The training prompt (`build_prompt`) with `reserve` tokens left for the answer."""

    def __init__(self, task: str, tokenizer: Any, config: TaskConfig, *, reserve: int = 0) -> None:
        self.task, self.tokenizer, self.config, self.reserve = task, tokenizer, config, reserve

    def prompt(self, record: Mapping[str, Any]) -> list[int]:
        return build_prompt(self.task, record, self.tokenizer, self.config, reserve=self.reserve)

    def content_free(self, record: Mapping[str, Any], text: str) -> list[int]:
        cf = content_free_record(record, self.config, text)
        messages = [
            *system_messages(self.config),
            {"role": "user", "content": user_message(self.task, cf, self.config, text)},
        ]
        return render_chat(self.tokenizer, messages)
