"""Clinical content for synthetic notes: problems by specialty, their findings, treatments and imaging.

The content itself is data (``data/clinical.json``); this module gives it types and draws from it.

Each `Problem` belongs to one specialty and comes in two flavours indexed by triage (0 = urgent,
1 = routine). The task labels are learnable from the text because the findings, numbers and plan differ
between the flavours, while presenting complaints, comorbidities and drugs deliberately overlap across
specialties (chest pain in cardiology, pulmonology and gastroenterology; apixaban in atrial fibrillation,
pulmonary embolism and stroke; furosemide in heart failure and cirrhosis), so no single keyword gives
the label away.

Numbers in templates are written `<<lo-hi>>` and drawn uniformly with as many decimals as `lo` has.
Everything here is clinical content without identifiers: vitals, doses, lab values, scores and fractions
("pain 7/10", "strength 4/5", "BP 150/90") are not PHI and get no gold span, although some look like dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from random import Random
from typing import Any

from appliance.synthetic.tables import load

TRIAGES: tuple[str, str] = ("urgent", "routine")
SPECIALTIES: tuple[str, ...] = ("cardiology", "pulmonology", "orthopedics", "neurology", "gastroenterology")

Pair = tuple[tuple[str, ...], tuple[str, ...]]  # (urgent options, routine options)

_NUMBER = re.compile(r"<<(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)>>")


def expand(template: str, rng: Random) -> str:
    """Replace every `<<lo-hi>>` with a uniform draw rendered with the decimals of `lo`."""

    def draw(m: re.Match[str]) -> str:
        lo, hi = m.group(1), m.group(2)
        decimals = len(lo.split(".")[1]) if "." in lo else 0
        value = rng.uniform(float(lo), float(hi))
        return f"{value:.{decimals}f}"

    return _NUMBER.sub(draw, template)


@dataclass(frozen=True)
class Med:
    name: str
    dose: str
    route: str
    freq: str

    def __str__(self) -> str:
        return f"{self.name} {self.dose} {self.route} {self.freq}"


@dataclass(frozen=True)
class Study:
    name: str  # e.g. "CT ANGIOGRAPHY CHEST WITH CONTRAST"
    technique: str
    findings: Pair
    impression: Pair


@dataclass(frozen=True)
class Problem:
    key: str
    specialty: str
    name: tuple[str, str]  # the diagnosis as written in the note, (urgent, routine)
    complaints: tuple[str, ...]
    hpi: Pair
    exam: Pair
    labs: Pair
    plan: Pair
    nursing: Pair
    key_med: tuple[Med, Med]  # the treatment the reference summary names, (urgent, routine)
    other_meds: tuple[Med, ...]
    study: Study
    urgent_vitals: tuple[tuple[str, int, int], ...] = ()  # (vital, lo, hi) overrides when urgent
    has_device: bool = False


def pick(pair: Pair, triage: str, rng: Random) -> str:
    return expand(rng.choice(pair[TRIAGES.index(triage)]), rng)


def pick_all(pair: Pair, triage: str, rng: Random, k: int) -> list[str]:
    options = pair[TRIAGES.index(triage)]
    return [expand(t, rng) for t in rng.sample(options, min(k, len(options)))]


@dataclass(frozen=True)
class Comorbidity:
    name: str
    med: Med | None



# ---------------------------------------------------------------------------------------------------
# The tables, from data/clinical.json (shapes described in its "_comment")

_FILE = "clinical.json"


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.isascii() for v in value):
        raise ValueError(f"{_FILE}: {where} must be a list of ASCII strings")
    return tuple(value)


def _pair(value: Any, where: str) -> Pair:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{_FILE}: {where} must be [urgent options, routine options]")
    return _strs(value[0], f"{where}[0]"), _strs(value[1], f"{where}[1]")


def _two(value: Any, where: str) -> tuple[str, str]:
    fields = _strs(value, where)
    if len(fields) != 2:
        raise ValueError(f"{_FILE}: {where} must be [urgent, routine]")
    return fields[0], fields[1]


def _med(value: Any, where: str) -> Med:
    fields = _strs(value, where)
    if len(fields) != 4:
        raise ValueError(f"{_FILE}: {where} must be [name, dose, route, frequency]")
    return Med(*fields)


def _problem(row: dict[str, Any]) -> Problem:
    where = f"problem {row.get('key')!r}"
    if row["specialty"] not in SPECIALTIES:
        raise ValueError(f"{_FILE}: {where} has unknown specialty {row['specialty']!r}")
    study = row["study"]
    key_med = row["key_med"]
    if not isinstance(key_med, list) or len(key_med) != 2:
        raise ValueError(f"{_FILE}: {where}.key_med must be [urgent, routine]")
    return Problem(
        key=str(row["key"]),
        specialty=str(row["specialty"]),
        name=_two(row["name"], f"{where}.name"),
        complaints=_strs(row["complaints"], f"{where}.complaints"),
        **{field: _pair(row[field], f"{where}.{field}") for field in ("hpi", "exam", "labs", "plan", "nursing")},
        key_med=(_med(key_med[0], f"{where}.key_med"), _med(key_med[1], f"{where}.key_med")),
        other_meds=tuple(_med(m, f"{where}.other_meds") for m in row["other_meds"]),
        study=Study(
            name=str(study["name"]),
            technique=str(study["technique"]),
            findings=_pair(study["findings"], f"{where}.study.findings"),
            impression=_pair(study["impression"], f"{where}.study.impression"),
        ),
        urgent_vitals=tuple((str(name), int(lo), int(hi)) for name, lo, hi in row["urgent_vitals"]),
        has_device=bool(row["has_device"]),
    )


_TABLES = load(_FILE)

COMORBIDITIES: tuple[Comorbidity, ...] = tuple(
    Comorbidity(str(name), None if med is None else _med(med, f"comorbidity {name!r}"))
    for name, med in _TABLES["COMORBIDITIES"]
)

NORMAL_VITALS: dict[str, tuple[int, int]] = {
    str(name): (int(lo), int(hi)) for name, (lo, hi) in _TABLES["NORMAL_VITALS"].items()
}

_LAB_BASE: tuple[str, ...] = _strs(_TABLES["LAB_BASE"], "LAB_BASE")


def base_labs(rng: Random, k: int) -> list[str]:
    return [expand(t, rng) for t in rng.sample(_LAB_BASE, k)]


PROBLEMS: tuple[Problem, ...] = tuple(_problem(row) for row in _TABLES["PROBLEMS"])

PROBLEMS_BY_SPECIALTY: dict[str, tuple[Problem, ...]] = {
    s: tuple(p for p in PROBLEMS if p.specialty == s) for s in SPECIALTIES
}

# Things a note may say about devices; only the serial number itself is an identifier.
DEVICES: tuple[str, ...] = _strs(_TABLES["DEVICES"], "DEVICES")

def vitals(problem: Problem, triage: str, rng: Random) -> dict[str, int]:
    """Vital signs consistent with triage: normal when routine, problem-specific derangements when urgent."""
    v = {k: rng.randint(lo, hi) for k, (lo, hi) in NORMAL_VITALS.items()}
    if triage == "urgent":
        overrides = list(problem.urgent_vitals)
        # Urgent notes show most, not always all, of the expected derangements.
        keep = overrides if len(overrides) <= 1 else rng.sample(overrides, max(1, len(overrides) - rng.randint(0, 1)))
        for name, lo, hi in keep:
            v[name] = rng.randint(lo, hi)
    if v["dbp"] >= v["sbp"] - 20:
        v["dbp"] = v["sbp"] - rng.randint(25, 45)
    return v


def render_vitals(v: dict[str, int], rng: Random) -> str:
    temp_c = v["temp10"] / 10
    o2 = "RA" if v["spo2"] >= 94 or rng.random() < 0.3 else f"{rng.randint(2, 6)}L NC"
    if rng.random() < 0.5:
        return f"T {temp_c:.1f} C, HR {v['hr']}, BP {v['sbp']}/{v['dbp']}, RR {v['rr']}, SpO2 {v['spo2']}% on {o2}"
    temp_f = temp_c * 9 / 5 + 32
    return f"Temp {temp_f:.1f}F  P {v['hr']}  BP {v['sbp']}/{v['dbp']}  R {v['rr']}  O2 sat {v['spo2']}% {o2}"
