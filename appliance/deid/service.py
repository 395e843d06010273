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
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from appliance.deid.config import DeidConfig
from appliance.deid.engine import DeidEngine
from appliance.deid.scoring import risk
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


@functools.lru_cache(maxsize=4)
def _engine(config_json: str) -> DeidEngine:
    """Engines load their word lists once (about 2 s); reviewers' corrections reuse them."""
    return DeidEngine(DeidConfig.from_dict(json.loads(config_json)))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def span_to_json(span: Span) -> dict[str, Any]:
    return {
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "subtype": span.subtype,
        "confidence": span.confidence,
        "source": span.source,
    }


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
    conn = ws.read()
    if conn.execute("SELECT 1 FROM datasets WHERE name = ?", (dataset,)).fetchone() is None:
        raise InvalidInput(f"no dataset '{dataset}'; import notes first with 'appliance import'")
    total = conn.execute("SELECT count(*) FROM records WHERE dataset = ?", (dataset,)).fetchone()[0]
    if total == 0:
        raise InvalidInput(f"dataset '{dataset}' has no records")
    engine = DeidEngine(config)
    secret = ws.secret(SECRET_NAME)
    number = conn.execute("SELECT count(*) FROM deid_versions WHERE dataset = ?", (dataset,)).fetchone()[0] + 1
    version = f"{dataset}@deid{number}"
    config_json = json.dumps(config.to_dict(), sort_keys=True)
    with ws.transaction(
        "deid.start", [version, dataset], {"dataset": dataset, "records": total, "config": config.to_dict()}
    ) as tx:
        # Versions left 'running' by a killed job are closed here, with this entry as their record.
        tx.execute("UPDATE deid_versions SET status = 'failed' WHERE dataset = ? AND status = 'running'", (dataset,))
        tx.execute(
            "INSERT INTO deid_versions (version_id, dataset, config, status, records, spans, content_hash,"
            " created, created_by) VALUES (?,?,?,?,?,?,?,?,?)",
            (version, dataset, config_json, "running", 0, 0, "", _now(), ws.user.name),
        )
    started = time.monotonic()
    done, span_count, field_spans, chars = 0, 0, 0, 0
    labels: Counter[str] = Counter()
    last_id = 0
    while True:
        rows = conn.execute(
            "SELECT record_id, patient_id, text, metadata FROM records WHERE dataset = ? AND record_id > ?"
            " ORDER BY record_id LIMIT ?",
            (dataset, last_id, BATCH),
        ).fetchall()
        if not rows:
            break
        out = []
        for record_id, patient_id, text, metadata in rows:
            spans = engine.detect(text)
            deid_text = engine.apply(text, spans, patient_id=patient_id, secret=secret)
            fields, found = engine.deidentify_fields(json.loads(metadata), patient_id=patient_id, secret=secret)
            out.append((version, record_id, deid_text, json.dumps([span_to_json(s) for s in spans]), risk(spans),
                        json.dumps(fields, ensure_ascii=False, sort_keys=True)))
            labels.update(s.label for s in spans)
            span_count += len(spans)
            field_spans += found
            chars += len(text)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO deid_records (version_id, record_id, text, spans, risk, metadata) VALUES (?,?,?,?,?,?)",
                out,
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        done += len(rows)
        last_id = rows[-1][0]
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
        tx.execute(
            "UPDATE deid_versions SET status = 'complete', records = ?, spans = ?, content_hash = ?"
            " WHERE version_id = ?",
            (done, span_count, content_hash, version),
        )
    return summary


def version_hash(ws: Workspace, version: str) -> str:
    """SHA-256 over the version's de-identified texts, spans and other fields, in record order."""
    digest = hashlib.sha256()
    for record_id, text, spans, metadata in ws.read().execute(
        "SELECT record_id, text, spans, metadata FROM deid_records WHERE version_id = ? ORDER BY record_id", (version,)
    ):
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
    row = (
        ws.read()
        .execute("SELECT dataset, config, status, reviewed FROM deid_versions WHERE version_id = ?", (version,))
        .fetchone()
    )
    if row is None:
        raise InvalidInput(f"no de-identified version '{version}'")
    if row[2] != "complete":
        raise ApplianceError(f"version '{version}' is {row[2]}, not complete; run 'appliance deid run' again")
    return row[0], row[1], row[2], row[3]


def versions(ws: Workspace, dataset: str) -> list[dict[str, Any]]:
    """Every de-identified version of ``dataset``, newest first, with status and review state."""
    rows = (
        ws.read()
        .execute(
            "SELECT version_id, status, records, spans, reviewed, reviewed_by, reviewed_at, created, created_by"
            " FROM deid_versions WHERE dataset = ? ORDER BY created DESC, rowid DESC",
            (dataset,),
        )
        .fetchall()
    )
    keys = ("version", "status", "records", "spans", "reviewed", "reviewed_by", "reviewed_at", "created", "created_by")
    return [{**dict(zip(keys, row, strict=True)), "reviewed": bool(row[4])} for row in rows]


