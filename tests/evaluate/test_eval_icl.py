"""In-context prompts: the k nearest examples as earlier turns, the training wording for the query,
and never longer than the budget."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.data.tasks import ExampleTooLong, TaskConfig, build_prompt
from appliance.errors import UsageError
from appliance.evaluate.icl import ICLConfig, ICLPrompts, TfidfSelector, run_icl
from appliance.synthetic import SPECIALTIES

CONFIG = TaskConfig(label_set=SPECIALTIES, max_length=2048)


def _nearest(train, query, k):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True)
    matrix = vec.fit_transform([r["text"] for r in train])
    sims = (matrix @ vec.transform([query["text"]]).T).toarray().ravel()
    return [int(i) for i in np.argsort(-sims, kind="stable")[:k]]


def test_config_validation_and_help():
    assert set(ICLConfig.help()) == {"k", "similarity", "max_prompt_tokens", "calibrate", "shot_note_tokens", "seed",
                                     "dtype"}
    assert all(ICLConfig.help().values())
    for bad in ({"k": -1}, {"similarity": "vibes"}, {"max_prompt_tokens": 4}, {"shot_note_tokens": -2},
                {"dtype": "float16"}):
        with pytest.raises(UsageError):
            ICLConfig(**bad)
    with pytest.raises(UsageError):
        ICLConfig.from_mapping({"kk": 3})
    assert ICLConfig.from_mapping({"k": 2}).to_dict()["k"] == 2


def test_tfidf_selector_is_nearest_first_and_deterministic():
    texts = ["chest pain troponin cardiology", "knee fracture cast", "seizure eeg neurology", "chest pain ecg troponin"]
    selector = TfidfSelector(texts)
    picked = selector.select("troponin chest pain ecg", 2)
    assert picked == [3, 0]
    assert selector.select("troponin chest pain ecg", 2) == picked
    assert selector.select("knee fracture cast", 4)[0] != 1  # an identical note is the answer, not an example
    assert selector.select("anything", 0) == []


def test_prompt_holds_the_k_nearest_examples_then_the_training_query(tokenizer, notes):
    train, query = notes[:40], notes[50]
    prompts = ICLPrompts("classify", tokenizer, CONFIG, train, ICLConfig(k=3, max_prompt_tokens=8192))
    built = prompts.build(query)
    nearest = _nearest(train, query, 3)
    assert built.shots == list(reversed(nearest))  # most similar last, next to the query
    text = tokenizer.decode(built.ids)
    for index in nearest:
        assert train[index]["text"] in text
    # One assistant turn per example, answering with that example's label.
    assert text.count("<|im_start|>assistant\n") == 4
    for index in nearest:
        assert f"<|im_start|>assistant\n{train[index]['specialty']}<|im_end|>" in text
    # The query is exactly the zero-shot training prompt (ChatML has no default system message).
    zero = build_prompt("classify", query, tokenizer, CONFIG)
    assert built.ids[-len(zero) :] == zero


def test_zero_shot_is_build_prompt(tokenizer, notes):
    prompts = ICLPrompts("classify", tokenizer, CONFIG, notes[:10], ICLConfig(k=0, max_prompt_tokens=2048))
    assert prompts.prompt(notes[20]) == build_prompt("classify", notes[20], tokenizer, CONFIG)


def test_examples_that_do_not_fit_are_dropped_least_similar_first(tokenizer, notes):
    train, query = notes[:40], notes[50]
    unlimited = ICLPrompts("classify", tokenizer, CONFIG, train, ICLConfig(k=3, max_prompt_tokens=16384)).build(query)
    zero = len(build_prompt("classify", query, tokenizer, CONFIG))
    # Room for the query and roughly one example, never three.
    limit = zero + (len(unlimited.ids) - zero) // 2
    reserve = 12
    prompts = ICLPrompts("classify", tokenizer, CONFIG, train, ICLConfig(k=3, max_prompt_tokens=limit), reserve=reserve)
    built = prompts.build(query)
    assert len(built.ids) <= limit - reserve
    assert 0 < len(built.shots) < 3
    assert built.shots == unlimited.shots[-len(built.shots) :]  # the most similar survive


def test_query_that_cannot_fit_is_refused(tokenizer, notes):
    config = TaskConfig(label_set=SPECIALTIES, max_length=64)
    prompts = ICLPrompts("classify", tokenizer, config, notes[:5], ICLConfig(k=1, max_prompt_tokens=64), reserve=60)
    with pytest.raises(ExampleTooLong):
        prompts.build(notes[10])


def test_shot_notes_can_be_shortened(tokenizer, notes):
    cfg = ICLConfig(k=2, max_prompt_tokens=8192, shot_note_tokens=20)
    built = ICLPrompts("classify", tokenizer, CONFIG, notes[:40], cfg).build(notes[50])
    full = ICLPrompts("classify", tokenizer, CONFIG, notes[:40], ICLConfig(k=2, max_prompt_tokens=8192)).build(
        notes[50]
    )
    assert built.shots == full.shots and len(built.ids) < len(full.ids)
    assert tokenizer.decode(built.ids).count(" [...]") >= 2


@pytest.mark.parametrize("budget", [8192, 1500])
def test_content_free_prompt_keeps_exactly_the_examples_of_the_real_prompt(tokenizer, notes, budget):
    # With a tight budget the real prompt drops examples; the short content-free query must not win them back.
    prompts = ICLPrompts("classify", tokenizer, CONFIG, notes[:40], ICLConfig(k=3, max_prompt_tokens=budget))
    assert len(prompts.build(notes[50]).shots) == (3 if budget == 8192 else 1)
    real = tokenizer.decode(prompts.prompt(notes[50]))
    cf = tokenizer.decode(prompts.content_free(notes[50], "N/A"))
    assert notes[50]["text"] not in cf and cf.endswith("Note:\nN/A<|im_end|>\n<|im_start|>assistant\n")
    assert real.split("<|im_start|>user")[:-1] == cf.split("<|im_start|>user")[:-1]


def test_fixed_selector_gives_every_query_the_same_examples(tokenizer, notes):
    config = ICLConfig(k=2, similarity="fixed", seed=4, max_prompt_tokens=16384)
    prompts = ICLPrompts("classify", tokenizer, CONFIG, notes[:40], config)
    assert len(prompts.build(notes[50]).shots) == 2
    assert prompts.build(notes[50]).shots == prompts.build(notes[60]).shots
    # Same examples, same content-free prompt: calibration pays for it once.
    assert prompts.content_free(notes[50], "N/A") == prompts.content_free(notes[60], "N/A")


def test_run_icl_classify_and_generate(tokenizer, tiny_model, notes):
    config = ICLConfig(k=1, max_prompt_tokens=4096)
    result = run_icl(tiny_model, tokenizer, "classify", CONFIG, notes[:30], notes[40:43], config)
    assert len(result.predictions) == 3 and set(result.predictions) <= set(SPECIALTIES)
    assert result.calibrated is not None and set(result.calibrated) <= set(SPECIALTIES)
    assert result.shots_used == [1, 1, 1]
    summary = run_icl(tiny_model, tokenizer, "summarize", TaskConfig(max_length=4096), notes[:30], notes[40:42],
                      config, max_new_tokens=5)  # fmt: skip
    assert len(summary.predictions) == 2 and summary.calibrated is None
    assert all(isinstance(p, str) for p in summary.predictions)


@pytest.mark.parametrize("k", [0, 2])
def test_shared_prefix_scores_equal_the_full_passes(tokenizer, tiny_model, notes, k):
    """The prefix the query and its content-free twins share is run once; scores, raw and calibrated,
    match scoring each prompt in full."""
    from appliance.evaluate.label_scoring import LabelScorer, common_prefix_length, label_replies

    reserve = max(len(r) for r in label_replies(tokenizer, SPECIALTIES).tokens)
    config = ICLConfig(k=k, max_prompt_tokens=4096, shot_note_tokens=24)

    def scorer(share_prefix):
        prompts = ICLPrompts("classify", tokenizer, CONFIG, notes[:30], config, reserve=reserve)
        return LabelScorer(tiny_model, tokenizer, "classify", CONFIG, SPECIALTIES, prompts=prompts,
                           share_prefix=share_prefix)  # fmt: skip

    records = notes[40:44]
    shared, full = scorer(True), scorer(False)
    for calibrate in (False, True):
        got = shared.predict_scores(records, calibrate=calibrate)
        want = full.predict_scores(records, calibrate=calibrate)
        np.testing.assert_allclose(got.raw_scores, want.raw_scores, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got.log_probs, want.log_probs, rtol=1e-5, atol=1e-5)
        assert got.labels == want.labels
    # The content-free rows the shared path stored are those of the full passes.
    for ids, row in shared._cf_cache.items():
        np.testing.assert_allclose(row, full._cf_cache[ids], rtol=1e-5, atol=1e-5)
    # With examples, what is shared is the system prompt and every example: most of the prompt.
    prompts = shared.prompts
    query = prompts.prompt(records[0])
    free = [prompts.content_free(records[0], t) for t in ("N/A", "", "[MASK]")]
    common = common_prefix_length([query, *free])
    examples_end = len(tokenizer.decode(query[:common]).split("<|im_start|>user")) - 1
    assert examples_end == k + 1  # the query's own user turn has begun, every example turn is inside


def test_balanced_selector_shows_every_label_before_any_twice():
    from appliance.evaluate.icl import BalancedSelector, FixedSelector

    texts = [f"note {i}" for i in range(12)]
    labels = ["a"] * 7 + ["b"] * 3 + ["c"] * 2
    selector = BalancedSelector(texts, 5, labels)
    picked = selector.select("a new note", 7)
    assert [labels[i] for i in picked] == ["a", "b", "c", "a", "b", "c", "a"]
    assert picked == BalancedSelector(texts, 5, labels).select("another note", 7)  # the same for every query
    assert selector.select("note 0", 12)[0] != 0 or labels[0] != "a"  # a note identical to the query is skipped
    assert len(set(selector.select("x", 12))) == 12
    # Without labels it is the seeded fixed draw.
    assert BalancedSelector(texts, 5).select("x", 4) == FixedSelector(texts, 5).select("x", 4)


@pytest.mark.parametrize("similarity", ["fixed", "balanced"])
def test_examples_the_same_for_every_query_are_run_once_per_pass(tokenizer, tiny_model, notes, similarity):
    """With the same examples for every query, the system prompt and the examples are kept as a run
    start across records: scores equal the full passes, and the model reads far fewer tokens."""
    from appliance.evaluate.label_scoring import LabelScorer, label_replies

    reserve = max(len(r) for r in label_replies(tokenizer, SPECIALTIES).tokens)
    config = ICLConfig(k=3, similarity=similarity, max_prompt_tokens=4096, shot_note_tokens=24)
    records = notes[40:46]
    read, kept = [], []
    hook = tiny_model.register_forward_pre_hook(
        lambda module, args, kwargs: read.append(kwargs["input_ids"].numel()), with_kwargs=True)

    def scored(share_prefix, calibrate):
        prompts = ICLPrompts("classify", tokenizer, CONFIG, notes[:30], config, reserve=reserve)
        scorer = LabelScorer(tiny_model, tokenizer, "classify", CONFIG, SPECIALTIES, prompts=prompts,
                             share_prefix=share_prefix)  # fmt: skip
        read.clear()
        scored = scorer.predict_scores(records, calibrate=calibrate, progress=lambda done, total: kept.append(
            scorer._prefix))
        return scorer, scored, sum(read)

    try:
        for calibrate in (False, True):
            kept.clear()
            shared, got, shared_tokens = scored(True, calibrate)
            prefix = kept[-1]
            _, want, full_tokens = scored(False, calibrate)
            np.testing.assert_allclose(got.raw_scores, want.raw_scores, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(got.log_probs, want.log_probs, rtol=1e-5, atol=1e-5)
            assert got.labels == want.labels
            # The kept start holds the system prompt and all three examples ...
            assert prefix is not None
            assert tokenizer.decode(list(prefix.ids)).count("<|im_start|>assistant") == 3
            # ... every record after the first two (the second finds what it shares with the first)
            # reads none of it again ...
            assert shared_tokens <= full_tokens - (len(records) - 2) * len(prefix.ids)
            # ... and nothing of the records is kept once they are scored.
            assert shared._prefix is None and shared._previous is None
    finally:
        hook.remove()


def test_scoring_precision_follows_the_setting(tokenizer, tiny_model, notes):
    """'bfloat16' scores under bfloat16 autocast (weights stay float32), 'float32' without it; scores agree
    to bfloat16's precision."""
    import torch

    from appliance.evaluate.icl import ICLPass
    from appliance.runtime.device import scoring_autocast

    seen = []
    hook = tiny_model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append(torch.is_autocast_enabled("cpu")), with_kwargs=True)
    try:
        scores = {}
        for dtype in ("float32", "bfloat16"):
            seen.clear()
            icl = ICLPass(tiny_model, tokenizer, "classify", CONFIG, notes[:30],
                          ICLConfig(k=1, max_prompt_tokens=4096, shot_note_tokens=24, dtype=dtype))  # fmt: skip
            with scoring_autocast(tiny_model, dtype):
                scores[dtype] = icl.scorer.predict_scores(notes[40:42], calibrate=True).raw_scores
            seen.clear()
            icl.run(notes[42:43])
            assert seen and set(seen) == {dtype == "bfloat16"}
    finally:
        hook.remove()
    assert next(tiny_model.parameters()).dtype == torch.float32
    assert not np.array_equal(scores["bfloat16"], scores["float32"])
    np.testing.assert_allclose(scores["bfloat16"], scores["float32"], rtol=0.05, atol=0.5)


