"""The decode loop's pieces: stop strings, incremental detokenization, sampling."""

from __future__ import annotations

import random

import pytest
import torch

from appliance.serve.backends.decoding import IncrementalDetokenizer, SamplingParams, StopMatcher, sample

from .tiny import build_tokenizer


def feed(matcher: StopMatcher, pieces: list[str]) -> tuple[list[str], str]:
    out = [matcher.push(p) for p in pieces]
    return out, "" if matcher.stopped else matcher.flush()


def test_stop_string_split_over_pieces_is_never_shown() -> None:
    out, tail = feed(StopMatcher(["END"]), ["abc E", "N", "D more"])
    assert out == ["abc ", "", ""] and tail == ""
    assert "".join(out) == "abc "


def test_held_back_prefix_is_released_when_it_is_not_a_stop() -> None:
    matcher = StopMatcher(["END"])
    assert matcher.push("abc EN") == "abc "
    assert matcher.push("x") == "ENx"
    assert not matcher.stopped


def test_earliest_of_several_stops_wins() -> None:
    matcher = StopMatcher(["zz", "b"])
    assert matcher.push("a b zz") == "a "
    assert matcher.stopped


def test_no_stops_passes_through() -> None:
    assert feed(StopMatcher([]), ["a", "b"]) == (["a", "b"], "")


def test_incremental_detokenizer_matches_full_decode() -> None:
    tokenizer = build_tokenizer()
    rng = random.Random(0)
    for _ in range(20):
        ids = [rng.randrange(4, len(tokenizer)) for _ in range(40)]
        detok = IncrementalDetokenizer(lambda t: tokenizer.decode(t, skip_special_tokens=True))
        pieces = [detok.push(i) for i in ids]
        pieces.append(detok.flush())
        assert "".join(pieces) == tokenizer.decode(ids, skip_special_tokens=True)
        assert not any(p.endswith("\ufffd") for p in pieces[:-1])


def test_greedy_and_seeded_sampling() -> None:
    logits = torch.tensor([0.1, 2.0, 0.3, 1.9])
    assert sample(logits, SamplingParams(4, temperature=0), None) == 1
    draws = [sample(logits, SamplingParams(4, temperature=1.0), torch.Generator().manual_seed(7)) for _ in range(3)]
    assert len(set(draws)) == 1
    # top_p small enough keeps only the most likely token.
    many = {sample(logits, SamplingParams(4, temperature=1.0, top_p=0.3), torch.Generator().manual_seed(s))
            for s in range(30)}
    assert many == {1}


@pytest.mark.parametrize("kwargs", [{"max_tokens": 0}, {"max_tokens": 1, "temperature": -1},
                                    {"max_tokens": 1, "top_p": 0}, {"max_tokens": 1, "stop": ("",)}])
def test_sampling_params_are_checked(kwargs) -> None:
    with pytest.raises(ValueError):
        SamplingParams(**kwargs)
