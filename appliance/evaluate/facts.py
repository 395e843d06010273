"""Factual consistency of generated text with its source note: are the stated facts in the note?

A generated summary states three kinds of checkable facts:
- medications: terms of the shipped lexicon (`data/clinical_lexicon.tsv`, kind "medication"), plus
  drug-like tokens the lexicon does not know: a word with a common drug-name ending ("-pril", "-olol",
  "-statin", ...) or a capitalised word followed by a dose ("Lasix 40 mg");
- problems: lexicon terms of kind "problem";
- numbers: every decimal number outside a lexicon term ("5 mg" -> 5, "0.40" == "0.4", "1,000" == 1000).

A fact is supported when the source contains it: the same term on word boundaries, ignoring case, or a
number of equal value. The score is the fraction of supported facts over all outputs (micro average);
it is None when the outputs state no checkable fact at all, which is not the same as being right.

This is a cheap precision check in the spirit of entity-level hallucination rates, not a judgement of
meaning: a negated or misattributed fact ("no aspirin") still counts as supported, and facts the
lexicon does not know are not checked.

Hazard: facts are taken from model outputs and may contain PHI; only counts leave this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

LEXICON_FILE = Path(__file__).with_name("data") / "clinical_lexicon.tsv"
KINDS: tuple[str, ...] = ("medication", "problem", "number")

# Common endings of generic drug names (WHO INN stems); a word must also be >= 6 letters, which keeps
# ordinary words ("pill", "sole") out.
_DRUG_STEMS = (
    "pril", "sartan", "olol", "alol", "statin", "dipine", "prazole", "azole", "cillin", "mycin", "micin",
    "cycline", "floxacin", "parin", "xaban", "gatran", "gliptin", "gliflozin", "glutide", "formin", "tidine",
    "setron", "triptan", "oxetine", "azepam", "azolam", "sone", "olone", "mab", "tinib", "ciclovir", "navir",
    "afil", "caine", "dronate", "lukast", "terol", "tropium", "semide", "thiazide", "profen", "coxib",
    "fenac", "codone", "morphone", "tadine", "vastatin", "pramine", "triptyline", "apine", "idone",
)  # fmt: skip
_DRUG_LIKE = re.compile(r"\b[A-Za-z]{2,}(?:" + "|".join(_DRUG_STEMS) + r")\b", re.IGNORECASE)
_DOSED_NAME = re.compile(r"\b([A-Z][a-z]{3,})\s+\d+(?:\.\d+)?\s?(?:mg|mcg|g|units?|mL|mEq|%)(?![A-Za-z])")
# Capitalised words that often precede a dose but are not drugs ("Given 5 mg", "Start 40 mg").
_NOT_DRUGS = frozenset(
    "given start started continue continued increase increased decrease decreased take taking took "
    "received receive give gave dose dosed total about approximately weight hold held resume resumed".split()
)
_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")


@dataclass(frozen=True)
class Fact:
    kind: str  # one of KINDS
    text: str  # lower-cased term, or the normalised number


@dataclass(frozen=True)
class Lexicon:
    terms: dict[str, str]  # lower-cased term -> kind
    pattern: re.Pattern[str]


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Read `kind<TAB>term` lines ('#' starts a comment). Raises ValueError on an unknown kind."""
    terms: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind, _, term = line.partition("\t")
        if kind not in ("medication", "problem") or not term.strip():
            raise ValueError(f"{path.name} line {number}: expected 'medication|problem<TAB>term'")
        terms[term.strip().lower()] = kind
    # Longest first: the regex alternation takes the first alternative that matches at a position.
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    pattern = re.compile(r"(?<![\w-])(?:" + alternatives + r")(?![\w-])", re.IGNORECASE)
    return Lexicon(terms, pattern)


def _normal_number(text: str) -> str:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return text
    # normalize() drops trailing zeros ("0.40" -> 0.4) but writes 100 as 1E+2; "f" writes it out again.
    return format(value.normalize(), "f")


def extract_facts(text: str, lexicon: Lexicon | None = None) -> list[Fact]:
    """Medication, problem and number facts stated in `text`, in order of appearance."""
    lex = lexicon or load_lexicon()
    found: list[tuple[int, Fact]] = []
    covered = [False] * len(text)
    for m in lex.pattern.finditer(text):
        term = m.group(0).lower()
        found.append((m.start(), Fact(lex.terms[term], term)))
        covered[m.start() : m.end()] = [True] * (m.end() - m.start())

    def free(m: re.Match[str], group: int = 0) -> bool:
        return not any(covered[m.start(group) : m.end(group)])

    for m in _DRUG_LIKE.finditer(text):
        if free(m):
            found.append((m.start(), Fact("medication", m.group(0).lower())))
            covered[m.start() : m.end()] = [True] * (m.end() - m.start())
    for m in _DOSED_NAME.finditer(text):
        if free(m, 1) and m.group(1).lower() not in _NOT_DRUGS:
            found.append((m.start(1), Fact("medication", m.group(1).lower())))
            covered[m.start(1) : m.end(1)] = [True] * (m.end(1) - m.start(1))
    for m in _NUMBER.finditer(text):
        if free(m):
            found.append((m.start(), Fact("number", _normal_number(m.group(0)))))
    return [fact for _, fact in sorted(found, key=lambda x: x[0])]


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", re.IGNORECASE)


def is_supported(fact: Fact, source: str, source_numbers: set[str] | None = None) -> bool:
    if fact.kind == "number":
        numbers = source_numbers if source_numbers is not None else _numbers(source)
        return fact.text in numbers
    return _term_pattern(fact.text).search(source) is not None


def _numbers(text: str) -> set[str]:
    return {_normal_number(m.group(0)) for m in _NUMBER.finditer(text)}


def factual_consistency(predictions: Sequence[str], sources: Sequence[str]) -> dict[str, Any]:
    """Supported facts over stated facts, overall and by kind (see the module docstring)."""
    if len(predictions) != len(sources):
        raise ValueError(f"{len(predictions)} predictions for {len(sources)} sources")
    lexicon = load_lexicon()
    supported = dict.fromkeys(KINDS, 0)
    total = dict.fromkeys(KINDS, 0)
    for prediction, source in zip(predictions, sources, strict=True):
        numbers = _numbers(source)
        for fact in extract_facts(prediction, lexicon):
            total[fact.kind] += 1
            supported[fact.kind] += is_supported(fact, source, numbers)
    all_total, all_supported = sum(total.values()), sum(supported.values())
    return {
        "factual_consistency": all_supported / all_total if all_total else None,
        "facts_total": all_total,
        "facts_supported": all_supported,
        "facts_by_kind": {
            k: {"supported": supported[k], "total": total[k], "rate": supported[k] / total[k] if total[k] else None}
            for k in KINDS
        },
    }
