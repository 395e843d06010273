"""De-identification on a workspace: versions of a dataset, the review queue, corrections.

``run_deid`` makes a new de-identified version of a dataset; the imported records stay untouched.
A version is written in batches while ``running`` (started and finished by audited transactions);
only a ``complete`` version can be reviewed or tuned on. Detected spans are kept (offsets into the
original text) so a reviewer can see, add and remove them; a correction re-applies the replacement
to that record and is audited. The first time a reviewer (or admin) opens a record of a version is
stored and audited too, so marking the version reviewed can say how many of its records nobody opened.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from appliance.catalog import datasets as dataset_records
from appliance.catalog import deid_versions
from appliance.deid.config import DeidConfig
from appliance.deid.engine import DeidEngine
from appliance.deid.lexicon import Lexicon, WordClass, load_lexicon, normalise
from appliance.deid.spans import LABELS, Span, merge_spans
from appliance.errors import ApplianceError, InvalidInput
from appliance.jobs import JobContext, register_job
from appliance.workspace import Workspace

BATCH = 200
LOW_CONFIDENCE = 0.8
SECRET_NAME = "deid"  # noqa: S105  (the name of a workspace secret, not a secret)
REVIEWER_ROLES = ("admin", "reviewer")  # whose openings of a record count as reviewing it


@dataclass(frozen=True)
class ReviewCoverage:
    """How many of a version's records a reviewer (or admin) opened at least once."""

    version: str
    records: int
    opened: int

    @property
    def unopened(self) -> int:
        return self.records - self.opened


@dataclass(frozen=True)
class ReviewMark:
    """What marking a version reviewed fixed: its content hash, and how much of it had been opened."""

    version: str
    content_hash: str
    coverage: ReviewCoverage


# -- review risk ---------------------------------------------------------------------------------
#
# Where a reviewer should look first. The recognizers' confidences alone say little: most rules have a
# fixed confidence, so every note of a ward came out at the same risk and the queue ordered nothing.
# The doubts below read the note around the spans: a name that runs into an ordinary word ("Helen
# Carter to"), a capitalised word the name lists know but no span covers, a long number no span
# covers, two spans of different labels that touch (rules disagreeing about one stretch), a name made
# only of dictionary words. Each is a reason to open the note, not a finding.

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d-]*\d|\d")  # "122/76" is two numbers, not one
_NAME_WORDS = WordClass.FIRST | WordClass.LAST
_ORDINARY = WordClass.COMMON | WordClass.STOP | WordClass.ENGLISH | WordClass.CLINICAL | WordClass.MEDICAL
_DOUBT_WEIGHT = 0.25  # one doubt counts like a span of confidence 0.75


@dataclass(frozen=True)
class ReviewDoubts:
    """Reasons to open a note, counted (see the comment above)."""

    unsure: int  # spans below LOW_CONFIDENCE
    run_on: int  # name spans that begin or end with an ordinary lower-case word
    unmarked_names: int  # mid-sentence capitalised words the name lists know (or no list knows), uncovered
    unmarked_numbers: int  # numbers of 5+ digits outside every span
    clashes: int  # spans of different labels with nothing between them
    dictionary_names: int  # name spans made only of ordinary words

    @property
    def total(self) -> int:
        return self.run_on + self.unmarked_names + self.unmarked_numbers + self.clashes + self.dictionary_names


@functools.lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    return load_lexicon()


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'(")
    return not before or before[-1] in ".!?:;\n-*•"


