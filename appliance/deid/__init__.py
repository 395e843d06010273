"""HIPAA Safe Harbor de-identification: recognizers, surrogates, date shifting, engine, scoring.

A pure library: no database, no files except the shipped word lists and the JSON-lines front ends.
"""

from __future__ import annotations

from appliance.deid.config import DEFAULT_RECOGNIZERS, RESTRICTED_ZIP_PREFIXES, DeidConfig
from appliance.deid.engine import DeidEngine
from appliance.deid.jsonl import detect_jsonl, eval_jsonl
from appliance.deid.scoring import risk, score
from appliance.deid.spans import LABELS, PatientId, Span, merge_spans

__all__ = [
    "DEFAULT_RECOGNIZERS",
    "LABELS",
    "RESTRICTED_ZIP_PREFIXES",
    "DeidConfig",
    "DeidEngine",
    "PatientId",
    "Span",
    "detect_jsonl",
    "eval_jsonl",
    "merge_spans",
    "risk",
    "score",
]