def test_shared_prefix_falls_back_when_nothing_is_shared(tokenizer, tiny_model):
    from appliance.evaluate.label_scoring import label_replies, score_replies, score_replies_after, shared_prefix

    replies = label_replies(tokenizer, SPECIALTIES)
    a = tokenizer("alpha beta gamma")["input_ids"]
    b = tokenizer("zeta eta theta")["input_ids"]
    assert a[0] != b[0]
    assert shared_prefix(tiny_model, [a, b], replies) is None
    # One prompt inside another: the shorter keeps its last token for itself and still matches.
    prefix = shared_prefix(tiny_model, [a, a + b], replies)
    assert prefix is not None
    for ids in (a, a + b):
        row = score_replies_after(tiny_model, prefix, ids, replies)
        assert row is not None
        np.testing.assert_allclose(row, score_replies(tiny_model, ids, replies), rtol=1e-5, atol=1e-5)


def test_icl_pass_counts_prompt_tokens_and_runs_like_run_icl(tokenizer, tiny_model, notes):
    from appliance.evaluate.icl import ICLPass

    config = ICLConfig(k=2, max_prompt_tokens=4096)
    icl = ICLPass(tiny_model, tokenizer, "classify", CONFIG, notes[:30], config)
    assert icl.prompt_tokens(notes[40]) == len(icl.prompts.prompt(notes[40])) > 0
    once = icl.run(notes[40:43])
    assert once.predictions == run_icl(tiny_model, tokenizer, "classify", CONFIG, notes[:30], notes[40:43],
                                       config).predictions  # fmt: skip


