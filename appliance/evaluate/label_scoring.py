"""Classification is scored, not parsed: the model's log-likelihood of each label's reply, then argmax.

For a prompt (ending with the chat template's generation prompt) and a label set, `score_labels` returns
log p(reply_i | prompt) for each label, where reply_i is the assistant turn the chat template renders
for label i: the label tokens followed by the end-of-turn token, so "cardio" is not rewarded for being a
prefix of "cardiology". This never fails to parse, and never credits a label the model would not end
its answer on.

Contextual calibration (Zhao et al. 2021, "Calibrate Before Use", arXiv:2102.09690): the label
distribution p_cf measured on content-free inputs ("N/A", "", "[MASK]") in place of the note, with the
same prompt, estimates the prompt's own bias (label order, majority label among examples, common
tokens). The calibrated distribution is p_cal ∝ p / p_cf (the paper's W = diag(p_cf)^-1, b = 0; the
paper applies a softmax to W·p instead of renormalising, which picks the same argmax).

Cost: one forward of the prompt, then one batched forward of all replies that reuses the prompt's key/
value cache (`share_prompt=True`), so a long prompt is run once, not once per label. Calibration adds
three content-free prompts per distinct prompt context; scores are cached by prompt tokens, so a
zero-shot or fixed-example prompt pays them once, a nearest-example prompt once per record. Those
per-record prompts share everything before the note with the query prompt (system prompt and examples),
so that shared prefix is run once per record and its cache copied for each of the four
(`shared_prefix` and `score_replies_after`, `share_prefix=True`): a 4-shot calibrated record costs about one long pass
plus four short ones instead of four long ones. The last shared start is kept while later prompts begin
with it (`PromptPrefix`): with the same examples for every query ('fixed', 'balanced'), the system prompt
and the examples are run once for the whole pass and a record costs about what its own note costs.

Hazards:
- Scores are sums over reply tokens, so a label that tokenises into more pieces starts with a handicap;
  calibration removes most of that bias, which is one reason to calibrate.
- If the template renders the generation prompt differently inside a finished turn, the last tokens of
  the prompt are replaced by the reply's own rendering of them (`LabelReplies.overlap`), so the score is
  of the exact token sequence the template would produce.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from appliance.data.tasks import TaskConfig, common_prefix
from appliance.errors import UsageError
from appliance.evaluate.likelihood import logits_to_log_probs, pad_id_of
from appliance.evaluate.prompts import CONTENT_FREE_INPUTS, PromptSource, ZeroShotPrompts, render_chat
from appliance.runtime.contexts import inference_mode
from appliance.runtime.device import model_device

ProgressFn = Callable[[int, int], None]

_PROBE = [{"role": "user", "content": "x"}]
_CF_CACHE_SIZE = 256  # content-free prompt contexts remembered (each entry is one small score vector)


@dataclass(frozen=True)
class LabelReplies:
    """Reply token ids per label, and how many trailing prompt tokens each reply re-renders."""

    labels: tuple[str, ...]
    tokens: tuple[tuple[int, ...], ...]
    overlap: int = 0


def label_replies(tokenizer: Any, labels: Sequence[str]) -> LabelReplies:
    """The assistant turn of each label as the chat template renders it, cut after the end-of-turn token."""
    if not labels or len(set(labels)) != len(labels):
        raise UsageError("label scoring needs at least one label, each once")
    generation = render_chat(tokenizer, _PROBE, generation_prompt=True)
    specials = set(getattr(tokenizer, "all_special_ids", ()) or ())
    eos = getattr(tokenizer, "eos_token_id", None)
    if isinstance(eos, int):
        specials.add(eos)
    replies, overlaps = [], set()
    for label in labels:
        full = render_chat(tokenizer, [*_PROBE, {"role": "assistant", "content": label}], generation_prompt=False)
        start = common_prefix(generation, full)
        overlaps.add(len(generation) - start)
        reply = full[start:]
        # Re-rendered generation-prompt tokens (the overlap) may be special; the turn ends at the first
        # special token after them, and what follows (a newline, the next turn's opener) is not the reply.
        first_content = len(generation) - start
        end = next((i for i in range(first_content, len(reply)) if reply[i] in specials), None)
        if end is not None:
            reply = reply[: end + 1]
        if not reply:
            raise UsageError("the chat template renders an empty assistant turn; labels cannot be scored")
        replies.append(tuple(reply))
    if len(overlaps) != 1:
        raise UsageError("the chat template renders the generation prompt differently per label")
    return LabelReplies(tuple(labels), tuple(replies), overlaps.pop())


def _accepts_logits_to_keep(model: Any) -> bool:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        return "logits_to_keep" in inspect.signature(base.forward).parameters
    except (TypeError, ValueError):
        return False


def score_replies(
    model: Any,
    prompt_ids: Sequence[int],
    replies: LabelReplies,
    *,
    pad_id: int = 0,
    share_prompt: bool = True,
    label_batch: int = 8,
) -> np.ndarray:
    """log p(reply_i | prompt) for every label (float64 array in label order)."""
    prefix = list(prompt_ids[: len(prompt_ids) - replies.overlap])
    if not prefix:
        raise UsageError("the prompt is empty")
    device = model_device(model)
    with inference_mode(model):
        if not share_prompt:
            return _score_unshared(model, prefix, replies, pad_id, device)
        kwargs: dict[str, Any] = {"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}
        out = model(input_ids=torch.tensor([prefix], device=device), use_cache=True, **kwargs)
        cache = out.past_key_values
        if cache is None or not hasattr(cache, "batch_repeat_interleave"):
            return _score_unshared(model, prefix, replies, pad_id, device)
        return _score_from_cache(model, out.logits, cache, len(prefix), replies, pad_id, label_batch, device)


def _score_from_cache(
    model: Any,
    logits: torch.Tensor,
    cache: Any,
    prefix_len: int,
    replies: LabelReplies,
    pad_id: int,
    label_batch: int,
    device: torch.device,
) -> np.ndarray:
    """Reply scores given the prompt's last logits and its key/value cache (which this consumes)."""
    scores = np.zeros(len(replies.tokens), dtype=np.float64)
    first = torch.log_softmax(logits[0, -1].float(), dim=-1)
    for i, reply in enumerate(replies.tokens):
        scores[i] = float(first[reply[0]])
    rest = [i for i, r in enumerate(replies.tokens) if len(r) > 1]
    chunks = [rest[s : s + label_batch] for s in range(0, len(rest), label_batch)]
    for chunk in chunks:
        # The cache is extended in place by a forward; each chunk needs its own copy of the prompt's.
        chunk_cache = copy.deepcopy(cache) if len(chunks) > 1 else cache
        chunk_cache.batch_repeat_interleave(len(chunk))
        inputs = [replies.tokens[i][:-1] for i in chunk]
        targets = [replies.tokens[i][1:] for i in chunk]
        width = max(len(t) for t in inputs)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        tgt = torch.zeros((len(chunk), width), dtype=torch.long)
        mask = torch.zeros((len(chunk), prefix_len + width), dtype=torch.long)
        mask[:, :prefix_len] = 1
        for r, (inp, tg) in enumerate(zip(inputs, targets, strict=True)):
            ids[r, : len(inp)] = torch.tensor(inp)
            tgt[r, : len(tg)] = torch.tensor(tg)
            mask[r, prefix_len : prefix_len + len(inp)] = 1
        out = model(
            input_ids=ids.to(device), attention_mask=mask.to(device), past_key_values=chunk_cache, use_cache=True
        ).logits
        lp = logits_to_log_probs(out, tgt.to(device)).double().cpu().numpy()
        for r, i in enumerate(chunk):
            scores[i] += float(lp[r, : len(targets[r])].sum())
    return scores