def review_doubts(text: str, spans: Sequence[Span], lexicon: Lexicon | None = None) -> ReviewDoubts:
    """Count the doubts about one note's spans (the note text is read here and never kept)."""
    lexicon = lexicon or _lexicon()
    ordered = sorted(spans, key=lambda s: s.start)
    covered = [False] * (len(text) + 1)
    for span in ordered:
        for i in range(span.start, min(span.end, len(text))):
            covered[i] = True
    run_on = dictionary = 0
    for span in ordered:
        if span.label != "NAME":
            continue
        words = [m.group() for m in _TOKEN.finditer(text, span.start, span.end) if m.group()[0].isalpha()]
        if not words:
            continue
        edges = {words[0], words[-1]}
        if any(w.islower() and lexicon.word_class(normalise(w)) & _ORDINARY for w in edges):
            run_on += 1
        classes = [lexicon.word_class(normalise(w)) for w in words]
        if all(c & _ORDINARY and not c & _NAME_WORDS for c in classes):
            dictionary += 1
    names = numbers = 0
    for match in _TOKEN.finditer(text):
        word, start = match.group(), match.start()
        if covered[start]:
            continue
        if word[0].isdigit():
            numbers += sum(ch.isdigit() for ch in word) >= 5
        elif (
            word[0].isupper()
            and not word.isupper()
            and len(word) > 2
            and "-" not in word
            and not _sentence_start(text, start)
        ):  # hyphenated: "X-ray", "Kellgren-Lawrence" grades
            bits = lexicon.word_class(normalise(word))
            names += bool(bits & _NAME_WORDS and not bits & _ORDINARY) or bits == WordClass.NONE
    clashes = sum(
        1
        for a, b in zip(ordered, ordered[1:], strict=False)
        if a.label != b.label and not text[a.end : b.start].strip()
    )
    return ReviewDoubts(
        unsure=sum(1 for s in spans if s.confidence < LOW_CONFIDENCE),
        run_on=run_on,
        unmarked_names=names,
        unmarked_numbers=numbers,
        clashes=clashes,
        dictionary_names=dictionary,
    )


def review_risk(text: str, spans: Sequence[Span], lexicon: Lexicon | None = None) -> float:
    """Review priority of one note, higher first: the recognizers' own doubt (1 - confidence per span),
    ``_DOUBT_WEIGHT`` per doubt of ``review_doubts``, and 0.01 per span so that, all else equal, a note
    dense with identifiers comes before a sparse one. Zero for a note with no spans and no doubts."""
    doubts = review_doubts(text, spans, lexicon)
    return round(sum(1.0 - s.confidence for s in spans) + _DOUBT_WEIGHT * doubts.total + 0.01 * len(spans), 6)


@functools.lru_cache(maxsize=4)
def _engine(config_json: str) -> DeidEngine:
    """Engines load their word lists once (about 2 s); reviewers' corrections reuse them."""
    return DeidEngine(DeidConfig.from_dict(json.loads(config_json)))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def span_from_json(data: dict[str, Any]) -> Span:
    return Span(
        int(data["start"]),
        int(data["end"]),
        str(data["label"]),
        data.get("subtype"),
        float(data.get("confidence", 1.0)),
        str(data.get("source", "")),
    )


def run_deid(
    ws: Workspace,
    dataset: str,
    config: DeidConfig | None = None,
    progress: Callable[..., None] | None = None,
    check_stop: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """De-identify every record of ``dataset`` into a new version. Returns its summary."""
    ws.require("admin", "informaticist")
    config = config or DeidConfig()
    if not dataset_records.exists(ws, dataset):
        raise InvalidInput(f"no dataset '{dataset}'; import notes first with 'appliance import'")
    total = dataset_records.record_count(ws, dataset)
    if total == 0:
        raise InvalidInput(f"dataset '{dataset}' has no records")
    engine = DeidEngine(config)
    secret = ws.secret(SECRET_NAME)
    config_json = json.dumps(config.to_dict(), sort_keys=True)
    object_ids: list[str] = []  # the version id is allocated inside the transaction; the audit entry reads it after
    with ws.transaction(
        "deid.start", object_ids, {"dataset": dataset, "records": total, "config": config.to_dict()}
    ) as tx:
        # Versions left 'running' by a killed job are closed here, with this entry as their record.
        version = deid_versions.start(tx, dataset, config_json, _now(), ws.user.name).version_id
        object_ids.extend([version, dataset])
    started = time.monotonic()
    done, span_count, field_spans, chars = 0, 0, 0, 0
    labels: Counter[str] = Counter()
    last_id = 0
    while True:
        rows = dataset_records.records_after(ws, dataset, last_id, BATCH)
        if not rows:
            break
        out = []
        for row in rows:
            text, patient_id = row.text, row.patient_id
            spans = engine.detect(text)
            deid_text = engine.apply(text, spans, patient_id=patient_id, secret=secret)
            fields, found = engine.deidentify_fields(row.metadata, patient_id=patient_id, secret=secret)
            out.append(
                (
                    row.record_id,
                    deid_text,
                    json.dumps([s.to_json() for s in spans]),
                    review_risk(text, spans, engine.lexicon),
                    json.dumps(fields, ensure_ascii=False, sort_keys=True),
                )
            )
            labels.update(s.label for s in spans)
            span_count += len(spans)
            field_spans += found
            chars += len(text)
        deid_versions.write_batch(ws.read(), version, out)
        done += len(rows)
        last_id = rows[-1].record_id
        elapsed = max(time.monotonic() - started, 1e-9)
        if progress:
            progress(done, total, rate=round(done / elapsed, 1))
        if check_stop:
            check_stop()
    elapsed = max(time.monotonic() - started, 1e-9)
    content_hash = version_hash(ws, version)
    summary = {
        "version": version,
        "dataset": dataset,
        "records": done,
        "spans": span_count,
        "labels": dict(sorted(labels.items())),
        "field_spans": field_spans,
        "mode": config.mode,
        "content_hash": content_hash,
        "notes_per_s": round(done / elapsed, 1),
        "kb_per_s": round(chars / 1024 / elapsed, 1),
    }
    with ws.transaction(
        "deid.complete", [version, dataset], {k: v for k, v in summary.items() if k not in ("notes_per_s", "kb_per_s")}
    ) as tx:
        deid_versions.complete(tx, version, done, span_count, content_hash)
    return summary


def version_hash(ws: Workspace, version: str) -> str:
    """SHA-256 over the version's de-identified texts, spans and other fields, in record order."""
    digest = hashlib.sha256()
    for record_id, text, spans, metadata in deid_versions.stored_records(ws, version):
        digest.update(f"{record_id}\0{len(text)}\0".encode())
        digest.update(text.encode("utf-8"))
        digest.update(spans.encode("utf-8"))
        if metadata is not None:  # versions made before fields were de-identified hash as they always did
            digest.update(metadata.encode("utf-8"))
    return digest.hexdigest()


@register_job("deid")
def deid_job(ctx: JobContext) -> dict[str, Any]:
    config = DeidConfig.from_dict(ctx.params["config"]) if ctx.params.get("config") else None
    return run_deid(ctx.ws, ctx.params["dataset"], config, progress=ctx.progress, check_stop=ctx.check_stop)


# -- review ------------------------------------------------------------------------------------


def _version_row(ws: Workspace, version: str) -> tuple[str, str, str, int]:
    found = deid_versions.find(ws, version)
    if found is None:
        raise InvalidInput(f"no de-identified version '{version}'")
    if found.status != "complete":
        raise ApplianceError(f"version '{version}' is {found.status}, not complete; run 'appliance deid run' again")
    return found.dataset, found.config, found.status, int(found.reviewed)


def versions(ws: Workspace, dataset: str) -> list[dict[str, Any]]:
    """Every de-identified version of ``dataset``, newest first, with status and review state."""
    return [
        {
            "version": v.version_id,
            "status": v.status,
            "records": v.records,
            "spans": v.spans,
            "reviewed": v.reviewed,
            "reviewed_by": v.reviewed_by,
            "reviewed_at": v.reviewed_at,
            "created": v.created,
            "created_by": v.created_by,
        }
        for v in deid_versions.list_versions(ws, dataset)
    ]


def latest_version(ws: Workspace, dataset: str | None) -> str:
    if not dataset:
        raise InvalidInput("name a --dataset or a --version")
    found = deid_versions.latest_complete(ws, dataset)
    if found is None:
        raise InvalidInput(f"dataset '{dataset}' has no de-identified version; run 'appliance deid run' first")
    return found.version_id


def review_queue(ws: Workspace, version: str, limit: int = 20) -> list[dict[str, Any]]:
    """Records of ``version`` by risk, highest first (low-confidence spans first), corrected ones last."""
    _version_row(ws, version)
    return [
        {
            "record_id": entry.record_id,
            "risk": entry.risk,
            "spans": len(entry.spans),
            "corrected": entry.corrected,
            "low_confidence": sum(1 for s in entry.spans if s["confidence"] < LOW_CONFIDENCE),
        }
        for entry in deid_versions.review_queue(ws, version, limit)
    ]


def review_record(ws: Workspace, version: str, record_id: int) -> dict[str, Any]:
    """The original text, its spans and the de-identified text, for a reviewer's eyes (contains PHI).

    An informaticist (who runs de-identification) sees the de-identified text, the spans' labels and
    positions, and the risk, but ``original`` is None: only the reviewing roles read imported originals,
    the same rule as the Data page's (``appliance.data.browse.ORIGINAL_ROLES``)."""
    ws.require("admin", "reviewer", "informaticist")
    _version_row(ws, version)
    row = deid_versions.review_record(ws, version, record_id)
    may_read = ws.user.role in REVIEWER_ROLES
    if ws.user.role in REVIEWER_ROLES:
        _note_opened(ws, version, record_id)
    return {
        "record_id": record_id,
        "original": row.original if may_read else None,
        "deidentified": row.deidentified,
        "spans": row.spans,
        "risk": row.risk,
        "corrected": row.corrected,
    }


def _note_opened(ws: Workspace, version: str, record_id: int) -> None:
    """Store and audit the first time this user opens ``record_id`` of ``version`` (later openings add
    nothing: the question asked of the record is whether a reviewer ever looked at it)."""
    if deid_versions.opened(ws, version, record_id, ws.user.name):
        return
    with ws.transaction("deid.opened", [version, str(record_id)], {"record_id": record_id}) as tx:
        deid_versions.note_opened(tx, version, record_id, ws.user.name, _now())


def review_coverage(ws: Workspace, version: str) -> ReviewCoverage:
    """How many records of ``version`` a reviewer or admin has opened (any of them, at least once)."""
    _version_row(ws, version)
    records, opened = deid_versions.coverage(ws, version)
    return ReviewCoverage(version, records, opened)


def correct(
    ws: Workspace,
    version: str,
    record_id: int,
    add: Sequence[tuple[int, int, str]] = (),
    remove: Sequence[tuple[int, int, str]] = (),
) -> dict[str, Any]:
    """Add missed spans / remove wrong ones on one record, re-apply the replacement, audit the change."""
    ws.require("admin", "reviewer")
    _dataset, config_json, _status, reviewed = _version_row(ws, version)
    if reviewed:
        raise ApplianceError(f"version '{version}' is already marked reviewed; run a new version to change it")
    engine = _engine(config_json)
    row = deid_versions.review_record(ws, version, record_id)
    text, patient_id = row.original, row.patient_id
    spans = [span_from_json(s) for s in row.spans]
    for start, end, label in list(add) + list(remove):
        if label not in LABELS or not 0 <= start < end <= len(text):
            raise InvalidInput(
                f"span {start}:{end}:{label} is out of range or has an unknown label ({', '.join(LABELS)})"
            )
    removed = 0
    for start, end, label in remove:
        before = len(spans)
        spans = [s for s in spans if not (s.start == start and s.end == end and s.label == label)]
        if len(spans) == before:
            raise InvalidInput(f"record {record_id} has no span {start}:{end}:{label} to remove")
        removed += 1
    spans = merge_spans(spans + [Span(s, e, lab, None, 1.0, "reviewer") for s, e, lab in add], text)
    deid_text = engine.apply(text, spans, patient_id=patient_id, secret=ws.secret(SECRET_NAME))
    details = {
        "record_id": record_id,
        "added": len(add),
        "removed": removed,
        "labels": sorted({lab for _, _, lab in list(add) + list(remove)}),
    }
    with ws.transaction("deid.correct", [version, str(record_id)], details) as tx:
        deid_versions.correct(
            tx,
            version,
            record_id,
            deid_text,
            json.dumps([s.to_json() for s in spans]),
            review_risk(text, spans, engine.lexicon),
        )
    return {"record_id": record_id, "spans": len(spans), **details}


def mark_reviewed(ws: Workspace, version: str) -> ReviewMark:
    """Mark a version reviewed (reviewer or admin); its content hash is fixed from now on.

    Records nobody opened do not stop it (a reviewer may review a sample on purpose): the returned
    coverage says how many were opened, the CLI and GUI warn about the rest, and the audit entry
    records both counts.
    """
    ws.require("admin", "reviewer")
    _version_row(ws, version)
    content_hash = version_hash(ws, version)
    coverage = review_coverage(ws, version)
    details = {"content_hash": content_hash, "records": coverage.records, "opened": coverage.opened}
    with ws.transaction("deid.reviewed", [version], details) as tx:
        deid_versions.mark_reviewed(tx, version, ws.user.name, _now(), content_hash)
    return ReviewMark(version, content_hash, coverage)
