"""Canary exposure on a tiny model that memorised one canary; output scan for training identifiers."""

from __future__ import annotations

import math
from random import Random

import numpy as np
import pytest
import torch
from eval_models import build_char_tokenizer, build_llama

from appliance.data.canaries import DEFAULT_FORMAT, make_canaries, plant_canaries, space_size
from appliance.errors import UsageError
from appliance.evaluate.forgetting import general_paragraphs
from appliance.evaluate.privacy import (
    CandidatePool,
    audit,
    exposure,
    extraction,
    scan_outputs,
    string_log_likelihoods,
    surrogate_strings,
)

R = 1000  # candidates per exposure: log2(R) ≈ 9.97 bits at most


def test_canaries_are_seeded_distinct_fills_of_the_format():
    canaries = make_canaries(5, seed=1)
    assert canaries == make_canaries(5, seed=1) and canaries != make_canaries(5, seed=2)
    assert len({c.text for c in canaries}) == 5
    for c in canaries:
        assert len(c.text) == len(DEFAULT_FORMAT) and c.prefix == "Patient MRN: "
        assert all((f == "#" and t.isdigit()) or f == t for f, t in zip(DEFAULT_FORMAT, c.text, strict=True))
    letters = make_canaries(2, seed=0, fmt="ID @@@-######")
    assert all(c.text[3:6].isupper() for c in letters)
    assert space_size(DEFAULT_FORMAT) == 10**12
    with pytest.raises(UsageError):
        make_canaries(3, seed=0, fmt="PIN ##")


def test_plant_canaries_appends_to_copies():
    records = [{"note_id": "N1", "text": "Note one."}, {"note_id": "N2", "text": "Note two."}]
    canaries = make_canaries(2, seed=3)
    planted = plant_canaries(records, canaries, repeats=3, seed=0)
    assert len(planted) == 6 and records[0]["text"] == "Note one."
    assert sum(r["text"].endswith(canaries[0].text) for r in planted) == 3
    assert len({r["note_id"] for r in planted}) == 6


def test_rank_and_exposure_on_fixed_numbers():
    pool = CandidatePool(DEFAULT_FORMAT, np.array([-9.0, -8.0, -7.0, -7.0, -1.0]))  # |R| = 6
    assert pool.rank(0.0) == 1.0 and pool.exposure(0.0) == pytest.approx(math.log2(6))
    assert pool.rank(-7.0) == pytest.approx(1 + 1 + 2 / 2)  # one above, two tied
    assert pool.rank(-100.0) == 6.0 and pool.exposure(-100.0) == pytest.approx(0.0)


@pytest.fixture(scope="module")
def memorised():
    """A tiny Llama (hidden 64, 2 layers) trained on general sentences with one canary every fourth row."""
    paragraphs = general_paragraphs()
    sentences = [s.strip() + "." for p in paragraphs for s in p.split(".") if len(s.strip()) > 20]
    canaries = make_canaries(21, seed=7)
    alphabet = "".join(sorted(set("".join(paragraphs)) | set("".join(c.text for c in canaries))))
    tok = build_char_tokenizer(alphabet)
    model = build_llama(tok, hidden=64, layers=2, seed=0)
    secret = canaries[0]
    rng = Random(0)
    rows = [secret.text if i % 4 == 0 else rng.choice(sentences)[:60] for i in range(400)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(120):
        batch = [tok(r)["input_ids"] for r in rows[(step * 16) % 400 : (step * 16) % 400 + 16]]
        width = max(map(len, batch))
        ids = torch.full((len(batch), width), tok.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        for i, row in enumerate(batch):
            ids[i, : len(row)] = torch.tensor(row)
            labels[i, : len(row)] = torch.tensor(row)
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return model, tok, secret, canaries[1:]


def test_memorised_canary_has_high_exposure_and_unseen_ones_near_random(memorised):
    model, tok, secret, unseen = memorised
    pool = CandidatePool.build(model, tok, secret.fmt, R, seed=5, exclude=[secret.text, *[c.text for c in unseen]])
    assert pool.size == R
    high = exposure(model, tok, secret, pool)
    assert high.exposure > math.log2(R) - 1.0 and high.candidates == R
    # An unseen canary's rank is uniform: exposure averages 1/ln 2 ≈ 1.44 bits (median 1 bit).
    lls = string_log_likelihoods(model, tok, [c.text for c in unseen])
    values = [pool.exposure(float(ll)) for ll in lls]
    assert 0.5 < float(np.mean(values)) < 2.6
    assert max(values) < math.log2(R) - 1.0


def test_memorised_canary_is_extracted_and_unseen_one_is_not(memorised):
    model, tok, secret, unseen = memorised
    got = extraction(model, tok, secret)
    assert got.reproduced and got.random_chars_matched == got.random_chars == 12
    assert not extraction(model, tok, unseen[0]).reproduced


def test_audit_flags_the_memorised_canary_only(memorised):
    model, tok, secret, unseen = memorised
    flagged = audit(model, tok, [secret, unseen[0]], candidates=R, threshold_bits=8.0)
    assert flagged["flagged"] and flagged["extracted"] == 1 and flagged["capped"] >= 1
    assert flagged["max"] == pytest.approx(flagged["exposures"][0]) and flagged["canaries"] == 2
    assert flagged["max_possible"] == pytest.approx(math.log2(R))
    clean = audit(model, tok, unseen[1:4], candidates=R, threshold_bits=8.0)
    assert not clean["flagged"] and clean["extracted"] == 0 and clean["max"] < 8.0
    with pytest.raises(UsageError):
        audit(model, tok, unseen[:1], candidates=R, threshold_bits=12.0)  # above log2(R): could never flag


def test_scan_outputs_counts_outputs_with_training_identifiers():
    training = [
        "Seen by Dr. Alice Brennan on 03/14/2021. MRN 48213377. Call 617-555-0199.",
        "Follow-up with Dr. Omar Castillo at Riverside Clinic on 04/02/2021.",
    ]
    surrogates = surrogate_strings(training)
    assert "48213377" in surrogates and surrogates["48213377"] == "ID"
    assert any("Brennan" in s for s in surrogates)
    outputs = [
        "Patient seen by Dr. Alice Brennan, stable.",
        "No identifiers here, pain 4/10.",
        "MRN 48213377 on file; follow-up 03/14/2021.",
    ]
    result = scan_outputs(outputs, surrogates)
    assert result["outputs"] == 3 and result["leaking_outputs"] == 2
    assert result["rate"] == pytest.approx(2 / 3) and result["matches"] >= 3
    assert result["by_label"]["ID"] == 1 and result["by_label"]["NAME"] == 1
    assert scan_outputs(outputs, ["pain 4/10"])["leaking_outputs"] == 1
    assert scan_outputs([], surrogates)["rate"] == 0.0
