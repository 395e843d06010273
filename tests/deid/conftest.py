"""Engines shared by the de-identification case tables: building one reads every list and both models."""

from __future__ import annotations

import pytest

from appliance.deid import DeidConfig, DeidEngine


@pytest.fixture(scope="session")
def deid_engine() -> DeidEngine:
    """The engine as shipped: every recognizer, the learned ones included."""
    return DeidEngine(DeidConfig())


@pytest.fixture(scope="session")
def rules_engine() -> DeidEngine:
    """The same with the learned recognizer left out: what the rules find alone."""
    return DeidEngine(DeidConfig(recognizers=tuple(name for name in DeidConfig().recognizers if name != "crf")))
