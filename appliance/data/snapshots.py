"""Dataset snapshots: frozen, hashed sets of de-identified records with patient-level splits.

A snapshot is what a tuning run trains and is evaluated on. It is made from the newest complete
de-identified version of a dataset, after the quality filters, with every patient in exactly one
of train / validation / test. Its content hash covers the record ids, their split and the hash of
each de-identified text, plus the settings, so an exported model traces back to exactly these notes.
Making the same snapshot twice returns the existing one.

Tuning on a version nobody has reviewed needs an explicit override, which is audited.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, NewType

from appliance.data.filters import FilterConfig, filter_records
from appliance.data.splits import SPLIT_NAMES, patient_splits
from appliance.errors import InvalidInput
from appliance.workspace import Workspace

SnapshotId = NewType("SnapshotId", str)


@dataclass
class SnapshotSpec:
    """How to cut a snapshot from a dataset (stored with it)."""

    dataset: str = field(metadata={"help": "Dataset to snapshot (its newest complete de-identified version)."})
    seed: int = field(default=13, metadata={"help": "Seed of the patient-level split."})
    fractions: tuple[float, float, float] = field(default=(0.8, 0.1, 0.1),
                                                  metadata={"help": "Train / validation / test share of patients."})
    filters: FilterConfig = field(default_factory=FilterConfig, metadata={"help": "Quality filters."})
    allow_unreviewed: bool = field(default=False, metadata={
        "help": "Use a de-identified version no reviewer has marked reviewed (audited)."})


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: SnapshotId
    dataset: str
    deid_version: str
    counts: dict[str, int]
    report: dict[str, int]
    content_hash: str
    unreviewed_override: bool
    created: bool  # False when an identical snapshot already existed


def create_snapshot(ws: Workspace, spec: SnapshotSpec) -> SnapshotInfo:
    ws.require("admin", "informaticist")
    conn = ws.read()
    row = conn.execute("SELECT version_id, reviewed FROM deid_versions WHERE dataset = ? AND status = 'complete'"
                       " ORDER BY created DESC, rowid DESC LIMIT 1", (spec.dataset,)).fetchone()
    if row is None:
        raise InvalidInput(f"dataset '{spec.dataset}' has no de-identified version; run 'appliance deid run' first")
    version, reviewed = row[0], bool(row[1])
    if not reviewed and not spec.allow_unreviewed:
        raise InvalidInput(f"de-identified version '{version}' is not reviewed; a reviewer must mark it reviewed "
                           "('appliance deid review --mark-reviewed'), or pass --allow-unreviewed (audited)")
    records: list[dict[str, Any]] = []
    for record_id, patient_id, text, metadata in conn.execute(
            "SELECT d.record_id, r.patient_id, d.text, d.metadata FROM deid_records d JOIN records r USING (record_id)"
            " WHERE d.version_id = ? ORDER BY d.record_id", (version,)):
        if metadata is None:
            raise InvalidInput(f"de-identified version '{version}' predates de-identification of the records' other "
                               "fields (summaries, extraction targets); run 'appliance deid run' again")
        records.append({**json.loads(metadata), "record_id": record_id, "patient_id": patient_id, "text": text,
                        "reviewed": reviewed})
    filters = spec.filters
    if spec.allow_unreviewed:
        filters = FilterConfig(**{**asdict(filters), "require_reviewed": False})
    result = filter_records(records, filters)
    kept = result.kept
    if not kept:
        raise InvalidInput(f"no record of '{spec.dataset}' passed the quality filters ({result.report})")
    assignment = patient_splits((r["patient_id"] for r in kept), spec.seed, spec.fractions, method="exact")
    splits = [(int(r["record_id"]), assignment[str(r["patient_id"])]) for r in kept]
    config = {"dataset": spec.dataset, "deid_version": version, "seed": spec.seed, "fractions": list(spec.fractions),
              "filters": asdict(filters), "allow_unreviewed": spec.allow_unreviewed}
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    texts = {int(r["record_id"]): r["text"] for r in kept}
    for record_id, split in splits:
        digest.update(f"{record_id}\0{split}\0{hashlib.sha256(texts[record_id].encode()).hexdigest()}\n".encode())
    content_hash = digest.hexdigest()
    counts = dict(Counter(split for _, split in splits))
    counts.update({name: counts.get(name, 0) for name in SPLIT_NAMES})
    existing = conn.execute("SELECT snapshot_id, unreviewed_override FROM snapshots WHERE content_hash = ?",
                            (content_hash,)).fetchone()
    if existing:
        return SnapshotInfo(SnapshotId(existing[0]), spec.dataset, version, counts, result.report, content_hash,
                            bool(existing[1]), created=False)
    number = conn.execute("SELECT count(*) FROM snapshots WHERE dataset = ?", (spec.dataset,)).fetchone()[0] + 1
    snapshot_id = SnapshotId(f"{spec.dataset}@v{number}")
    details = {"dataset": spec.dataset, "deid_version": version, "counts": counts, "dropped": result.report,
               "content_hash": content_hash, "unreviewed_override": spec.allow_unreviewed and not reviewed}
    action = "data.snapshot.unreviewed-override" if (spec.allow_unreviewed and not reviewed) else "data.snapshot"
    with ws.transaction(action, [snapshot_id, version], details) as tx:
        tx.execute("INSERT INTO snapshots (snapshot_id, dataset, deid_version, config, report, counts, content_hash,"
                   " unreviewed_override, created, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (snapshot_id, spec.dataset, version, json.dumps(config, sort_keys=True),
                    json.dumps(result.report), json.dumps(counts), content_hash,
                    int(spec.allow_unreviewed and not reviewed), datetime.now(UTC).isoformat(timespec="seconds"),
                    ws.user.name))
        tx.executemany("INSERT INTO snapshot_records (snapshot_id, record_id, split) VALUES (?,?,?)",
                       [(snapshot_id, record_id, split) for record_id, split in splits])
    return SnapshotInfo(snapshot_id, spec.dataset, version, counts, result.report, content_hash,
                        spec.allow_unreviewed and not reviewed, created=True)


def load_split(ws: Workspace, snapshot_id: str, split: str) -> list[dict[str, Any]]:
    """The de-identified records of one split, as dicts (text + metadata fields), in record order.

    Patient ids are replaced by a stable pseudonym: training and evaluation need grouping, not the id.
    The other fields are the de-identified ones; a snapshot frozen from a version made before those
    existed keeps reading the fields it was made with.
    """
    if split not in SPLIT_NAMES:
        raise InvalidInput(f"unknown split '{split}'; choose one of {', '.join(SPLIT_NAMES)}")
    conn = ws.read()
    row = conn.execute("SELECT deid_version FROM snapshots WHERE snapshot_id = ?", (snapshot_id,)).fetchone()
    if row is None:
        raise InvalidInput(f"no snapshot '{snapshot_id}'")
    out = []
    for record_id, patient_id, text, metadata, note_type in conn.execute(
            "SELECT s.record_id, r.patient_id, d.text, COALESCE(d.metadata, r.metadata), r.note_type"
            " FROM snapshot_records s"
            " JOIN records r USING (record_id) JOIN deid_records d ON d.record_id = s.record_id AND d.version_id = ?"
            " WHERE s.snapshot_id = ? AND s.split = ? ORDER BY s.record_id", (row[0], snapshot_id, split)):
        pseudonym = hashlib.sha256(f"{snapshot_id}\0{patient_id}".encode()).hexdigest()[:12]
        extra = {"note_type": note_type} if note_type else {}
        out.append({**extra, **json.loads(metadata), "record_id": record_id, "patient": pseudonym, "text": text})
    return out


def snapshot_info(ws: Workspace, snapshot_id: str) -> dict[str, Any]:
    row = ws.read().execute("SELECT dataset, deid_version, config, report, counts, content_hash, unreviewed_override,"
                            " created, created_by FROM snapshots WHERE snapshot_id = ?", (snapshot_id,)).fetchone()
    if row is None:
        raise InvalidInput(f"no snapshot '{snapshot_id}'")
    return {"snapshot_id": snapshot_id, "dataset": row[0], "deid_version": row[1], "config": json.loads(row[2]),
            "dropped": json.loads(row[3]), "counts": json.loads(row[4]), "content_hash": row[5],
            "unreviewed_override": bool(row[6]), "created": row[7], "created_by": row[8]}