def test_calibration_tokens_count_only_what_follows_the_shared_start(tokenizer, notes):
    from appliance.compare.baselines import _icl_tokens_per_query
    from appliance.evaluate.label_scoring import label_replies
    from appliance.evaluate.prompts import CONTENT_FREE_INPUTS

    config = ICLConfig(k=2, max_prompt_tokens=4096)
    query_tokens, calibration = _icl_tokens_per_query(tokenizer, "classify", CONFIG, notes[:30], notes[40:42], config)
    reserve = max(len(r) for r in label_replies(tokenizer, SPECIALTIES).tokens)
    prompts = ICLPrompts("classify", tokenizer, CONFIG, notes[:30], config, reserve=reserve)
    whole, after = 0, 0
    for record in notes[40:42]:
        query = prompts.prompt(record)
        for text in CONTENT_FREE_INPUTS:
            free = prompts.content_free(record, text)
            whole += len(free)
            shared = next(i for i, (a, b) in enumerate(zip(query, free, strict=False)) if a != b)
            after += len(free) - shared
    assert query_tokens == pytest.approx(sum(len(prompts.prompt(r)) for r in notes[40:42]) / 2)
    # The three content-free prompts differ from the query only in the note: their start is read once.
    assert calibration == pytest.approx(after / 2) and 0 < calibration < whole / 6
