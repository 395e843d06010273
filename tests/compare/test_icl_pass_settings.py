"""The settings a comparison gives each in-context pass: calibration where it measures something,
bfloat16 scoring where the hardware has it, examples shortened; the request's own settings win."""

from __future__ import annotations

from appliance.compare.baselines import COMPARE_SHOT_NOTE_TOKENS, pass_settings
from appliance.evaluate.icl import ICLConfig


def test_nearest_examples_are_not_calibrated_by_default():
    zero = pass_settings({}, 0, classify=True)
    assert zero["calibrate"] is True and zero["dtype"] == "auto"
    assert zero["shot_note_tokens"] == COMPARE_SHOT_NOTE_TOKENS
    nearest = pass_settings({}, 4, classify=True)
    assert nearest["calibrate"] is False
    # Examples the same for every query pay calibration once per pass: it stays on.
    assert pass_settings({"similarity": "balanced"}, 5, classify=True)["calibrate"] is True
    assert pass_settings({"similarity": "fixed"}, 2, classify=True)["calibrate"] is True
    # Other tasks are answered, not scored: nothing to calibrate.
    assert pass_settings({}, 0, classify=False)["calibrate"] is False


def test_the_requests_settings_win():
    asked = pass_settings({"calibrate": True, "dtype": "float32", "shot_note_tokens": 0}, 4, classify=True)
    assert asked == {"calibrate": True, "dtype": "float32", "shot_note_tokens": 0}
    assert pass_settings({"calibrate": False}, 0, classify=True)["calibrate"] is False
    assert pass_settings({"calibrate": True}, 0, classify=False)["calibrate"] is False
    # Every combination is a valid configuration.
    for k in (0, 4):
        ICLConfig.from_mapping({**pass_settings({"similarity": "balanced"}, k, classify=True), "k": k})
