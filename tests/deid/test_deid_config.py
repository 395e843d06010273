"""DeidConfig: defaults, validation, loading from a dict and from TOML."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from appliance.deid import DEFAULT_RECOGNIZERS, RESTRICTED_ZIP_PREFIXES, DeidConfig
from appliance.errors import InvalidInput


def test_defaults() -> None:
    cfg = DeidConfig()
    assert cfg.mode == "surrogate"
    assert (cfg.date_shift_min_days, cfg.date_shift_max_days) == (-365, -1)
    assert cfg.recognizers == DEFAULT_RECOGNIZERS
    assert cfg.model_dir is None
    assert cfg.max_age_kept == 89
    assert set(cfg.restricted_zip_prefixes) == set(RESTRICTED_ZIP_PREFIXES)
    assert len(RESTRICTED_ZIP_PREFIXES) == 17


def test_every_field_has_help() -> None:
    help_texts = DeidConfig.help()
    assert set(help_texts) == {f.name for f in fields(DeidConfig)}
    assert all(len(text) > 20 for text in help_texts.values())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mode": "redact"}, "mode must be one of"),
        ({"date_shift_min_days": -1, "date_shift_max_days": -30}, "must not exceed"),
        ({"date_shift_min_days": -10, "date_shift_max_days": 10}, "must not contain 0"),
        ({"date_shift_min_days": -5000, "date_shift_max_days": -1}, "3650"),
        ({"confidence_threshold": 1.5}, "confidence_threshold"),
        ({"max_age_kept": 95}, "max_age_kept"),
        ({"reference_year": 21}, "reference_year"),
        ({"restricted_zip_prefixes": ["36"]}, "three-digit"),
        ({"recognizers": []}, "at least one"),
        ({"recognizers": ["model"]}, "needs model_dir"),
        ({"colour": "blue"}, "unknown setting"),
    ],
)
def test_validation(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        DeidConfig.from_dict(settings)


def test_positive_shift_range_is_allowed() -> None:
    assert DeidConfig(date_shift_min_days=10, date_shift_max_days=40).date_shift_max_days == 40


def test_round_trip_through_dict_and_toml(tmp_path: Path) -> None:
    cfg = DeidConfig(mode="mask", recognizers=("email", "date"), confidence_threshold=0.7, reference_year=2023)
    data = cfg.to_dict()
    assert data["recognizers"] == ["email", "date"]
    assert DeidConfig.from_dict(data) == cfg
    toml = tmp_path / "settings.toml"
    toml.write_text(
        '[deid]\nmode = "mask"\nrecognizers = ["email", "date"]\nconfidence_threshold = 0.7\nreference_year = 2023\n'
    )
    assert DeidConfig.from_toml(toml) == cfg
    flat = tmp_path / "flat.toml"
    flat.write_text('mode = "mask"\n')
    assert DeidConfig.from_toml(flat).mode == "mask"


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("mode = \n")
    with pytest.raises(InvalidInput, match="bad.toml"):
        DeidConfig.from_toml(bad)
    with pytest.raises(InvalidInput, match="missing.toml"):
        DeidConfig.from_toml(tmp_path / "missing.toml")
