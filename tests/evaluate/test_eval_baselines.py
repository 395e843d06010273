"""The classical TF-IDF baseline and the general-text forgetting check."""

from __future__ import annotations

import math

import pytest

from appliance.errors import UsageError
from appliance.evaluate.classical import ClassicalConfig, fit_predict
from appliance.evaluate.forgetting import forgetting_summary, general_examples, general_paragraphs, general_perplexity
from appliance.evaluate.metrics import classification_metrics, perplexity
from appliance.synthetic import SPECIALTIES, generate, to_record_dict


@pytest.fixture(scope="module")
def split():
    records = [to_record_dict(n) for n in generate(400, seed=11)]
    # Patient-level split: no patient's notes on both sides.
    patients = sorted({r["patient_id"] for r in records})
    test_patients = set(patients[::4])
    train = [r for r in records if r["patient_id"] not in test_patients]
    test = [r for r in records if r["patient_id"] in test_patients]
    return train, test


def test_tfidf_learns_specialty_well_above_chance(split):
    train, test = split
    predictions, info = fit_predict(train, test, "specialty")
    m = classification_metrics(predictions, [r["specialty"] for r in test], SPECIALTIES)
    assert m["accuracy"] > 0.6  # chance is 0.2 with five balanced labels
    assert m["macro_f1"] > 0.55
    assert info["features"] > 100 and info["fit_seconds"] > 0 and info["classes"] == sorted(SPECIALTIES)
    # Deterministic: the same split gives the same predictions.
    assert fit_predict(train, test, "specialty")[0] == predictions


def test_tfidf_single_class_and_missing_labels(split):
    train, test = split
    one = [{**r, "triage": "routine"} for r in train[:20]]
    predictions, info = fit_predict(one, test[:5], "triage")
    assert predictions == ["routine"] * 5 and info["classes"] == ["routine"]
    with pytest.raises(UsageError):
        fit_predict([{"text": "x"}], test[:1], "triage")
    with pytest.raises(UsageError):
        ClassicalConfig(c=0)
    assert all(ClassicalConfig.help().values())


def test_general_text_sample_is_plain_english():
    paragraphs = general_paragraphs()
    assert len(paragraphs) >= 5
    words = " ".join(paragraphs).split()
    assert len(words) > 400
    assert not any(ch.isdigit() for ch in " ".join(paragraphs))


def test_general_perplexity_is_token_level_over_the_sample(tokenizer, tiny_model):
    examples = general_examples(tokenizer, max_length=64)
    assert examples and all(2 <= len(ex) <= 64 for ex in examples)
    got = general_perplexity(tiny_model, tokenizer, max_length=64)
    assert got == pytest.approx(perplexity(tiny_model, examples, pad_id=tokenizer.pad_token_id))
    # An untrained model is close to uniform over the vocabulary.
    assert 0.3 * len(tokenizer) < got < 3 * len(tokenizer)
    summary = forgetting_summary(10.0, 12.5)
    assert summary == {"before": 10.0, "after": 12.5, "ratio": 1.25}
    assert math.isnan(forgetting_summary(0.0, 1.0)["ratio"])
