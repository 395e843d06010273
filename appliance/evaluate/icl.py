"""The in-context baseline: zero-shot and k-shot prompts, nothing trained.

A k-shot prompt is a chat: [system] + k (user, assistant) turns built from training records with the
task's own wording, then the query exactly as `build_prompt` words it for training and zero-shot use:

    system? | user: example 1 note  | assistant: example 1 answer | ... | user: query note | <generation prompt>

Examples are chosen from the training split per query by a registered similarity (`SELECTORS`):
- "tfidf": the k most similar training notes by TF-IDF cosine (Liu et al. 2022, "What Makes Good
  In-Context Examples for GPT-3?", arXiv:2101.06804). Ties go to the earlier training record, so the
  choice is deterministic.
- "fixed": k records drawn once at random (seeded) and used for every query, the classic few-shot set-up
  (and the one contextual calibration was designed for).
- "balanced": as "fixed", but drawn one per label in turn, so k = the number of labels shows each once.
  Examples that are the same for every query are run once for the whole pass (`label_scoring`), so a
  k-shot record costs about what a zero-shot one does; nearest examples are run once per record.
The most similar example is placed last, next to the query. When the prompt exceeds `max_prompt_tokens`
(minus the tokens reserved for the answer), the least similar examples are dropped until it fits; an
example is never cut mid-way, though `shot_note_tokens` can shorten every example's note up front.

Hazards:
- Examples are training notes (de-identified, but still patient text) placed in the prompt; the
  prompts are as sensitive as the notes and are never logged.
- Nearest examples must come from a patient-level split: otherwise the nearest note is often the same
  patient's other note, whose label the model copies, and the baseline looks far better than it is.
- Contextual calibration and nearest examples pull against each other: the content-free prompt keeps
  the query's examples, whose labels are the signal, so calibration divides part of the signal out.
  Measured on SmolLM2-135M (specialty, 2 TF-IDF shots, 8 notes, split not by patient): macro-F1 1.0
  raw, 0.19 calibrated; zero-shot, calibration helped the same model (triage macro-F1 0.33 -> 0.60).
  Both are reported (methods icl and icl-calibrated) and the comparison keeps whichever is better.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from random import Random
from typing import Any, Protocol

import numpy as np

from appliance.data.tasks import ExampleTooLong, TaskConfig, get_task
from appliance.errors import UsageError
from appliance.evaluate.prompts import (
    content_free_record,
    query_message,
    render_chat,
    system_messages,
    user_message,
)
from appliance.fieldhelp import help_of, settings_from
from appliance.fieldhelp import help_text as _help


@dataclass
class ICLConfig:
    """Settings of the in-context baseline; stored with the run and shown in the GUI with this help text."""

    k: int = field(default=4, metadata=_help("Number of training examples placed before the query (0 = zero-shot)."))
    similarity: str = field(
        default="tfidf",
        metadata=_help(
            "How examples are chosen: 'tfidf' = the k most similar training notes (TF-IDF cosine), "
            "'fixed' = the same k seeded random training records for every query, 'balanced' = the same k "
            "for every query, one per label in turn (examples run once for the whole pass)."
        ),
    )
    max_prompt_tokens: int = field(
        default=2048,
        metadata=_help(
            "Longest prompt in tokens, examples and query together (the answer comes on top). Examples that "
            "do not fit are dropped, least similar first."
        ),
    )
    calibrate: bool = field(
        default=True,
        metadata=_help(
            "classify: also report contextual calibration (Zhao et al. 2021), which divides out the label "
            "bias the prompt shows on content-free inputs."
        ),
    )
    shot_note_tokens: int = field(
        default=0,
        metadata=_help("Shorten each example's note to this many tokens before placing it (0 = keep it whole)."),
    )
    seed: int = field(default=0, metadata=_help("Seed of the 'fixed' example draw."))
    dtype: str = field(
        default="float32",
        metadata=_help(
            "Scoring precision: 'float32'; 'auto' = bfloat16 autocast where the hardware computes it natively "
            "(a GPU with bfloat16, a CPU with AVX512-BF16 or AMX), float32 elsewhere; 'bfloat16'."
        ),
    )

    def __post_init__(self) -> None:
        if self.k < 0:
            raise UsageError(f"k must be >= 0, got {self.k}")
        if self.similarity not in SELECTORS:
            raise UsageError(f"unknown similarity {self.similarity!r}; choose one of: {', '.join(SELECTORS)}")
        if not 16 <= self.max_prompt_tokens <= 131072:
            raise UsageError(f"max_prompt_tokens must be between 16 and 131072, got {self.max_prompt_tokens}")
        if self.shot_note_tokens < 0:
            raise UsageError(f"shot_note_tokens must be >= 0, got {self.shot_note_tokens}")
        if self.dtype not in ("float32", "auto", "bfloat16"):
            raise UsageError(f"dtype must be float32, auto or bfloat16, got {self.dtype!r}")

    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ICLConfig:
        return settings_from(cls, values, unknown="unknown ICL setting(s): {unknown}; known: {known}",
                             error=UsageError)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------------
# Example selection (registry)


class ExampleSelector(Protocol):
    def select(self, query_text: str, k: int) -> list[int]:
        """Indices of training records, most similar first."""
        ...


class TfidfSelector:
    """k nearest training notes by TF-IDF cosine similarity (word unigrams and bigrams, sublinear tf)."""

    def __init__(self, texts: Sequence[str], seed: int = 0, labels: Sequence[str] | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.texts = list(texts)
        self.vectorizer = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        self.matrix = self.vectorizer.fit_transform(self.texts)

    def select(self, query_text: str, k: int) -> list[int]:
        if k == 0 or not self.texts:
            return []
        query = self.vectorizer.transform([query_text])
        # Rows are L2-normalised, so the dot product is the cosine.
        sims = np.asarray((self.matrix @ query.T).todense()).ravel()
        order = np.lexsort((np.arange(len(sims)), -sims))  # by similarity, then by index
        # A training note identical to the query would be the answer, not an example.
        picked = [int(i) for i in order if self.texts[int(i)] != query_text]
        return picked[:k]


class FixedSelector:
    """The same seeded random k training records for every query."""

    def __init__(self, texts: Sequence[str], seed: int = 0, labels: Sequence[str] | None = None) -> None:
        self.texts = list(texts)
        digest = hashlib.sha256(f"icl-fixed/{seed}/{len(texts)}".encode()).hexdigest()
        self.order = list(range(len(self.texts)))
        Random(digest).shuffle(self.order)

    def select(self, query_text: str, k: int) -> list[int]:
        return [i for i in self.order if self.texts[i] != query_text][:k]


class BalancedSelector(FixedSelector):
    """The same seeded k training records for every query, taken one per label in turn (labels in sorted
    order, each label's records in seeded random order), so every label is shown before any is shown
    twice. Without labels (tasks that are not classification) it is the 'fixed' draw."""

    def __init__(self, texts: Sequence[str], seed: int = 0, labels: Sequence[str] | None = None) -> None:
        super().__init__(texts, seed)
        if labels is not None:
            by_label: dict[str, list[int]] = {}
            for i in self.order:
                by_label.setdefault(str(labels[i]), []).append(i)
            queues = [by_label[name] for name in sorted(by_label)]
            self.order = [q[r] for r in range(max((len(q) for q in queues), default=0)) for q in queues if r < len(q)]


#: Selections whose examples are the same for every query (run once per pass; calibration pays once).
SAME_FOR_EVERY_QUERY = frozenset({"fixed", "balanced"})
SelectorFactory = Callable[[Sequence[str], int, Sequence[str] | None], ExampleSelector]  # texts, seed, labels
SELECTORS: dict[str, SelectorFactory] = {
    "tfidf": TfidfSelector,
    "fixed": FixedSelector,
    "balanced": BalancedSelector,
}


def register_selector(name: str, factory: SelectorFactory) -> None:
    if name in SELECTORS:
        raise ValueError(f"selector {name!r} is already registered")
    SELECTORS[name] = factory


# ---------------------------------------------------------------------------------------------------
# Prompts


@dataclass(frozen=True)
class ICLPrompt:
    ids: list[int]
    shots: list[int]  # indices of the training records used, in prompt order (most similar last)


class ICLPrompts:
    """A `PromptSource` of k-shot prompts (see the module docstring); usable by `LabelScorer`."""

    def __init__(
        self,
        task: str,
        tokenizer: Any,
        task_config: TaskConfig,
        train_records: Sequence[Mapping[str, Any]],
        config: ICLConfig | None = None,
        *,
        reserve: int = 0,
    ) -> None:
        self.task = get_task(task).name
        self.tokenizer, self.task_config = tokenizer, task_config
        self.config = config or ICLConfig()
        self.train = list(train_records)
        self.reserve = reserve
        texts = [str(r.get(task_config.text_field) or "") for r in self.train]
        field_ = task_config.label_field
        labels = [str(r.get(field_) or "") for r in self.train] if field_ else None
        self.selector = SELECTORS[self.config.similarity](texts, self.config.seed, labels)
        self._turns: dict[int, list[dict[str, str]]] = {}
        self._last: tuple[str, ICLPrompt] | None = None  # the record a content-free prompt copies its examples from

    @property
    def limit(self) -> int:
        return self.config.max_prompt_tokens - self.reserve

    def _shot_turns(self, index: int) -> list[dict[str, str]]:
        if index not in self._turns:
            record = self.train[index]
            t = get_task(self.task)
            assert t.response is not None
            note = str(record.get(self.task_config.text_field) or "")
            n = self.config.shot_note_tokens
            if n and note:
                ids = self.tokenizer(note, add_special_tokens=False)["input_ids"]
                if len(ids) > n:
                    note = f"{self.tokenizer.decode(ids[:n])} [...]"
            self._turns[index] = [
                {"role": "user", "content": user_message(self.task, record, self.task_config, note)},
                {"role": "assistant", "content": t.response(record, self.task_config)},
            ]
        return self._turns[index]

    def _query(self, record: Mapping[str, Any]) -> str:
        # When the prompt budget is below the task's max_length, the note is shortened as build_prompt
        # would with a larger reserve: same rule, same wording, smaller budget.
        reserve = max(self.reserve, self.task_config.max_length - self.limit)
        return query_message(self.task, record, self.tokenizer, self.task_config, reserve=reserve)

    def build(self, record: Mapping[str, Any]) -> ICLPrompt:
        """The k-shot prompt for `record`, its examples chosen by its note and dropped until it fits."""
        text = str(record.get(self.task_config.text_field) or "")
        query = self._query(record)
        shots = self.selector.select(text, self.config.k)
        while True:
            ids = self._render(shots, query)
            if len(ids) <= self.limit:
                built = ICLPrompt(ids, list(reversed(shots)))
                self._last = (text, built)
                return built
            if not shots:
                raise ExampleTooLong(
                    f"the query alone exceeds max_prompt_tokens={self.config.max_prompt_tokens} "
                    f"minus {self.reserve} reserved tokens"
                )
            shots = shots[:-1]  # drop the least similar example

    def _render(self, shots: Sequence[int], query: str) -> list[int]:
        """Examples in `shots` order reversed (most similar last), then the query."""
        messages = [*system_messages(self.task_config)]
        for index in reversed(shots):
            messages.extend(self._shot_turns(index))
        messages.append({"role": "user", "content": query})
        return render_chat(self.tokenizer, messages)

    def prompt(self, record: Mapping[str, Any]) -> list[int]:
        return self.build(record).ids

    def content_free(self, record: Mapping[str, Any], text: str) -> list[int]:
        """The record's prompt with exactly its examples, but the note replaced by `text`."""
        note = str(record.get(self.task_config.text_field) or "")
        built = self._last[1] if self._last is not None and self._last[0] == note else self.build(record)
        cf = content_free_record(record, self.task_config, text)
        return self._render(list(reversed(built.shots)), user_message(self.task, cf, self.task_config, text))


# ---------------------------------------------------------------------------------------------------
# The baseline as one call


@dataclass
class ICLResult:
    predictions: list[str]  # uncalibrated (classify) or generated replies (other tasks)
    calibrated: list[str] | None = None  # classify with config.calibrate
    shots_used: list[int] = field(default_factory=list)  # examples that fit, per test record


class ICLPass:
    """One in-context pass set up once (examples' index, label replies, scorer) and run on any records.

    `run_icl` is one pass over the test records; the comparison's estimate also uses it to time a few
    chosen records and to count every record's prompt tokens without scoring them.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        task: str,
        task_config: TaskConfig,
        train_records: Sequence[Mapping[str, Any]],
        config: ICLConfig | None = None,
        *,
        max_new_tokens: int = 128,
    ) -> None:
        self.model, self.tokenizer, self.task_config = model, tokenizer, task_config
        self.config = config or ICLConfig()
        self.task = get_task(task).name
        self.max_new_tokens = max_new_tokens
        self.scorer: Any = None
        if self.task == "classify":
            from appliance.evaluate.label_scoring import LabelScorer, label_replies

            if not task_config.label_set:
                raise UsageError("classify needs task_config.label_set to score labels")
            reserve = max(len(r) for r in label_replies(tokenizer, task_config.label_set).tokens)
            self.prompts = ICLPrompts(self.task, tokenizer, task_config, train_records, self.config, reserve=reserve)
            self.scorer = LabelScorer(
                model, tokenizer, self.task, task_config, task_config.label_set, prompts=self.prompts
            )
        else:
            self.prompts = ICLPrompts(
                self.task, tokenizer, task_config, train_records, self.config, reserve=max_new_tokens
            )

    def prompt_tokens(self, record: Mapping[str, Any]) -> int:
        """Tokens of the record's query prompt (examples included): what its scoring time grows with."""
        return len(self.prompts.prompt(record))

    def run(
        self, records: Sequence[Mapping[str, Any]], progress: Callable[[int, int], None] | None = None
    ) -> ICLResult:
        if self.scorer is not None:
            from appliance.runtime.device import scoring_autocast

            with scoring_autocast(self.model, self.config.dtype):
                scored = self.scorer.predict_scores(records, calibrate=self.config.calibrate, progress=progress)
            labels = self.task_config.label_set
            raw = [labels[int(i)] for i in scored.raw_scores.argmax(axis=1)] if len(records) else []
            return ICLResult(
                raw,
                scored.labels if self.config.calibrate else None,
                [len(self.prompts.build(r).shots) for r in records],
            )
        from appliance.evaluate.generation import greedy_replies

        built = [self.prompts.build(r) for r in records]
        replies = greedy_replies(
            self.model, self.tokenizer, [b.ids for b in built], max_new_tokens=self.max_new_tokens, progress=progress
        )
        return ICLResult(replies, None, [len(b.shots) for b in built])


def run_icl(
    model: Any,
    tokenizer: Any,
    task: str,
    task_config: TaskConfig,
    train_records: Sequence[Mapping[str, Any]],
    test_records: Sequence[Mapping[str, Any]],
    config: ICLConfig | None = None,
    *,
    max_new_tokens: int = 128,
    progress: Callable[[int, int], None] | None = None,
) -> ICLResult:
    """Predictions of the in-context baseline on `test_records`.

    classify is scored (`label_scoring`) against `task_config.label_set`, raw and, with
    `config.calibrate`, calibrated in the same pass; other supervised tasks are answered greedily.
    """
    icl = ICLPass(model, tokenizer, task, task_config, train_records, config, max_new_tokens=max_new_tokens)
    return icl.run(test_records, progress)
