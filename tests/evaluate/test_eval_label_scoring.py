"""Label scoring picks the most likely reply; calibration divides out a prompt's label bias."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from appliance.data.tasks import TaskConfig, build_prompt
from appliance.evaluate.label_scoring import (
    LabelScorer,
    calibrate_scores,
    content_free_distribution,
    label_replies,
    log_normalize,
    score_labels,
    score_replies,
)
from appliance.synthetic import SPECIALTIES

CONFIG = TaskConfig(label_set=SPECIALTIES, max_length=512)


def _reply_ids(tokenizer, label):
    """The reply as the chat template renders a finished assistant turn, through the end-of-turn token."""
    probe = [{"role": "user", "content": "q"}]
    gen = tokenizer.apply_chat_template(probe, add_generation_prompt=True, tokenize=True)
    full = tokenizer.apply_chat_template([*probe, {"role": "assistant", "content": label}], tokenize=True)
    reply = list(full[len(gen) :])
    return reply[: reply.index(tokenizer.eos_token_id) + 1]


def test_replies_are_label_tokens_then_end_of_turn(tokenizer):
    replies = label_replies(tokenizer, SPECIALTIES)
    assert replies.overlap == 0
    for label, reply in zip(SPECIALTIES, replies.tokens, strict=True):
        assert list(reply) == _reply_ids(tokenizer, label)
        assert reply[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(list(reply[:-1])) == label


def test_scores_are_the_reply_log_likelihoods(tokenizer, tiny_model, notes):
    prompt = build_prompt("classify", notes[0], tokenizer, CONFIG, reserve=16)
    got = score_labels(tiny_model, tokenizer, prompt, SPECIALTIES)
    expected = []
    with torch.no_grad():
        for label in SPECIALTIES:
            reply = _reply_ids(tokenizer, label)
            logits = tiny_model(input_ids=torch.tensor([prompt + reply])).logits[0].double()
            logp = torch.log_softmax(logits, dim=-1)
            expected.append(sum(float(logp[len(prompt) - 1 + i, t]) for i, t in enumerate(reply)))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # The shared-prompt path (key/value cache reused per label batch) equals one plain forward per label.
    replies = label_replies(tokenizer, SPECIALTIES)
    for kwargs in ({"share_prompt": False}, {"label_batch": 2}):
        np.testing.assert_allclose(score_replies(tiny_model, prompt, replies, **kwargs), got, rtol=1e-5)


def test_prediction_is_the_argmax(tokenizer, tiny_model, notes):
    scorer = LabelScorer(tiny_model, tokenizer, "classify", CONFIG, SPECIALTIES)
    result = scorer.predict_scores(notes[:4])
    reserve = max(len(r) for r in label_replies(tokenizer, SPECIALTIES).tokens)  # room for the longest reply
    for record, label, raw in zip(notes[:4], result.labels, result.raw_scores, strict=True):
        prompt = build_prompt("classify", record, tokenizer, CONFIG, reserve=reserve)
        scores = score_labels(tiny_model, tokenizer, prompt, SPECIALTIES)
        np.testing.assert_allclose(raw, scores, rtol=1e-5)
        assert label == SPECIALTIES[int(np.argmax(scores))]
    assert scorer.predict(notes[:4]) == result.labels
    # Zero-shot: the content-free prompts are the same for every record and are scored once each.
    scorer.predict(notes[:4], calibrate=True)
    assert len(scorer._cf_cache) == 3
    np.testing.assert_allclose(np.exp(result.log_probs).sum(axis=1), 1.0)


# --- calibration on fixed numbers ------------------------------------------------------------------


def test_calibration_math_flips_a_biased_prediction():
    raw = np.log([0.62, 0.38])  # A preferred ...
    content_free = np.log([[0.8, 0.2]])  # ... but the prompt alone already prefers A 4:1
    calibrated = calibrate_scores(raw, content_free)
    # p_cal ∝ p / p_cf = (0.62 / 0.8, 0.38 / 0.2) = (0.775, 1.9), renormalised.
    np.testing.assert_allclose(np.exp(calibrated), np.array([0.775, 1.9]) / 2.675)
    assert int(np.argmax(raw)) == 0 and int(np.argmax(calibrated)) == 1


def test_content_free_distribution_is_the_mean_of_normalised_rows():
    rows = np.log([[1.0, 3.0], [3.0, 1.0], [2.0, 2.0]])  # unnormalised likelihoods
    np.testing.assert_allclose(content_free_distribution(rows), [0.5, 0.5])
    np.testing.assert_allclose(log_normalize(np.log([1.0, 3.0])), np.log([0.25, 0.75]))


# --- calibration on a model with a built-in label bias ---------------------------------------------


class FirstTokenBias(torch.nn.Module):
    """Another model plus a logit bias applied only where the input is the generation prompt's last token.

    Only the first reply token is predicted from that position, so the bias multiplies each label's
    probability by exactly e^bias[first token of the label], for every prompt: a pure, prompt-independent
    label bias, which calibration on one content-free input must cancel exactly.
    """

    def __init__(self, inner, trigger_id, bias):
        super().__init__()
        self.inner, self.trigger_id = inner, trigger_id
        self.register_buffer("bias", bias)

    def forward(self, input_ids, **kwargs):
        out = self.inner(input_ids=input_ids, **kwargs)
        at = (input_ids == self.trigger_id).unsqueeze(-1).to(out.logits.dtype)
        out.logits = out.logits + at * self.bias
        return out


def test_calibration_removes_a_constant_label_bias(tokenizer, tiny_model, notes):
    replies = label_replies(tokenizer, SPECIALTIES)
    firsts = [r[0] for r in replies.tokens]
    assert len(set(firsts)) == len(firsts)
    trigger = tokenizer.apply_chat_template([{"role": "user", "content": "q"}], add_generation_prompt=True)[-1]
    assert all(trigger not in r for r in replies.tokens)
    target = 0
    bias = torch.zeros(len(tokenizer))
    bias[firsts] = -30.0
    bias[firsts[target]] = 0.0
    biased = FirstTokenBias(tiny_model, trigger, bias).eval()
    records = notes[:6]
    plain = LabelScorer(tiny_model, tokenizer, "classify", CONFIG, SPECIALTIES, content_free_inputs=("N/A",))
    skewed = LabelScorer(biased, tokenizer, "classify", CONFIG, SPECIALTIES, content_free_inputs=("N/A",))
    raw = skewed.predict_scores(records, calibrate=False)
    assert raw.labels == [SPECIALTIES[target]] * len(records)  # the bias wins everywhere
    calibrated = skewed.predict_scores(records, calibrate=True)
    np.testing.assert_allclose(calibrated.log_probs, plain.predict_scores(records, calibrate=True).log_probs, atol=1e-4)
    assert any(label != SPECIALTIES[target] for label in calibrated.labels)  # calibration flipped some


def test_bad_label_sets_are_refused(tokenizer):
    from appliance.errors import UsageError

    with pytest.raises(UsageError):
        label_replies(tokenizer, [])
    with pytest.raises(UsageError):
        label_replies(tokenizer, ["a", "a"])