@dataclass(frozen=True)
class PromptPrefix:
    """Leading prompt tokens run once, and their key/value cache (only ever copied, never extended)."""

    ids: tuple[int, ...]
    cache: Any

    def starts(self, prefix_ids: Sequence[int]) -> bool:
        """Whether `prefix_ids` begins with these tokens and keeps at least one token of its own."""
        n = len(self.ids)
        return len(prefix_ids) > n and tuple(prefix_ids[:n]) == self.ids


def run_prefix(model: Any, ids: Sequence[int]) -> PromptPrefix | None:
    """`ids` run once; None for a model whose cache cannot be copied and expanded."""
    kwargs: dict[str, Any] = {"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}
    with inference_mode(model):
        out = model(input_ids=torch.tensor([list(ids)], device=model_device(model)), use_cache=True, **kwargs)
    cache = out.past_key_values
    if cache is None or not hasattr(cache, "batch_repeat_interleave"):
        return None
    return PromptPrefix(tuple(ids), cache)


def shared_prefix(model: Any, prompts: Sequence[Sequence[int]], replies: LabelReplies) -> PromptPrefix | None:
    """The start every prompt shares, run once; None when nothing is shared or cannot be cached.

    The shared part is the longest common prefix of the token ids themselves, so it is token-identical
    by construction whatever the chat template does at the boundary; each prompt keeps at least its
    last token out of it (its logits start the reply).
    """
    prefixes = [list(p[: len(p) - replies.overlap]) for p in prompts]
    if len(prefixes) < 2 or any(not p for p in prefixes):
        return None
    shared = min(common_prefix_length(prefixes), min(len(p) for p in prefixes) - 1)
    return run_prefix(model, prefixes[0][:shared]) if shared >= 1 else None


def score_replies_after(
    model: Any,
    prefix: PromptPrefix,
    prompt_ids: Sequence[int],
    replies: LabelReplies,
    *,
    pad_id: int = 0,
    label_batch: int = 8,
) -> np.ndarray | None:
    """Reply scores for a prompt that starts with `prefix`: a copy of the prefix's cache is extended by
    the prompt's own remainder. None when the prompt does not start with it.

    Equal to `score_replies` up to float rounding (attention over a cache sums in another order).
    """
    own_ids = list(prompt_ids[: len(prompt_ids) - replies.overlap])
    if not prefix.starts(own_ids):
        return None
    device = model_device(model)
    kwargs: dict[str, Any] = {"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}
    with inference_mode(model):
        own = copy.deepcopy(prefix.cache)
        out = model(input_ids=torch.tensor([own_ids[len(prefix.ids):]], device=device), past_key_values=own,
                    use_cache=True, **kwargs)
        return _score_from_cache(model, out.logits, out.past_key_values, len(own_ids), replies, pad_id,
                                 label_batch, device)


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """How many leading tokens all `sequences` share."""
    first, n = sequences[0], min(len(s) for s in sequences)
    for i in range(n):
        if any(s[i] != first[i] for s in sequences[1:]):
            return i
    return n


def _score_unshared(
    model: Any, prefix: list[int], replies: LabelReplies, pad_id: int, device: torch.device
) -> np.ndarray:
    """One batched forward of prompt + reply per label: simpler, and the reference for the shared path."""
    rows = [prefix + list(r) for r in replies.tokens]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False).logits
    lp = logits_to_log_probs(logits[:, :-1], ids[:, 1:].to(device)).double().cpu().numpy()
    start = len(prefix) - 1  # position predicting the first reply token
    return np.array([lp[i, start : start + len(r)].sum() for i, r in enumerate(replies.tokens)], dtype=np.float64)


def score_labels(model: Any, tokenizer: Any, prompt_ids: Sequence[int], labels: Sequence[str]) -> np.ndarray:
    """log p(reply | prompt) for each label, in label order (see the module docstring)."""
    return score_replies(model, prompt_ids, label_replies(tokenizer, labels), pad_id=pad_id_of(tokenizer))


# ---------------------------------------------------------------------------------------------------
# Calibration math (pure numpy, so it can be tested on fixed numbers)


def log_normalize(log_scores: np.ndarray) -> np.ndarray:
    """Log-softmax over the last axis: label log-likelihoods -> log-probabilities among the labels."""
    x = np.asarray(log_scores, dtype=np.float64)
    top = x.max(axis=-1, keepdims=True)
    return x - (top + np.log(np.exp(x - top).sum(axis=-1, keepdims=True)))


def content_free_distribution(content_free_scores: np.ndarray) -> np.ndarray:
    """Mean label distribution over content-free inputs (rows), as probabilities."""
    rows = np.atleast_2d(np.asarray(content_free_scores, dtype=np.float64))
    return np.exp(log_normalize(rows)).mean(axis=0)


def calibrate_scores(log_scores: np.ndarray, content_free_scores: np.ndarray) -> np.ndarray:
    """Calibrated log-probabilities: log(p / p_cf) renormalised, for one row or a batch of rows."""
    p_cf = content_free_distribution(content_free_scores)
    return log_normalize(log_normalize(log_scores) - np.log(p_cf))


@dataclass(frozen=True)
class LabelPredictions:
    labels: list[str]  # the predicted label per record
    log_probs: np.ndarray  # records x labels, normalised among the labels (calibrated if asked)
    raw_scores: np.ndarray  # records x labels, log p(reply | prompt) as scored


class LabelScorer:
    """Predict a label per record by scoring every label (optionally calibrated).

    `prompts` defaults to the zero-shot training prompt; `appliance.evaluate.icl` supplies k-shot ones.
    `progress(done, total)` is called after each record and may raise to cancel.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        task: str,
        task_config: TaskConfig,
        labels: Sequence[str],
        *,
        prompts: PromptSource | None = None,
        content_free_inputs: Sequence[str] = CONTENT_FREE_INPUTS,
        share_prompt: bool = True,
        share_prefix: bool = True,
    ) -> None:
        self.model, self.tokenizer, self.task, self.config = model, tokenizer, task, task_config
        self.labels = tuple(labels)
        self.replies = label_replies(tokenizer, self.labels)
        reserve = max(len(r) for r in self.replies.tokens)
        self.prompts: PromptSource = prompts or ZeroShotPrompts(task, tokenizer, task_config, reserve=reserve)
        self.content_free_inputs = tuple(content_free_inputs)
        if not self.content_free_inputs:
            raise UsageError("calibration needs at least one content-free input")
        self.share_prompt = share_prompt
        self.share_prefix = share_prefix and share_prompt
        self.pad_id = pad_id_of(tokenizer)
        self._cf_cache: dict[tuple[int, ...], np.ndarray] = {}
        self._prefix: PromptPrefix | None = None  # the start recent prompts shared, run once
        self._previous: list[int] | None = None  # the last query, to find what the next one shares with it

    def _score(self, prompt_ids: Sequence[int]) -> np.ndarray:
        return self._score_all([prompt_ids])[0]

    def _score_all(self, prompts: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Scores of `prompts`, the start they share with each other or with earlier prompts run once.

        The last shared start is kept (`PromptPrefix`) while later prompts begin with it: with the same
        examples for every query (the 'fixed' and 'balanced' selections) that is the system prompt and
        every example, so each record costs only its own note; with examples chosen per record it is
        replaced by the start the record's query and content-free prompts share. A single prompt that
        does not begin with the kept start is compared with the previous query, and what they share
        becomes the kept start.
        """
        if self.share_prefix:
            prefix = self._prefix
            if prefix is None or not all(prefix.starts(self._own(p)) for p in prompts):
                group = list(prompts) if len(prompts) > 1 else [self._previous, *prompts] if self._previous else []
                prefix = shared_prefix(self.model, group, self.replies) if group else None
                self._prefix = prefix or self._prefix
            self._previous = list(prompts[0])
            if prefix is not None:
                rows = [score_replies_after(self.model, prefix, p, self.replies, pad_id=self.pad_id) for p in prompts]
                if all(r is not None for r in rows):
                    return [r for r in rows if r is not None]
        return [
            score_replies(self.model, p, self.replies, pad_id=self.pad_id, share_prompt=self.share_prompt)
            for p in prompts
        ]

    def _own(self, prompt_ids: Sequence[int]) -> Sequence[int]:
        """The prompt without the tokens its reply re-renders (what a prefix must leave at least one of)."""
        return prompt_ids[: len(prompt_ids) - self.replies.overlap]

    def scores(self, record: Mapping[str, Any]) -> np.ndarray:
        return self._score(self.prompts.prompt(record))

    def content_free_scores(self, record: Mapping[str, Any]) -> np.ndarray:
        """Content-free inputs x labels for the record's prompt context (cached by prompt tokens)."""
        return self._with_content_free(record, [])[1]

    def scores_and_content_free(self, record: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The record's label scores and its content-free rows, their shared start run once.

        With examples chosen per record, the query prompt and its content-free twins differ only after
        the examples, so the system prompt and the examples (most of a k-shot prompt) are run once for all
        four prompts instead of four times. Content-free prompts already scored (zero-shot, fixed
        examples) are taken from the cache.
        """
        scores, free = self._with_content_free(record, [self.prompts.prompt(record)])
        return scores[0], free

    def _with_content_free(
        self, record: Mapping[str, Any], queries: Sequence[Sequence[int]]
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Scores of `queries` scored together with the record's content-free prompts not yet cached, and
        the record's content-free rows."""
        free = [tuple(self.prompts.content_free(record, text)) for text in self.content_free_inputs]
        known = {ids: self._cf_cache[ids] for ids in free if ids in self._cf_cache}
        missing = [ids for ids in dict.fromkeys(free) if ids not in known]
        rows = self._score_all([*queries, *missing]) if queries or missing else []
        fresh = dict(zip(missing, rows[len(queries):], strict=True))
        if len(self._cf_cache) + len(fresh) > _CF_CACHE_SIZE:
            self._cf_cache.clear()
        self._cf_cache.update(fresh)
        known.update(fresh)
        return rows[: len(queries)], np.stack([known[ids] for ids in free])

    def predict_scores(
        self, records: Sequence[Mapping[str, Any]], calibrate: bool = False, progress: ProgressFn | None = None
    ) -> LabelPredictions:
        raw, normalised = [], []
        try:
            for done, record in enumerate(records, 1):
                if calibrate:
                    scores, content_free = self.scores_and_content_free(record)
                    raw.append(scores)
                    normalised.append(calibrate_scores(scores, content_free))
                else:
                    scores = self.scores(record)
                    raw.append(scores)
                    normalised.append(log_normalize(scores))
                if progress is not None:
                    progress(done, len(records))
        finally:
            # The kept start and the last query may hold a note's tokens: nothing of these records is
            # kept once they are scored (a served classifier's scorer outlives its requests).
            self._prefix = self._previous = None
        log_probs = np.array(normalised).reshape(len(records), len(self.labels))
        picks = [self.labels[int(i)] for i in log_probs.argmax(axis=1)] if len(records) else []
        return LabelPredictions(picks, log_probs, np.array(raw).reshape(len(records), len(self.labels)))

    def predict(
        self, records: Sequence[Mapping[str, Any]], calibrate: bool = False, progress: ProgressFn | None = None
    ) -> list[str]:
        """The label with the highest (calibrated) score per record."""
        return self.predict_scores(records, calibrate, progress).labels
