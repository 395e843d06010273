"""Schema and migrations. ``PRAGMA user_version`` holds the schema version.

Add a migration by appending to ``MIGRATIONS``; never edit one that has shipped. A workspace whose
version is newer than the last migration here was written by a newer appliance and is refused.
"""

from __future__ import annotations

from appliance.errors import ApplianceError
from appliance.store.db import Connection

MIGRATIONS: list[str] = [
    # 1: users, audit chain, blobs, base models, settings
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'informaticist', 'reviewer')),
        public_key TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL,
        object_ids TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TABLE blobs (
        blob_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        chunk_size INTEGER NOT NULL,
        chunks INTEGER NOT NULL,
        data_key BLOB NOT NULL,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE base_models (
        model_id TEXT PRIMARY KEY,
        blob_id TEXT NOT NULL REFERENCES blobs(blob_id),
        file_name TEXT NOT NULL,
        format TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        added TEXT NOT NULL,
        added_by TEXT NOT NULL
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: jobs, datasets, imported records, de-identified versions
    """
    CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        params TEXT NOT NULL,
        user TEXT NOT NULL,
        pid INTEGER,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
        started TEXT NOT NULL,
        ended TEXT,
        result TEXT
    );
    CREATE TABLE datasets (
        name TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE records (
        record_id INTEGER PRIMARY KEY,
        dataset TEXT NOT NULL REFERENCES datasets(name),
        note_id TEXT NOT NULL,
        patient_id TEXT NOT NULL,
        source TEXT NOT NULL,
        date TEXT,
        note_type TEXT,
        text TEXT NOT NULL,
        metadata TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        imported TEXT NOT NULL,
        UNIQUE (dataset, content_hash)
    );
    CREATE INDEX records_patient ON records (dataset, patient_id);
    CREATE TABLE deid_versions (
        version_id TEXT PRIMARY KEY,
        dataset TEXT NOT NULL REFERENCES datasets(name),
        config TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
        records INTEGER NOT NULL,
        spans INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        reviewed INTEGER NOT NULL DEFAULT 0,
        reviewed_by TEXT,
        reviewed_at TEXT,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE deid_records (
        version_id TEXT NOT NULL REFERENCES deid_versions(version_id),
        record_id INTEGER NOT NULL REFERENCES records(record_id),
        text TEXT NOT NULL,
        spans TEXT NOT NULL,
        risk REAL NOT NULL,
        corrected INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (version_id, record_id)
    );
    CREATE INDEX deid_records_risk ON deid_records (version_id, risk DESC);
    """,
    # 3: frozen dataset snapshots with patient-level splits; tuning runs and their checkpoints
    """
    CREATE TABLE snapshots (
        snapshot_id TEXT PRIMARY KEY,
        dataset TEXT NOT NULL REFERENCES datasets(name),
        deid_version TEXT NOT NULL REFERENCES deid_versions(version_id),
        config TEXT NOT NULL,
        report TEXT NOT NULL,
        counts TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        unreviewed_override INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE snapshot_records (
        snapshot_id TEXT NOT NULL REFERENCES snapshots(snapshot_id),
        record_id INTEGER NOT NULL REFERENCES records(record_id),
        split TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
        PRIMARY KEY (snapshot_id, record_id)
    );
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        method TEXT NOT NULL,
        task TEXT NOT NULL,
        base_model TEXT NOT NULL,
        snapshot_id TEXT NOT NULL REFERENCES snapshots(snapshot_id),
        config TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
        state TEXT NOT NULL DEFAULT 'candidate',
        created TEXT NOT NULL,
        created_by TEXT NOT NULL,
        ended TEXT,
        result TEXT,
        artifact_blob TEXT REFERENCES blobs(blob_id)
    );
    CREATE TABLE run_checkpoints (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        step INTEGER NOT NULL,
        blob_id TEXT NOT NULL REFERENCES blobs(blob_id),
        created TEXT NOT NULL,
        PRIMARY KEY (run_id, step)
    );
    ALTER TABLE base_models ADD COLUMN hf_blob TEXT REFERENCES blobs(blob_id);
    """,
    # 4: evaluation, approvals (model registry with versions per name), exports, API keys
    """
    ALTER TABLE runs ADD COLUMN evaluation TEXT;
    CREATE TABLE approvals (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        approved_by TEXT NOT NULL,
        approved_at TEXT NOT NULL,
        note TEXT NOT NULL,
        model_card TEXT NOT NULL,
        current INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE exports (
        export_id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        format TEXT NOT NULL,
        path TEXT NOT NULL,
        status TEXT NOT NULL,
        manifest TEXT NOT NULL,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        name TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        models TEXT,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 5: a record's other fields, de-identified with its note (NULL in versions made before this)
    """
    ALTER TABLE deid_records ADD COLUMN metadata TEXT;
    """,
    # 6: which records of a version each reviewer opened (first opening only; each row is audited)
    """
    CREATE TABLE deid_record_opens (
        version_id TEXT NOT NULL REFERENCES deid_versions(version_id),
        record_id INTEGER NOT NULL REFERENCES records(record_id),
        user TEXT NOT NULL,
        opened TEXT NOT NULL,
        PRIMARY KEY (version_id, record_id, user)
    );
    """,
    # 7: signed audit entries; each user's Ed25519 public key (see appliance.store.ledger)
    """
    ALTER TABLE audit ADD COLUMN signature TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN signing_key TEXT NOT NULL DEFAULT '';
    """,
]

LATEST = len(MIGRATIONS)


def version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection) -> int:
    """Bring the schema up to ``LATEST``; each step commits with its version bump or not at all."""
    current = version(conn)
    if current > LATEST:
        raise ApplianceError(
            f"workspace schema v{current} is newer than this appliance supports (v{LATEST}); upgrade the appliance"
        )
    for number in range(current + 1, LATEST + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return LATEST


def _split(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (which contain ';') whole."""
    statements, buf = [], ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        stripped = buf.strip()
        if stripped.endswith(";") and (not stripped.upper().startswith("CREATE TRIGGER") or stripped.endswith("END;")):
            statements.append(stripped)
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements
