"""Recognizers, one module per family, each registering itself in `base`'s table on import."""

from __future__ import annotations

from appliance.deid.recognizers import (  # noqa: F401  (imported for their registrations)
    ages,
    contact,
    crf,
    dates,
    facilities,
    facility_propagation,
    gazetteer,
    identifiers,
    initials,
    locations,
    model,
    name_dictionary,
    names,
    organisations,
    places,
    regions,
    speakers,
)
from appliance.deid.recognizers.base import (
    Recognizer,
    Refiner,
    Registration,
    recognizer_table,
    refiner_table,
    register,
    register_refiner,
)


def available_recognizers() -> frozenset[str]:
    """Names a `DeidConfig.recognizers` entry may use."""
    return frozenset(recognizer_table())


__all__ = [
    "Recognizer",
    "Refiner",
    "Registration",
    "available_recognizers",
    "recognizer_table",
    "refiner_table",
    "register",
    "register_refiner",
]
