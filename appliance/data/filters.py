"""Quality filters applied to records before they become a dataset version.

Checks, in this order:
1. per record: `empty`, `too_short` / `too_long` (characters, and tokens when a counter is given),
   `unreviewed` (the record's review flag is not set, unless `require_reviewed=False`);
2. among the records that pass step 1, in input order (the first occurrence is kept):
   `exact_duplicate` (same normalised text) and `near_duplicate` (Jaccard similarity of character
   n-gram shingles at or above the threshold).

Near duplicates are found with MinHash and banded locality-sensitive hashing to propose candidates,
then confirmed with the exact Jaccard similarity of the shingle sets, so a pair is only ever dropped
for a similarity it really has. Recall of the candidate step is high by construction (with the default
64 permutations in 16 bands, a pair at similarity 0.85 is proposed with probability > 0.99999).

Everything is deterministic: shingles are hashed with a fixed polynomial hash and the permutations come
from a fixed seed, so the same input gives the same kept set on every run and machine.

Hazard: the report and reasons name reasons and indexes only, never text, because records hold PHI.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from appliance.errors import UsageError
from appliance.fieldhelp import help_of
from appliance.fieldhelp import help_text as _help

REASONS: tuple[str, ...] = ("empty", "too_short", "too_long", "unreviewed", "exact_duplicate", "near_duplicate")

_TRUE = frozenset({"1", "true", "yes", "y", "reviewed", "approved"})


@dataclass
class FilterConfig:
    """Quality-filter settings, stored with the dataset version they produced."""

    text_field: str = field(default="text", metadata=_help("Record field that holds the note text."))
    min_chars: int = field(default=20, metadata=_help("Drop notes shorter than this (after trimming)."))
    max_chars: int | None = field(default=100_000, metadata=_help("Drop notes longer than this; empty = no limit."))
    min_tokens: int | None = field(default=None, metadata=_help("Drop notes with fewer tokens; needs a tokenizer."))
    max_tokens: int | None = field(default=None, metadata=_help("Drop notes with more tokens; needs a tokenizer."))
    drop_exact_duplicates: bool = field(
        default=True, metadata=_help("Drop notes whose text equals an earlier note's after normalisation.")
    )
    near_duplicate_threshold: float | None = field(
        default=0.85,
        metadata=_help(
            "Drop notes whose shingle Jaccard similarity to an earlier kept note is at least this "
            "(0-1); empty = keep near duplicates."
        ),
    )
    shingle_chars: int = field(default=5, metadata=_help("Length of the character n-grams compared."))
    minhash_permutations: int = field(default=64, metadata=_help("MinHash signature length."))
    minhash_bands: int = field(
        default=16, metadata=_help("LSH bands; must divide minhash_permutations. More bands, more candidates.")
    )
    require_reviewed: bool = field(
        default=True, metadata=_help("Keep only records whose review flag is set (override with care).")
    )
    reviewed_field: str = field(default="reviewed", metadata=_help("Record field that holds the review flag."))

    def __post_init__(self) -> None:
        if self.min_chars < 0 or (self.max_chars is not None and self.max_chars < max(1, self.min_chars)):
            raise UsageError("need 0 <= min_chars <= max_chars")
        if self.min_tokens is not None and self.max_tokens is not None and self.max_tokens < self.min_tokens:
            raise UsageError("need min_tokens <= max_tokens")
        if self.near_duplicate_threshold is not None and not 0.0 < self.near_duplicate_threshold <= 1.0:
            raise UsageError("near_duplicate_threshold must be in (0, 1]")
        if self.shingle_chars < 1:
            raise UsageError("shingle_chars must be at least 1")
        if self.minhash_bands < 1 or self.minhash_permutations % self.minhash_bands:
            raise UsageError("minhash_bands must divide minhash_permutations")

    @classmethod
    def help(cls) -> dict[str, str]:
        return help_of(cls)


@dataclass(frozen=True)
class FilterResult:
    """`kept` in input order; `reasons[i]` lists why input record i was dropped (empty if kept).

    `report` maps every reason in `REASONS` to the number of records dropped *primarily* for it (the
    first reason in `reasons[i]`), so the counts add up to the number of dropped records.
    `duplicate_of[i]` is the index of the kept record that input record i duplicates.
    """

    kept: list[Mapping[str, Any]]
    reasons: list[tuple[str, ...]]
    report: dict[str, int]
    duplicate_of: dict[int, int]

    @property
    def kept_indices(self) -> list[int]:
        return [i for i, r in enumerate(self.reasons) if not r]


def normalise(text: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed: the form duplicates are compared in."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _is_reviewed(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


# ---------------------------------------------------------------------------------------------------
# Shingles and MinHash

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_BASE = np.uint64(1_000_003)


def shingle_hashes(text: str, k: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the character k-grams of `text` (the whole text if shorter)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if codes.size == 0:
        return np.zeros(0, dtype=np.uint64)
    k = min(k, codes.size)
    windows = codes.size - k + 1
    h = np.zeros(windows, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrap-around modulo 2**64 is the hash
        for j in range(k):
            h = h * _BASE + codes[j : j + windows] + np.uint64(1)
    return np.unique(h)


class MinHasher:
    """MinHash signatures from the universal family h -> a*h + b (mod 2**64) with odd a."""

    def __init__(self, permutations: int, seed: int = 0x5EED) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, 2**63, size=permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.integers(0, 2**63, size=permutations, dtype=np.uint64)

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        if shingles.size == 0:
            return np.full(self.a.size, np.iinfo(np.uint64).max, dtype=np.uint64)
        with np.errstate(over="ignore"):
            return (self.a[:, None] * shingles[None, :] + self.b[:, None]).min(axis=1)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays."""
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


