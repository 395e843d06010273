"""Convert public de-identification corpora into the engine's gold JSON-lines format (a script, not a test).

    python tests/benchmarks/deid_corpora.py [--mirror /work/.mirror] [--out tests/data/deid/public]
                                            [--limit 1000] [--only presidio_synth ...]

Each source becomes ``<out>/fetched/<source>.dev.jsonl`` and ``<source>.test.jsonl`` (gold lines
``{"id", "text", "spans": [{"start", "end", "label", "subtype"?}]}``), or ``<source>.nophi.jsonl``
with ``"spans": []`` for text with no identifiers. Every source here is read from a repository
snapshot under ``--mirror`` (``<owner>+<name>/repo``, a bare git directory read with ``git show``),
so its output goes under ``fetched/``, which is git-ignored: it is never committed. Provenance,
licences and label mappings are in tests/data/deid/SOURCES.md.

Split rule (deterministic, independent of order and of --limit): a document whose
``sha256(id)`` is even goes to dev, odd to test.

Checks: every converted span's text equals the source's entity text (after the documented trims),
spans are within the text, and the per-label counts per split are printed. A failed check stops the
script with a non-zero exit.

Every converted span keeps the source's own entity type as ``source_type`` ("GPE", "ORGANIZATION",
"PAIS" ...), so a scorer can also report the Safe Harbor view (see deid_bench.py).

Label conventions (ours): bare years are not PHI, so a date annotation that is only a year (or only
a weekday) is dropped; a timestamp keeps only its date part; titles, professions, sex, nationality
and relatives' kinship words are not identifiers and are dropped; ages are AGE with subtype
"over89" or "le89".
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MIRROR = Path("/work/.mirror")
DEFAULT_OUT = ROOT / "tests" / "data" / "deid" / "public"
LABELS = ("NAME", "LOCATION", "DATE", "AGE", "CONTACT", "ID")


@dataclass
class Doc:
    id: str
    text: str
    spans: list[dict] = field(default_factory=list)


class CheckFailed(Exception):
    pass


# --------------------------------------------------------------------------- helpers


def split_of(doc_id: str) -> str:
    """'dev' if sha256(id) is even, else 'test'."""
    return "dev" if int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def git_show(repo: Path, path: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={repo}", "show", f"HEAD:{path}"], check=True, capture_output=True).stdout


def git_ls(repo: Path, prefix: str) -> list[str]:
    out = subprocess.run(
        ["git", f"--git-dir={repo}", "ls-tree", "-r", "--name-only", "HEAD", "--", prefix],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if line]


def git_head(repo: Path) -> str:
    return subprocess.run(
        ["git", f"--git-dir={repo}", "log", "-1", "--format=%H"], check=True, capture_output=True, text=True
    ).stdout.strip()


_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo"
_YEAR_ONLY = re.compile(
    rf"(?i)\s*(?:(?:in|the|year|en|el|del|año)\s+)*(?:'?\d{{4}}s?|'\d{{2}}s?)\s*|\s*(?:{_WEEKDAY})\s*"
)
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]\d{1,2}:\d{2}(?::\d{2})?")
_ES_OVER89 = re.compile(r"(?i)\b(noventa|cien|ciento)\b")


def is_year_or_weekday_only(text: str) -> bool:
    """True for a bare year ("1977", "año 2004", "the 1980s") or a bare weekday ("Tuesday")."""
    return _YEAR_ONLY.fullmatch(text) is not None


def age_subtype(text: str) -> str:
    """'over89' if the stated age is over 89 years, else 'le89' (months, weeks and days are le89)."""
    low = text.lower()
    if re.search(r"mes|month|semana|week|d[ií]a|day|hora|hour", low):
        return "le89"
    m = re.search(r"\d+", low)
    if m:
        return "over89" if int(m.group()) > 89 else "le89"
    return "over89" if _ES_OVER89.search(low) else "le89"


def make_span(text: str, start: int, end: int, label: str, expected: str | None) -> dict | None:
    """A gold span for text[start:end] after our trims, or None when our conventions drop it.

    `expected` is the source's entity string; it must equal text[start:end] exactly.
    """
    if not 0 <= start < end <= len(text):
        raise CheckFailed(f"span [{start}, {end}) out of range for a text of {len(text)} characters")
    if expected is not None and text[start:end] != expected:
        raise CheckFailed(f"offset mismatch: source says {expected!r}, text has {text[start:end]!r}")
    piece = text[start:end]
    # trim whitespace and trailing sentence punctuation the source sometimes includes
    lead = len(piece) - len(piece.lstrip())
    piece_r = piece.rstrip().rstrip(",;")
    start, end = start + lead, start + len(piece_r)
    if start >= end:
        return None
    piece = text[start:end]
    span: dict = {"start": start, "end": end, "label": label}
    if label == "DATE":
        if is_year_or_weekday_only(piece):
            return None
        m = _TIMESTAMP.fullmatch(piece)
        if m:
            span["end"] = start + len(m.group(1))
    elif label == "AGE":
        span["subtype"] = age_subtype(piece)
    return span


def finish(doc: Doc) -> Doc:
    """Sort and de-duplicate spans; re-check every span against the text."""
    seen = set()
    spans = []
    for s in sorted(doc.spans, key=lambda s: (s["start"], s["end"], s["label"])):
        key = (s["start"], s["end"], s["label"])
        if key in seen:
            continue
        seen.add(key)
        if s["label"] not in LABELS or not 0 <= s["start"] < s["end"] <= len(doc.text):
            raise CheckFailed(f"{doc.id}: bad span {s}")
        spans.append(s)
    doc.spans = spans
    return doc


# --------------------------------------------------------------------------- sources

# microsoft/presidio-research, data/synth_dataset_v2.json (MIT): synthetic general-English PII
# sentences (chat, letters, addresses in many countries, names with diacritics).
PRESIDIO_MAP = {
    "PERSON": "NAME",
    "STREET_ADDRESS": "LOCATION",
    "GPE": "LOCATION",
    "ZIP_CODE": "LOCATION",
    "ORGANIZATION": "LOCATION",
    "DATE_TIME": "DATE",
    "AGE": "AGE",
    "PHONE_NUMBER": "CONTACT",
    "EMAIL_ADDRESS": "CONTACT",
    "DOMAIN_NAME": "CONTACT",
    "IP_ADDRESS": "CONTACT",
    "CREDIT_CARD": "ID",
    "IBAN_CODE": "ID",
    "US_SSN": "ID",
    "US_DRIVER_LICENSE": "ID",
    "TITLE": None,  # "Dr.", "Mrs." and job titles: not identifiers for us
    "NRP": None,  # nationality / religion / political group
}


def presidio_synth(mirror: Path, limit: int) -> Iterator[Doc]:
    repo = mirror / "microsoft+presidio-research" / "repo"
    records = json.loads(git_show(repo, "data/synth_dataset_v2.json"))
    seen: set[str] = set()
    n = 0
    for index, rec in enumerate(records):
        text = rec["full_text"]
        if text in seen:  # the generator repeats some sentences; keep the first copy
            continue
        seen.add(text)
        doc = Doc(f"presidio-synth-v2-{index:04d}", text)
        for s in rec["spans"]:
            if s["entity_type"] not in PRESIDIO_MAP:
                raise CheckFailed(f"{doc.id}: unmapped presidio type {s['entity_type']}")
            label = PRESIDIO_MAP[s["entity_type"]]
            span = make_span(text, s["start_position"], s["end_position"], label or "NAME", s["entity_value"])
            if s["entity_value"] == "nan":  # a missing generator value printed as "nan": not an identifier
                continue
            if span is not None and label is not None:
                span["source_type"] = s["entity_type"]
                doc.spans.append(span)
        yield finish(doc)
        n += 1
        if n >= limit:
            return


# PlanTL-GOB-ES/SPACCC_MEDDOCAN (CC BY 4.0): 1,000 Spanish clinical case reports with synthetic
# PHI, BRAT standoff annotations.
MEDDOCAN_MAP = {
    "NOMBRE_SUJETO_ASISTENCIA": "NAME",
    "NOMBRE_PERSONAL_SANITARIO": "NAME",
    "TERRITORIO": "LOCATION",
    "CALLE": "LOCATION",
    "PAIS": "LOCATION",
    "HOSPITAL": "LOCATION",
    "INSTITUCION": "LOCATION",
    "CENTRO_SALUD": "LOCATION",
    "FECHAS": "DATE",
    "EDAD_SUJETO_ASISTENCIA": "AGE",
    "CORREO_ELECTRONICO": "CONTACT",
    "NUMERO_TELEFONO": "CONTACT",
    "NUMERO_FAX": "CONTACT",
    "URL_WEB": "CONTACT",
    "DIREC_PROT_INTERNET": "CONTACT",
    "ID_SUJETO_ASISTENCIA": "ID",
    "ID_TITULACION_PERSONAL_SANITARIO": "ID",
    "ID_ASEGURAMIENTO": "ID",
    "ID_CONTACTO_ASISTENCIAL": "ID",
    "ID_EMPLEO_PERSONAL_SANITARIO": "ID",
    "NUMERO_BENEF_PLAN_SALUD": "ID",
    "IDENTIF_VEHICULOS_NRSERIE_PLACAS": "ID",
    "IDENTIF_DISPOSITIVOS_NRSERIE": "ID",
    "OTRO_NUMERO_IDENTIF": "ID",
    "IDENTIF_BIOMETRICOS": "ID",
    "SEXO_SUJETO_ASISTENCIA": None,
    "PROFESION": None,
    "FAMILIARES_SUJETO_ASISTENCIA": None,  # kinship words ("madre", "esposa") and relatives' ages
    "OTROS_SUJETO_ASISTENCIA": None,  # ethnicity, marital status, tattoos ...
}


def parse_brat(ann: str) -> Iterator[tuple[str, list[tuple[int, int]], str]]:
    for line in ann.splitlines():
        if not line.startswith("T"):
            continue
        _tid, kind_offsets, entity = line.split("\t", 2)
        kind, offsets = kind_offsets.split(" ", 1)
        frags = [tuple(int(x) for x in frag.split()) for frag in offsets.split(";")]
        yield kind, frags, entity  # type: ignore[misc]


def meddocan(mirror: Path, limit: int) -> Iterator[Doc]:
    repo = mirror / "PlanTL-GOB-ES+SPACCC_MEDDOCAN" / "repo"
    names = sorted(p[: -len(".txt")] for p in git_ls(repo, "corpus") if "/brat/" in p and p.endswith(".txt"))
    for n, base in enumerate(names):
        if n >= limit:
            return
        text = git_show(repo, base + ".txt").decode("utf-8")
        doc = Doc("meddocan-" + base.rsplit("/", 1)[1], text)
        for kind, frags, entity in parse_brat(git_show(repo, base + ".ann").decode("utf-8")):
            if kind not in MEDDOCAN_MAP:
                raise CheckFailed(f"{doc.id}: unmapped MEDDOCAN type {kind}")
            label = MEDDOCAN_MAP[kind]
            expected = entity if len(frags) == 1 else None
            for start, end in frags:
                span = make_span(text, start, end, label or "NAME", expected)
                if span is not None and label is not None:
                    span["source_type"] = kind
                    doc.spans.append(span)
        yield finish(doc)


# sebischair/Medical-Abstracts-TC-Corpus (CC BY-SA 3.0): published medical abstracts, 5 condition
# classes; no patient identifiers, so every span list is empty (measures over-scrubbing).
def medical_abstracts(mirror: Path, limit: int) -> Iterator[Doc]:
    repo = mirror / "sebischair+Medical-Abstracts-TC-Corpus" / "repo"
    rows = csv.DictReader(io.StringIO(git_show(repo, "medical_tc_test.csv").decode("utf-8")))
    for n, row in enumerate(rows):
        if n >= limit:
            return
        yield Doc(f"medabs-test-{n:04d}-c{row['condition_label']}", row["medical_abstract"])


def medical_abstracts_heldout(mirror: Path, limit: int) -> Iterator[Doc]:
    """The abstracts after the first --limit rows: text the rules were never looked at against, to
    report over-marking on (the first rows serve as the dev set for it)."""
    repo = mirror / "sebischair+Medical-Abstracts-TC-Corpus" / "repo"
    rows = csv.DictReader(io.StringIO(git_show(repo, "medical_tc_test.csv").decode("utf-8")))
    for n, row in enumerate(rows):
        if n < limit:
            continue
        if n >= 2 * limit:
            return
        yield Doc(f"medabs-test-{n:04d}-c{row['condition_label']}", row["medical_abstract"])


# JamesWeatherhead/asq-phi, data/synthetic_clinical_queries.txt (MIT): 1,051 synthetic clinicians'
# queries in clinical shorthand ("Rec mgmt of 70yo M w/ CHF, seen by Dr. ... at ... on ..."), 832
# with identifiers and 219 hard negatives with none. Annotations are values, not offsets: every
# occurrence of a value in its query is marked (at word boundaries).
ASQ_MAP = {
    "NAME": "NAME",
    "GEOGRAPHIC_LOCATION": "LOCATION",
    "DATE": "DATE",
    "PHONE_NUMBER": "CONTACT",
    "FAX_NUMBER": "CONTACT",
    "EMAIL_ADDRESS": "CONTACT",
    "IP_ADDRESS": "CONTACT",
    "MEDICAL_RECORD_NUMBER": "ID",
    "HEALTH_PLAN_BENEFICIARY_NUMBER": "ID",
    "SOCIAL_SECURITY_NUMBER": "ID",
    "UNIQUE_IDENTIFIER": "ID",
    "ACCOUNT_NUMBER": "ID",
    "CERTIFICATE_LICENSE_NUMBER": "ID",
}


def value_offsets(text: str, value: str) -> list[tuple[int, int]]:
    """Every occurrence of `value` in `text` not inside a longer word; a straight apostrophe in the
    value also matches a curly one in the text."""
    pattern = re.escape(value).replace("'", "['\u2019]")
    if value[:1].isalnum():
        pattern = r"(?<!\w)" + pattern
    if value[-1:].isalnum():
        pattern += r"(?!\w)"
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]


_TITLE = re.compile(r"(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+")


def asq_phi(mirror: Path, limit: int) -> Iterator[Doc]:
    repo = mirror / "JamesWeatherhead+asq-phi" / "repo"
    raw = git_show(repo, "data/synthetic_clinical_queries.txt").decode("utf-8")
    blocks = raw.split("===QUERY===")[1:]
    if len(blocks) != 1051:
        raise CheckFailed(f"asq_phi: expected 1,051 queries, found {len(blocks)}")
    for index, block in enumerate(blocks[:limit]):
        query, tags = block.split("===PHI_TAGS===")
        text = query.strip()
        doc = Doc(f"asq-phi-{index:04d}", text)
        for line in tags.strip().splitlines():
            if not line.strip():
                continue
            tag = json.loads(line)
            if tag["identifier_type"] not in ASQ_MAP:
                raise CheckFailed(f"{doc.id}: unmapped ASQ-PHI type {tag['identifier_type']}")
            found = value_offsets(text, tag["value"])
            if not found:
                raise CheckFailed(f"{doc.id}: value {tag['value']!r} is not in the query")
            for start, end in found:
                label = ASQ_MAP[tag["identifier_type"]]
                if label == "NAME":  # "Dr. Sarah P.": the title is not an identifier (as in every source)
                    title = _TITLE.match(text, start, end)
                    start = title.end() if title else start
                span = make_span(text, start, end, label, None)
                if span is not None:
                    span["source_type"] = tag["identifier_type"]
                    doc.spans.append(span)
        yield finish(doc)


# hackathonworks/datasets, mtsamples.csv: 223 transcribed clinical reports from mtsamples.com (operative
# notes, consultations, discharge summaries), as uploaded to Kaggle by Tara Boyle under CC0. The reports
# were de-identified by their publisher but are not annotated: placeholders ("Dr. X", "ABCD Hospital")
# and real-looking dates remain. Written as ``mtsamples.{dev,test}.unannotated.jsonl`` with no spans: for
# reading what the engine marks in clinical prose (and in capitals), never scored as gold.
def mtsamples(mirror: Path, limit: int) -> Iterator[Doc]:
    repo = mirror / "hackathonworks+datasets" / "repo"
    rows = csv.DictReader(io.StringIO(git_show(repo, "mtsamples.csv").decode("utf-8")))
    for n, row in enumerate(rows):
        if n >= limit:
            return
        yield Doc(f"mtsamples-{n:04d}", row["tweet"].strip())


@dataclass
class Source:
    name: str
    repo: str  # snapshot directory name under --mirror
    read: Callable[[Path, int], Iterator[Doc]]
    nophi: bool = False
    unannotated: bool = False


SOURCES = [
    Source("presidio_synth", "microsoft+presidio-research", presidio_synth),
    Source("meddocan", "PlanTL-GOB-ES+SPACCC_MEDDOCAN", meddocan),
    Source("asq_phi", "JamesWeatherhead+asq-phi", asq_phi),
    Source("mtsamples", "hackathonworks+datasets", mtsamples, unannotated=True),
    Source("medical_abstracts", "sebischair+Medical-Abstracts-TC-Corpus", medical_abstracts, nophi=True),
    Source(
        "medical_abstracts_heldout", "sebischair+Medical-Abstracts-TC-Corpus", medical_abstracts_heldout, nophi=True
    ),
]


# --------------------------------------------------------------------------- main


def write_jsonl(path: Path, docs: list[Doc]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for d in docs:
            out.write(json.dumps({"id": d.id, "text": d.text, "spans": d.spans}, ensure_ascii=False) + "\n")


def convert(source: Source, mirror: Path, out_dir: Path, limit: int) -> dict:
    docs = list(source.read(mirror, limit))
    ids = [d.id for d in docs]
    if len(set(ids)) != len(ids):
        raise CheckFailed(f"{source.name}: duplicate document ids")
    report: dict = {"commit": git_head(mirror / source.repo / "repo"), "documents": len(docs)}
    if source.nophi:
        for d in docs:
            d.spans = []
        path = out_dir / f"{source.name}.nophi.jsonl"
        write_jsonl(path, docs)
        report["files"] = [str(path)]
        return report
    report["files"] = []
    for split in ("dev", "test"):
        part = [d for d in docs if split_of(d.id) == split]
        kind = f"{split}.unannotated" if source.unannotated else split
        path = out_dir / f"{source.name}.{kind}.jsonl"
        write_jsonl(path, part)
        labels = Counter(s["label"] for d in part for s in d.spans)
        ages = Counter(s.get("subtype") for d in part for s in d.spans if s["label"] == "AGE")
        report[split] = {
            "documents": len(part),
            "spans": sum(labels.values()),
            "by_label": dict(sorted(labels.items())),
            "age_subtypes": dict(sorted(ages.items())),
        }
        report["files"].append(str(path))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR, help="directory of repository snapshots")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=1000, help="documents per source (first N in source order)")
    parser.add_argument("--only", nargs="*", default=None, help="source names to convert")
    args = parser.parse_args()

    out_dir = args.out / "fetched"
    status = 0
    for source in SOURCES:
        if args.only and source.name not in args.only:
            continue
        try:
            report = convert(source, args.mirror, out_dir, args.limit)
        except (CheckFailed, subprocess.CalledProcessError, OSError) as exc:
            print(f"{source.name}: FAILED: {exc}", file=sys.stderr)
            status = 1
            continue
        print(json.dumps({"source": source.name, **report}, indent=1))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
