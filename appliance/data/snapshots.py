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
from typing import Any

from appliance.catalog import deid_versions
from appliance.catalog import snapshots as snapshot_records
from appliance.catalog.snapshots import SnapshotId
from appliance.data.filters import FilterConfig, filter_records
from appliance.data.splits import SPLIT_NAMES, patient_majority_labels, patient_splits, stratified_patient_splits
from appliance.errors import InvalidInput
from appliance.workspace import Workspace


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
    stratify_field: str | None = field(default=None, metadata={
        "help": "Label column whose classes every split keeps in proportion (a patient counts under the label "
                "most of their notes carry; patients are never split). Empty = a plain patient-level cut."})


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
    latest = deid_versions.latest_complete(ws, spec.dataset)
    if latest is None:
        raise InvalidInput(f"dataset '{spec.dataset}' has no de-identified version; run 'appliance deid run' first")
    version, reviewed = latest.version_id, latest.reviewed
    if not reviewed and not spec.allow_unreviewed:
        raise InvalidInput(f"de-identified version '{version}' is not reviewed; a reviewer must mark it reviewed "
                           "('appliance deid review --mark-reviewed'), or pass --allow-unreviewed (audited)")
    records: list[dict[str, Any]] = []
    for found in deid_versions.version_records(ws, version):
        if found.metadata is None:
            raise InvalidInput(f"de-identified version '{version}' predates de-identification of the records' other "
                               "fields (summaries, extraction targets); run 'appliance deid run' again")
        records.append({**found.metadata, "record_id": found.record_id, "patient_id": found.patient_id,
                        "text": found.text, "reviewed": reviewed})
    filters = spec.filters
    if spec.allow_unreviewed:
        filters = FilterConfig(**{**asdict(filters), "require_reviewed": False})
    result = filter_records(records, filters)
    kept = result.kept
    if not kept:
        raise InvalidInput(f"no record of '{spec.dataset}' passed the quality filters ({result.report})")
    if spec.stratify_field:
        if not any(r.get(spec.stratify_field) not in (None, "") for r in kept):
            raise InvalidInput(f"no record of '{spec.dataset}' has a value in column '{spec.stratify_field}' to "
                               "stratify the split by")
        assignment = stratified_patient_splits(patient_majority_labels(kept, spec.stratify_field), spec.seed,
                                               spec.fractions)
    else:
        assignment = patient_splits((r["patient_id"] for r in kept), spec.seed, spec.fractions, method="exact")
    splits = [(int(r["record_id"]), assignment[str(r["patient_id"])]) for r in kept]
    config = {"dataset": spec.dataset, "deid_version": version, "seed": spec.seed, "fractions": list(spec.fractions),
              "filters": asdict(filters), "allow_unreviewed": spec.allow_unreviewed}
    if spec.stratify_field:  # only when set: the hash of every unstratified snapshot stays what it was
        config["stratify_field"] = spec.stratify_field
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    texts = {int(r["record_id"]): r["text"] for r in kept}
    for record_id, split in splits:
        digest.update(f"{record_id}\0{split}\0{hashlib.sha256(texts[record_id].encode()).hexdigest()}\n".encode())
    content_hash = digest.hexdigest()
    counts = dict(Counter(split for _, split in splits))
    counts.update({name: counts.get(name, 0) for name in SPLIT_NAMES})
    existing = snapshot_records.with_hash(ws, content_hash)
    if existing:
        return SnapshotInfo(existing.snapshot_id, spec.dataset, version, counts, result.report, content_hash,
                            existing.unreviewed_override, created=False)
    object_ids: list[str] = []  # the id is allocated inside the transaction; the audit entry reads the list after
    details = {"dataset": spec.dataset, "deid_version": version, "counts": counts, "dropped": result.report,
               "content_hash": content_hash, "unreviewed_override": spec.allow_unreviewed and not reviewed}
    action = "data.snapshot.unreviewed-override" if (spec.allow_unreviewed and not reviewed) else "data.snapshot"
    with ws.transaction(action, object_ids, details) as tx:
        snapshot = snapshot_records.create(
            tx, dataset=spec.dataset, deid_version=version, config=config, report=result.report, counts=counts,
            content_hash=content_hash, unreviewed_override=spec.allow_unreviewed and not reviewed,
            created_by=ws.user.name, splits=splits)
        object_ids.extend([snapshot.snapshot_id, version])
    return SnapshotInfo(snapshot.snapshot_id, spec.dataset, version, counts, result.report, content_hash,
                        spec.allow_unreviewed and not reviewed, created=True)


def load_split(ws: Workspace, snapshot_id: str, split: str) -> list[dict[str, Any]]:
    """The de-identified records of one split, as dicts (text + metadata fields), in record order.

    Patient ids are replaced by a stable pseudonym: training and evaluation need grouping, not the id.
    The other fields are the de-identified ones; a snapshot frozen from a version made before those
    existed keeps reading the fields it was made with.
    """
    if split not in SPLIT_NAMES:
        raise InvalidInput(f"unknown split '{split}'; choose one of {', '.join(SPLIT_NAMES)}")
    snapshot = snapshot_records.get(ws, snapshot_id)
    out = []
    for found in snapshot_records.split_records(ws, snapshot, split):
        pseudonym = hashlib.sha256(f"{snapshot_id}\0{found.patient_id}".encode()).hexdigest()[:12]
        extra = {"note_type": found.note_type} if found.note_type else {}
        out.append({**extra, **found.metadata, "record_id": found.record_id, "patient": pseudonym, "text": found.text})
    return out


def snapshot_info(ws: Workspace, snapshot_id: str) -> dict[str, Any]:
    found = snapshot_records.get(ws, snapshot_id)
    return {"snapshot_id": snapshot_id, "dataset": found.dataset, "deid_version": found.deid_version,
            "config": found.config, "dropped": found.report, "counts": found.counts,
            "content_hash": found.content_hash, "unreviewed_override": found.unreviewed_override,
            "created": found.created, "created_by": found.created_by}
