"""Quality filters: each reason fires, reports add up, near duplicates are confirmed, nothing leaks."""

from __future__ import annotations

import pytest

from appliance.data.filters import (
    REASONS,
    FilterConfig,
    filter_records,
    jaccard,
    normalise,
    shingle_hashes,
    token_counter,
)
from appliance.errors import UsageError
from appliance.synthetic import generate, to_record_dict


def _rec(text, reviewed=True, **extra):
    return {"text": text, "reviewed": reviewed, **extra}


@pytest.fixture(scope="module")
def notes():
    return [to_record_dict(n) | {"reviewed": True} for n in generate(60, seed=13)]


def test_each_reason_fires_and_the_report_adds_up(notes):
    base = notes[0]["text"]
    near = base.replace("Pt", "Patient", 1)[:-5] + " ok."
    records = [
        _rec(base),  # 0 kept
        _rec("   "),  # 1 empty
        _rec("too short"),  # 2 too_short
        _rec("x" * 200),  # 3 too_long (max_chars=150 below)
        _rec(notes[1]["text"], reviewed=False),  # 4 unreviewed
        _rec("  " + base.upper() + "\n"),  # 5 exact duplicate after normalisation
        _rec(near),  # 6 near duplicate of 0
        _rec(notes[2]["text"]),  # 7 kept
        _rec("", reviewed=False),  # 8 empty + unreviewed
    ]
    config = FilterConfig(min_chars=20, max_chars=max(len(base), len(notes[2]["text"])) + 10)
    records[3]["text"] = "x" * (config.max_chars + 1)
    result = filter_records(records, config)
    assert result.kept_indices == [0, 7]
    assert result.kept == [records[0], records[7]]
    assert result.reasons[1] == ("empty",) and result.reasons[2] == ("too_short",)
    assert result.reasons[3] == ("too_long",) and result.reasons[4] == ("unreviewed",)
    assert result.reasons[5] == ("exact_duplicate",) and result.reasons[6] == ("near_duplicate",)
    assert result.reasons[8] == ("empty", "unreviewed")
    assert result.duplicate_of == {5: 0, 6: 0}
    assert set(result.report) == set(REASONS)
    assert sum(result.report.values()) == len(records) - len(result.kept)
    assert result.report["empty"] == 2


def test_review_override_and_flag_values(notes):
    records = [_rec(notes[i]["text"], reviewed=flag) for i, flag in enumerate([True, "yes", 1, "no", None, 0])]
    assert filter_records(records).kept_indices == [0, 1, 2]
    assert len(filter_records(records, FilterConfig(require_reviewed=False)).kept) == 6


def test_token_limits_need_a_counter(notes, bpe_tokenizer):
    records = [_rec(n["text"]) for n in notes[:10]]
    config = FilterConfig(max_tokens=300)
    with pytest.raises(UsageError):
        filter_records(records, config)
    count = token_counter(bpe_tokenizer)
    result = filter_records(records, config, count_tokens=count)
    for rec, reasons in zip(records, result.reasons, strict=True):
        assert (count(rec["text"].strip()) > 300) == ("too_long" in reasons)


def test_synthetic_corpus_has_no_near_duplicates_at_the_default_threshold():
    records = [to_record_dict(n) | {"reviewed": True} for n in generate(300, seed=21)]
    result = filter_records(records)
    assert len(result.kept) == len(records), result.report


def test_near_duplicate_threshold_is_exact_jaccard(notes):
    a, b = normalise(notes[3]["text"]), normalise(notes[3]["text"][: len(notes[3]["text"]) * 3 // 4])
    similarity = jaccard(shingle_hashes(a, 5), shingle_hashes(b, 5))
    records = [_rec(notes[3]["text"]), _rec(notes[3]["text"][: len(notes[3]["text"]) * 3 // 4])]
    assert filter_records(records, FilterConfig(near_duplicate_threshold=similarity - 1e-9)).reasons[1] == (
        "near_duplicate",
    )
    assert filter_records(records, FilterConfig(near_duplicate_threshold=similarity + 1e-9)).reasons[1] == ()
    assert filter_records(records, FilterConfig(near_duplicate_threshold=None)).reasons[1] == ()


def test_deterministic(notes):
    records = [_rec(n["text"][: 300 + 10 * (i % 5)]) for i, n in enumerate(notes)] * 2
    first = filter_records(records, FilterConfig(near_duplicate_threshold=0.5))
    second = filter_records(records, FilterConfig(near_duplicate_threshold=0.5))
    assert first.reasons == second.reasons and first.duplicate_of == second.duplicate_of


def test_shingles_and_jaccard_basics():
    assert shingle_hashes("", 5).size == 0
    assert shingle_hashes("abc", 5).size == 1
    h = shingle_hashes("abcdefgh", 3)
    assert h.size == 6 and jaccard(h, h) == 1.0
    assert jaccard(shingle_hashes("aaaaaa", 3), shingle_hashes("bbbbbb", 3)) == 0.0


@pytest.mark.parametrize(
    "bad",
    [
        dict(min_chars=10, max_chars=5),
        dict(near_duplicate_threshold=1.5),
        dict(minhash_bands=5),
        dict(min_tokens=10, max_tokens=5),
        dict(shingle_chars=0),
    ],
)
def test_config_validation(bad):
    with pytest.raises(UsageError):
        FilterConfig(**bad)
    assert all(FilterConfig.help().values())