# ---------------------------------------------------------------------------------------------------


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    """Count tokens with a Hugging Face tokenizer (no special tokens)."""

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count


def _record_reasons(
    record: Mapping[str, Any], config: FilterConfig, count_tokens: Callable[[str], int] | None
) -> list[str]:
    raw = record.get(config.text_field)
    text = raw.strip() if isinstance(raw, str) else ""
    reasons = []
    if not text:
        reasons.append("empty")
    else:
        n_tokens = count_tokens(text) if count_tokens is not None else None
        if len(text) < config.min_chars or (
            n_tokens is not None and config.min_tokens is not None and n_tokens < config.min_tokens
        ):
            reasons.append("too_short")
        if (config.max_chars is not None and len(text) > config.max_chars) or (
            n_tokens is not None and config.max_tokens is not None and n_tokens > config.max_tokens
        ):
            reasons.append("too_long")
    if config.require_reviewed and not _is_reviewed(record.get(config.reviewed_field)):
        reasons.append("unreviewed")
    return reasons


def filter_records(
    records: Iterable[Mapping[str, Any]],
    config: FilterConfig | None = None,
    *,
    count_tokens: Callable[[str], int] | None = None,
) -> FilterResult:
    """Apply the quality filters (see the module docstring) and return what was kept and why not."""
    config = config or FilterConfig()
    if (config.min_tokens is not None or config.max_tokens is not None) and count_tokens is None:
        raise UsageError("token limits are set but no tokenizer was given to count tokens")
    records = list(records)
    reasons = [_record_reasons(r, config, count_tokens) for r in records]
    duplicate_of: dict[int, int] = {}

    seen_exact: dict[str, int] = {}
    hasher = MinHasher(config.minhash_permutations)
    rows = config.minhash_permutations // config.minhash_bands
    buckets: dict[tuple[int, bytes], list[int]] = {}
    kept_shingles: dict[int, np.ndarray] = {}
    for i, record in enumerate(records):
        if reasons[i]:
            continue
        norm = normalise(str(record[config.text_field]))
        if config.drop_exact_duplicates:
            digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()
            if digest in seen_exact:
                reasons[i].append("exact_duplicate")
                duplicate_of[i] = seen_exact[digest]
                continue
            seen_exact[digest] = i
        if config.near_duplicate_threshold is None:
            continue
        shingles = shingle_hashes(norm, config.shingle_chars)
        signature = hasher.signature(shingles)
        keys = [(band, signature[band * rows : (band + 1) * rows].tobytes()) for band in range(config.minhash_bands)]
        candidates = sorted({j for key in keys for j in buckets.get(key, ())})
        match = next(
            (j for j in candidates if jaccard(shingles, kept_shingles[j]) >= config.near_duplicate_threshold), None
        )
        if match is not None:
            reasons[i].append("near_duplicate")
            duplicate_of[i] = match
            continue
        kept_shingles[i] = shingles
        for key in keys:
            buckets.setdefault(key, []).append(i)

    report = dict.fromkeys(REASONS, 0)
    for r in reasons:
        if r:
            report[r[0]] += 1
    return FilterResult(
        kept=[rec for rec, r in zip(records, reasons, strict=True) if not r],
        reasons=[tuple(r) for r in reasons],
        report=report,
        duplicate_of=duplicate_of,
    )
