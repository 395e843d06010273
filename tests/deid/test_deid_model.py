"""The optional token-classification model hook: label mapping, offsets, windows, local-only loading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from appliance.deid import DeidConfig, DeidEngine
from appliance.deid.lexicon import load_lexicon
from appliance.deid.recognizers.model import TransformersRecognizer
from appliance.deid.text import Document
from appliance.errors import InvalidInput


class FakePipeline:
    """Stands in for a transformers pipeline: tags given words wherever they occur in a window."""

    def __init__(self, tags: dict[str, tuple[str, float]]) -> None:
        self.tags = tags
        self.calls: list[str] = []

    def __call__(self, text: str) -> Sequence[Mapping[str, Any]]:
        self.calls.append(text)
        out = []
        for word, (group, score) in self.tags.items():
            start = text.find(word)
            while start >= 0:
                out.append({"entity_group": group, "score": score, "start": start, "end": start + len(word)})
                start = text.find(word, start + 1)
        return out


def test_fake_pipeline_mapping_and_offsets() -> None:
    text = "Zyx Qwerty lives in Ohio and works at Plumtree; seen 2021."
    fake = FakePipeline(
        {
            "Zyx Qwerty": ("B-PATIENT", 0.97),
            "Ohio": ("STATE", 0.99),  # states are allowed: dropped
            "Plumtree": ("I-HOSPITAL", 0.42),
            "2021": ("UNKNOWN_TAG", 0.9),  # unmapped: dropped
        }
    )
    recognizer = TransformersRecognizer(None, pipeline=fake)
    spans = list(recognizer.find(Document(text, load_lexicon())))
    assert [(text[s.start : s.end], s.label, s.subtype, s.confidence) for s in spans] == [
        ("Zyx Qwerty", "NAME", "patient", 0.97),
        ("Plumtree", "LOCATION", "facility", 0.42),
    ]
    assert all(s.source == "model" for s in spans)


def test_long_notes_are_windowed_with_correct_offsets() -> None:
    text = ("filler words here " * 200) + "Zyx Qwerty" + (" more filler" * 50)
    fake = FakePipeline({"Zyx Qwerty": ("PATIENT", 0.9)})
    recognizer = TransformersRecognizer(None, pipeline=fake, window_chars=500)
    spans = list(recognizer.find(Document(text, load_lexicon())))
    assert len(fake.calls) > 5
    assert [text[s.start : s.end] for s in spans] == ["Zyx Qwerty"]


def test_engine_uses_the_model_and_threshold(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    fake = FakePipeline({"Zyxqw": ("PATIENT", 0.95), "Vrrbl": ("DOCTOR", 0.3)})
    monkeypatch.setattr("appliance.deid.recognizers.model._load_pipeline", lambda model_dir: fake)
    config = DeidConfig(recognizers=("model", "date"), model_dir=str(tmp_path), confidence_threshold=0.5)
    engine = DeidEngine(config)
    text = "Zyxqw met Vrrbl on 3/4/2021."
    assert [(text[s.start : s.end], s.label) for s in engine.detect(text)] == [("Zyxqw", "NAME"), ("3/4/2021", "DATE")]
    engine.detect(text)
    assert len(fake.calls) == 2  # loaded once, called per note


def test_model_dir_must_be_a_local_model(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a folder"):
        TransformersRecognizer(tmp_path / "missing")
    with pytest.raises(InvalidInput, match="no config.json"):
        TransformersRecognizer(tmp_path)


@pytest.mark.slow
def test_tiny_local_transformers_model(tmp_path: Path) -> None:
    """A real (random, tiny) BERT token classifier saved to disk and loaded offline by the hook."""
    pytest.importorskip("transformers")
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    import appliance.offline  # noqa: F401

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "seen", "by", "dr", ".", "smith", "on", "monday"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt"), do_lower_case=True)
    labels = {0: "O", 1: "B-DOCTOR", 2: "I-DOCTOR", 3: "B-DATE"}
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=4,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    model = BertForTokenClassification(config)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    engine = DeidEngine(DeidConfig(recognizers=("model",), model_dir=str(tmp_path), confidence_threshold=0.0))
    text = "Seen by Dr. Smith on Monday."
    spans = engine.detect(text)
    for span in spans:  # random weights: any labels, but well-formed spans from the mapped set
        assert 0 <= span.start < span.end <= len(text)
        assert span.label in ("NAME", "DATE") and span.source == "model"
