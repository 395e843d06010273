"""Replacement: surrogates consistent per patient, date shifting, ages, ZIP rule, mask mode."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from appliance.deid import RESTRICTED_ZIP_PREFIXES, DeidConfig, DeidEngine, Span
from appliance.deid import dates as datefmt
from appliance.deid.surrogates import date_offset

SECRET = b"0123456789abcdef-test-secret"


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine(DeidConfig(reference_year=2024))


def _names(engine: DeidEngine, text: str) -> list[str]:
    return [text[s.start : s.end] for s in engine.detect(text) if s.label == "NAME"]


def test_same_name_same_surrogate_within_patient(engine: DeidEngine) -> None:
    note1 = "Seen by Dr. Okonkwo with Mr. Whitfield."
    note2 = "MR. WHITFIELD CALLED; DR. OKONKWO UPDATED."
    out1 = engine.deidentify(note1, patient_id="p1", secret=SECRET)[0]
    out2 = engine.deidentify(note2, patient_id="p1", secret=SECRET)[0]
    first = re.search(r"Mr\. (\w+)", out1)
    second = re.search(r"MR\. (\w+)", out2)
    assert first and second
    assert first.group(1).upper() == second.group(1)  # same surrogate, case kept
    assert "Whitfield" not in out1 and "WHITFIELD" not in out2 and "Okonkwo" not in out1


def test_surrogates_differ_across_patients_and_secrets(engine: DeidEngine) -> None:
    note = "Mrs. Abernathy and Dr. Okonkwo met on 03/04/2021 at 14:30; call 617-555-0134."
    outs = {engine.deidentify(note, patient_id=p, secret=SECRET)[0] for p in ("p1", "p2", "p3")}
    assert len(outs) == 3
    other_secret = engine.deidentify(note, patient_id="p1", secret=b"another-secret-0123456789")[0]
    assert other_secret not in outs
    again = engine.deidentify(note, patient_id="p1", secret=SECRET)[0]
    assert again in outs  # deterministic
    assert all("14:30" in o for o in outs)  # times are not PHI and stay


DATE_FORMS = [
    ("03/04/2021", r"\d\d/\d\d/\d{4}"),
    ("3/4/21", r"\d{1,2}/\d{1,2}/\d\d"),
    ("2021-03-04", r"\d{4}-\d\d-\d\d"),
    ("03-Mar-2021", r"\d\d-[A-Z][a-z]{2}-\d{4}"),
    ("March 3rd, 2021", r"[A-Z][a-z]+ \d{1,2}(st|nd|rd|th), \d{4}"),
    ("3 MARCH 2021", r"\d{1,2} [A-Z]+ \d{4}"),
    ("Jan. 5, 2020", r"[A-Z][a-z]{2}\. \d{1,2}, \d{4}"),
    ("7/22", r"\d{1,2}/\d{1,2}"),
]


@pytest.mark.parametrize(("original", "layout"), DATE_FORMS)
def test_date_shift_keeps_layout(original: str, layout: str) -> None:
    parsed = datefmt.parse(original, 2024)
    assert parsed is not None
    shifted = datefmt.shift(parsed, -100)
    assert shifted != original
    assert re.fullmatch(layout, shifted), shifted


def test_date_shift_keeps_intervals_for_a_patient(engine: DeidEngine) -> None:
    note = "Admitted 03/04/2021. Surgery March 10, 2021. Discharged 2021-04-02. Seen 12-Apr-2021."
    out, spans = engine.deidentify(note, patient_id="p9", secret=SECRET)
    originals = [datefmt.parse(note[s.start : s.end], 2024) for s in spans if s.label == "DATE"]
    pattern = r"\d\d/\d\d/\d{4}|[A-Z][a-z]+ \d{1,2}, \d{4}|\d{4}-\d\d-\d\d|\d\d-[A-Z][a-z]{2}-\d{4}"
    shifted = [datefmt.parse(t, 2024) for t in re.findall(pattern, out)]
    assert len(originals) == len(shifted) == 4

    def day(p: datefmt.ParsedDate | None) -> dt.date:
        assert p is not None and p.year is not None and p.day is not None
        return dt.date(p.year, p.month, p.day)

    offsets = {(day(b) - day(a)).days for a, b in zip(originals, shifted, strict=True)}
    assert len(offsets) == 1  # one offset per patient: every interval kept
    offset = offsets.pop()
    cfg = engine.config
    assert cfg.date_shift_min_days <= offset <= cfg.date_shift_max_days
    assert offset == date_offset(SECRET, "p9", cfg.date_shift_min_days, cfg.date_shift_max_days)


def test_date_offsets_cover_the_range_and_never_zero() -> None:
    offsets = {date_offset(SECRET, f"p{i}", -30, -1) for i in range(600)}
    assert offsets == set(range(-30, 0))


def test_ages_over_89_become_90_plus(engine: DeidEngine) -> None:
    note = "A 92-year-old woman; husband 101 yo; Age: 95. Her son is 64 years old and aged 89 sister."
    out = engine.deidentify(note, patient_id="p1", secret=SECRET)[0]
    assert out == "A 90+-year-old woman; husband 90+ yo; Age: 90+. Her son is 64 years old and aged 89 sister."


@pytest.mark.parametrize(
    ("original", "expected"),
    [("02115", "02100"), ("62704", "62700"), ("02115-3821", "02100-0000"), ("10001", "10000")]
    + [(prefix + "42", "00000") for prefix in RESTRICTED_ZIP_PREFIXES],
)
def test_zip_rule(engine: DeidEngine, original: str, expected: str) -> None:
    note = f"Springfield, MA {original}"
    span = [s for s in engine.detect(note) if s.subtype == "zip"]
    assert span, note
    out = engine.apply(note, span, patient_id="p1", secret=SECRET)
    assert out == f"Springfield, MA {expected}"


def test_mask_mode() -> None:
    masker = DeidEngine(DeidConfig(mode="mask"))
    note = "Dr. Okonkwo saw the 93 yo on 3/4/2021 at 12 Elm Street; SSN 078-05-1120; k@x.org."
    out = masker.deidentify(note, patient_id="p1", secret=SECRET)[0]
    assert out == "Dr. [NAME] saw the [AGE] yo on [DATE] at [LOCATION]; SSN [ID]; [CONTACT]."


def test_safe_surrogate_ranges(engine: DeidEngine) -> None:
    note = (
        "SSN 078-05-1120. Call (617) 555-0134. Email k.mensah@healthmail.org. "
        "Portal https://mychart.hospital.org/x. Host 10.1.2.3. MRN: 00452211."
    )
    out = engine.deidentify(note, patient_id="p1", secret=SECRET)[0]
    assert re.search(r"SSN 9\d\d-\d\d-\d{4}\.", out)  # 9xx: never issued
    assert re.search(r"\(\d{3}\) 555-01\d\d", out)  # fictional exchange
    assert re.search(r"@example\.(com|org|net)", out)
    assert "https://www.example.org/" in out
    assert re.search(r"Host (192\.0\.2|198\.51\.100|203\.0\.113)\.\d+", out)
    assert re.search(r"MRN: \d{8}\.", out) and "00452211" not in out


def test_surrogate_text_keeps_structure(engine: DeidEngine) -> None:
    note = "Lives at 1452 N. Maplewood Ave, Apt 3B, Springfield, IL 62704; seen at Lakeside Nursing Home."
    out = engine.deidentify(note, patient_id="p1", secret=SECRET)[0]
    assert re.search(
        r"Lives at \d{4} N\. \w+ Ave, Apt \d[A-Z], [\w .'-]+, [A-Z]{2} 62700; seen at [\w .'-]+ Nursing Home\.", out
    ), out
    assert "Maplewood" not in out and "Lakeside" not in out
    assert "Springfield" not in out and ", IL " not in out  # the state goes with the rest of the address


@pytest.mark.parametrize(
    ("note", "real"),
    [
        ("pt lives at 88 Beacon Street, Apt 5C, Boston, MA 02108.", ("Beacon", "Boston", "MA")),
        ("Address: 12 Rua Nova, 4050-262 Porto, Portugal.", ("Nova", "Porto", "Portugal")),
        ("HOME AT 88 CORLISS AVE APT 3B, PROVIDENCE, RI. PUMP FAILURE", ("CORLISS", "PROVIDENCE", "RI.")),
        ("HOME ADDRESS: RUA DAS FLORES 112, 4050-262 PORTO, PORTUGAL.", ("FLORES", "4050-262", "PORTO", "PORTUGAL")),
    ],
)
def test_town_written_inside_a_street_span_is_replaced(engine: DeidEngine, note: str, real: tuple[str, ...]) -> None:
    """A street line that runs on into its town, state and country: each part gets a stand-in, none is
    kept and none is dropped (the unit keeps its word)."""
    out = engine.deidentify(note, patient_id="p4", secret=SECRET)[0]
    for word in real:
        assert word not in out, out
    assert out.count(",") == note.count(","), out
    assert not re.search(r",\s*[,.]|,\s*$", out), out  # no part left empty


def test_apply_checks_its_inputs(engine: DeidEngine) -> None:
    text = "Dr. Okonkwo"
    overlapping = [Span(0, 6, "NAME"), Span(4, 11, "NAME")]
    with pytest.raises(ValueError, match="overlaps"):
        engine.apply(text, overlapping, patient_id="p1", secret=SECRET)
    with pytest.raises(ValueError, match="past the text length"):
        engine.apply(text, [Span(4, 40, "NAME")], patient_id="p1", secret=SECRET)
    with pytest.raises(ValueError, match="16 bytes"):
        engine.apply(text, [Span(4, 11, "NAME")], patient_id="p1", secret=b"short")
    assert engine.apply(text, [], patient_id="p1", secret=SECRET) == text


def test_surrogate_names_are_found_again(engine: DeidEngine) -> None:
    """Surrogates are realistic: a second pass still sees names where names were."""
    note = "Patient: Whitfield, Amos   Seen by Dr. Okonkwo with daughter Priya."
    out = engine.deidentify(note, patient_id="p3", secret=SECRET)[0]
    assert len(_names(engine, out)) == len(_names(engine, note))
