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
(`score_replies_shared`, `share_prefix=True`): a 4-shot calibrated record costs about one long pass
plus four short ones instead of four long ones.

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


def score_replies_shared(
    model: Any,
    prompts: Sequence[Sequence[int]],
    replies: LabelReplies,
    *,
    pad_id: int = 0,
    label_batch: int = 8,
) -> np.ndarray | None:
    """Reply scores for several prompts (rows, in order) that start with the same tokens, the shared
    tokens run once: their key/value cache is computed once and a copy is extended by each prompt's
    own remainder. The shared part is the longest common prefix of the token ids themselves, so it is
    token-identical by construction whatever the chat template does at the boundary.

    Equal to `score_replies` on each prompt up to float rounding (attention over a cache sums in
    another order). None when nothing can be shared (no common prefix, or a model whose cache cannot be
    copied and expanded): the caller then scores each prompt in full.
    """
    prefixes = [list(p[: len(p) - replies.overlap]) for p in prompts]
    if len(prefixes) < 2 or any(not p for p in prefixes):
        return None
    # Each prompt must keep at least its last token out of the shared part: its logits start the reply.
    shared = min(common_prefix_length(prefixes), min(len(p) for p in prefixes) - 1)
    if shared < 1:
        return None
    device = model_device(model)
    kwargs: dict[str, Any] = {"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}
    rows = []
    with inference_mode(model):
        out = model(input_ids=torch.tensor([prefixes[0][:shared]], device=device), use_cache=True, **kwargs)
        cache = out.past_key_values
        if cache is None or not hasattr(cache, "batch_repeat_interleave"):
            return None
        for prefix in prefixes:
            own = copy.deepcopy(cache)
            out = model(
                input_ids=torch.tensor([prefix[shared:]], device=device), past_key_values=own, use_cache=True, **kwargs
            )
            rows.append(
                _score_from_cache(model, out.logits, out.past_key_values, len(prefix), replies, pad_id, label_batch,
                                  device)
            )
    return np.stack(rows)


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

    def _score(self, prompt_ids: Sequence[int]) -> np.ndarray:
        return score_replies(self.model, prompt_ids, self.replies, pad_id=self.pad_id, share_prompt=self.share_prompt)

    def scores(self, record: Mapping[str, Any]) -> np.ndarray:
        return self._score(self.prompts.prompt(record))

    def content_free_scores(self, record: Mapping[str, Any]) -> np.ndarray:
        """Content-free inputs x labels for the record's prompt context (cached by prompt tokens)."""
        rows = []
        for text in self.content_free_inputs:
            ids = tuple(self.prompts.content_free(record, text))
            if ids not in self._cf_cache:
                if len(self._cf_cache) >= _CF_CACHE_SIZE:
                    self._cf_cache.clear()
                self._cf_cache[ids] = self._score(ids)
            rows.append(self._cf_cache[ids])
        return np.stack(rows)

    def scores_and_content_free(self, record: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The record's label scores and its content-free rows, their shared prefix run once.

        With examples chosen per record, the query prompt and its content-free twins differ only after
        the examples, so the system prompt and the examples (most of a k-shot prompt) are run once for all
        four prompts instead of four times. Content-free prompts already scored (zero-shot, fixed
        examples) are taken from the cache as before.
        """
        query = self.prompts.prompt(record)
        free = [tuple(self.prompts.content_free(record, text)) for text in self.content_free_inputs]
        missing = [ids for ids in dict.fromkeys(free) if ids not in self._cf_cache]
        rows = None
        if self.share_prefix and missing:
            rows = score_replies_shared(self.model, [query, *missing], self.replies, pad_id=self.pad_id)
        if rows is None:
            return self._score(query), self.content_free_scores(record)
        if len(self._cf_cache) + len(missing) > _CF_CACHE_SIZE:
            self._cf_cache.clear()
        for ids, row in zip(missing, rows[1:], strict=True):
            self._cf_cache[ids] = row
        return rows[0], np.stack([self._cf_cache[ids] for ids in free])

    def predict_scores(
        self, records: Sequence[Mapping[str, Any]], calibrate: bool = False, progress: ProgressFn | None = None
    ) -> LabelPredictions:
        raw, normalised = [], []
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
        log_probs = np.array(normalised).reshape(len(records), len(self.labels))
        picks = [self.labels[int(i)] for i in log_probs.argmax(axis=1)] if len(records) else []
        return LabelPredictions(picks, log_probs, np.array(raw).reshape(len(records), len(self.labels)))

    def predict(
        self, records: Sequence[Mapping[str, Any]], calibrate: bool = False, progress: ProgressFn | None = None
    ) -> list[str]:
        """The label with the highest (calibrated) score per record."""
        return self.predict_scores(records, calibrate, progress).labels
