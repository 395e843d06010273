"""The model card's provenance lines read the snapshot, de-identified version and base model records."""

from __future__ import annotations

from pathlib import Path

from appliance import registry
from appliance.catalog import base_models, deid_versions, runs
from appliance.workspace import Workspace
from tests.catalog.conftest import SNAPSHOT
from tests.conftest import PASSWORDS


def test_card_names_snapshot_version_reviewer_and_base(snap_ws: Path) -> None:
    with Workspace.open(snap_ws, "ivy", PASSWORDS["ivy"]) as ws:
        with ws.transaction("tune.start") as tx:
            run = runs.create(tx, method="lora", task="classify", base_model="tiny-chat", snapshot_id=SNAPSHOT,
                              config={"task": {"label_field": "specialty"}}, created_by="ivy")
            tx.execute("UPDATE snapshots SET counts = '{\"train\": 3, \"test\": 1}' WHERE snapshot_id = ?", (SNAPSHOT,))
        card = registry.model_card(ws, run, "ward-specialty", 1, "ok")
        assert "sha256 `?`" in card and "(hash `h`), splits {\"train\": 3, \"test\": 1}" in card
        assert "version `ward-d1`, mode `?`, reviewed by `nobody (override)`" in card
        assert registry.default_name(ws, run) == "ward-specialty"
        with ws.transaction("models.add") as tx:
            tx.execute("INSERT INTO blobs (blob_id, kind, size, sha256, chunk_size, chunks, data_key, created,"
                       " created_by) VALUES ('b1', 'base-model', 1, 's', 1, 1, x'00', 't', 'ivy')")
            base_models.add(tx, base_models.BaseModel("tiny-chat", "b1", "m.gguf", "gguf", "abc123", 1, "", "ivy"))
            tx.execute("UPDATE deid_versions SET config = '{\"mode\": \"surrogate\"}' WHERE version_id = 'ward-d1'")
            deid_versions.mark_reviewed(tx, "ward-d1", "rex", "t", "h")
        card = registry.model_card(ws, run, "ward-specialty", 1, "ok")
        assert "(sha256 `abc123`)" in card and "mode `surrogate`, reviewed by `rex`" in card
        assert base_models.hf_blob(ws, "tiny-chat") is None