def latest_version(ws: Workspace, dataset: str | None) -> str:
    if not dataset:
        raise InvalidInput("name a --dataset or a --version")
    row = (
        ws.read()
        .execute(
            "SELECT version_id FROM deid_versions WHERE dataset = ? AND status = 'complete'"
            " ORDER BY created DESC, rowid DESC LIMIT 1",
            (dataset,),
        )
        .fetchone()
    )
    if row is None:
        raise InvalidInput(f"dataset '{dataset}' has no de-identified version; run 'appliance deid run' first")
    return str(row[0])


def review_queue(ws: Workspace, version: str, limit: int = 20) -> list[dict[str, Any]]:
    """Records of ``version`` by risk, highest first (low-confidence spans first), corrected ones last."""
    _version_row(ws, version)
    rows = (
        ws.read()
        .execute(
            "SELECT record_id, risk, spans, corrected FROM deid_records WHERE version_id = ?"
            " ORDER BY corrected, risk DESC, record_id LIMIT ?",
            (version, limit),
        )
        .fetchall()
    )
    out = []
    for record_id, risk_value, spans_json, corrected in rows:
        spans = json.loads(spans_json)
        out.append(
            {
                "record_id": record_id,
                "risk": risk_value,
                "spans": len(spans),
                "corrected": bool(corrected),
                "low_confidence": sum(1 for s in spans if s["confidence"] < LOW_CONFIDENCE),
            }
        )
    return out


def review_record(ws: Workspace, version: str, record_id: int) -> dict[str, Any]:
    """The original text, its spans and the de-identified text, for a reviewer's eyes (contains PHI)."""
    ws.require("admin", "reviewer", "informaticist")
    _version_row(ws, version)
    row = (
        ws.read()
        .execute(
            "SELECT r.text, d.text, d.spans, d.risk, d.corrected FROM deid_records d JOIN records r USING (record_id)"
            " WHERE d.version_id = ? AND d.record_id = ?",
            (version, record_id),
        )
        .fetchone()
    )
    if row is None:
        raise InvalidInput(f"record {record_id} is not in version '{version}'")
    if ws.user.role in REVIEWER_ROLES:
        _note_opened(ws, version, record_id)
    return {
        "record_id": record_id,
        "original": row[0],
        "deidentified": row[1],
        "spans": json.loads(row[2]),
        "risk": row[3],
        "corrected": bool(row[4]),
    }


def _note_opened(ws: Workspace, version: str, record_id: int) -> None:
    """Store and audit the first time this user opens ``record_id`` of ``version`` (later openings add
    nothing: the question asked of the record is whether a reviewer ever looked at it)."""
    seen = ws.read().execute(
        "SELECT 1 FROM deid_record_opens WHERE version_id = ? AND record_id = ? AND user = ?",
        (version, record_id, ws.user.name),
    ).fetchone()
    if seen is not None:
        return
    with ws.transaction("deid.opened", [version, str(record_id)], {"record_id": record_id}) as tx:
        tx.execute(
            "INSERT OR IGNORE INTO deid_record_opens (version_id, record_id, user, opened) VALUES (?,?,?,?)",
            (version, record_id, ws.user.name, _now()),
        )


def review_coverage(ws: Workspace, version: str) -> ReviewCoverage:
    """How many records of ``version`` a reviewer or admin has opened (any of them, at least once)."""
    _version_row(ws, version)
    records, opened = ws.read().execute(
        "SELECT count(*), count(o.record_id) FROM deid_records d LEFT JOIN"
        " (SELECT DISTINCT record_id FROM deid_record_opens WHERE version_id = ?) o USING (record_id)"
        " WHERE d.version_id = ?",
        (version, version),
    ).fetchone()
    return ReviewCoverage(version, int(records), int(opened))


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
    row = (
        ws.read()
        .execute(
            "SELECT r.text, r.patient_id, d.spans FROM deid_records d JOIN records r USING (record_id)"
            " WHERE d.version_id = ? AND d.record_id = ?",
            (version, record_id),
        )
        .fetchone()
    )
    if row is None:
        raise InvalidInput(f"record {record_id} is not in version '{version}'")
    text, patient_id, spans_json = row
    spans = [span_from_json(s) for s in json.loads(spans_json)]
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
        tx.execute(
            "UPDATE deid_records SET text = ?, spans = ?, risk = ?, corrected = 1"
            " WHERE version_id = ? AND record_id = ?",
            (deid_text, json.dumps([span_to_json(s) for s in spans]), risk(spans), version, record_id),
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
        tx.execute(
            "UPDATE deid_versions SET reviewed = 1, reviewed_by = ?, reviewed_at = ?, content_hash = ?"
            " WHERE version_id = ?",
            (ws.user.name, _now(), content_hash, version),
        )
    return ReviewMark(version, content_hash, coverage)
