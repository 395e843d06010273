"""'Apply to identical spans' in the review editor: one correction covers every occurrence of the same
text in the note (whole words only), and removing a span removes its identical twins."""

from __future__ import annotations

from gui.pages.review_editor import ReviewEditor, identical_additions, identical_removals

TEXT = "Seen by Ann Fox. Ann Fox to call back. Annual review; ANN FOX aware."


def span(start: int, end: int, label: str = "NAME") -> dict[str, object]:
    return {"start": start, "end": end, "label": label, "source": "test", "confidence": 0.9}


def test_additions_cover_every_whole_word_occurrence_not_yet_covered() -> None:
    first = TEXT.index("Ann Fox")
    second = TEXT.index("Ann Fox", first + 1)
    assert identical_additions(TEXT, first, first + 7, "NAME", []) == [(first, first + 7, "NAME"),
                                                                        (second, second + 7, "NAME")]
    # "Ann" inside "Annual" is another word; an occurrence a span already covers is left alone.
    ann = identical_additions(TEXT, first, first + 3, "NAME", [span(second, second + 7)])
    assert ann == [(first, first + 3, "NAME")]


def test_removals_take_the_spans_of_the_same_text_and_label() -> None:
    first = TEXT.index("Ann Fox")
    second = TEXT.index("Ann Fox", first + 1)
    spans = [span(first, first + 7), span(second, second + 7), span(second, second + 7, "LOCATION")]
    assert identical_removals(TEXT, first, first + 7, "NAME", spans) == [(first, first + 7, "NAME"),
                                                                          (second, second + 7, "NAME")]


def test_the_editor_applies_to_identical_spans_unless_unticked(qtbot) -> None:
    editor = ReviewEditor()
    qtbot.addWidget(editor)
    editor.show_record({"record_id": 1, "original": TEXT, "deidentified": TEXT, "spans": [], "risk": 0.0,
                        "corrected": False})
    first = TEXT.index("Ann Fox")
    assert editor.apply_all.isChecked()
    assert len(editor.additions(first, first + 7, "NAME")) == 2
    editor.apply_all.setChecked(False)
    assert editor.additions(first, first + 7, "NAME") == [(first, first + 7, "NAME")]
