"""GUI test fixtures: offscreen Qt, workspaces with synthetic notes, sessions that close themselves.

A template workspace (three users, dataset 'ward' of 16 synthetic notes, one complete de-identified
version) is built once per test run and copied for each test that needs it, so each test can change
its copy freely without paying for import and de-identification again.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from appliance.data import synthetic  # noqa: E402
from appliance.deid.service import run_deid  # noqa: E402
from appliance.ingest.service import import_path  # noqa: E402
from appliance.store.keyslots import TEST_KDF  # noqa: E402
from appliance.workspace import Workspace  # noqa: E402
from gui import ops  # noqa: E402
from gui.session import Session  # noqa: E402
from tests.conftest import PASSWORDS  # noqa: E402

NOTES = 16


def write_mapped_csv(path: Path, n: int = 10, bad_row: int | None = 4, seed: int = 5) -> list[dict[str, str]]:
    """Synthetic notes under non-default column names; row ``bad_row`` lacks its patient id."""
    rows = [synthetic.to_record_dict(note) for note in synthetic.generate(n, seed=seed)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["mrn", "document_id", "service_date", "category", "note_text"])
        for i, row in enumerate(rows):
            writer.writerow(["" if i == bad_row else row["patient_id"], row["note_id"], row["date"],
                             row["note_type"], row["text"]])
    return rows


@pytest.fixture(scope="session")
def template_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("template")
    root = base / "ws"
    with Workspace.create(root, "admin", PASSWORDS["admin"], kdf=TEST_KDF) as ws:
        ws.add_user("ivy", "informaticist", PASSWORDS["ivy"])
        ws.add_user("rex", "reviewer", PASSWORDS["rex"])
    notes = base / "ward.csv"
    synthetic.write_csv(synthetic.generate(NOTES, seed=3), notes)
    with Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        import_path(ws, notes, "ward")
        run_deid(ws, "ward")
    return root


@pytest.fixture
def deid_ws(template_ws: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template workspace (closed)."""
    root = tmp_path / "ws"
    shutil.copytree(template_ws, root)
    return root


def wait_ops(qtbot, timeout: int = 30_000) -> None:
    qtbot.waitUntil(ops.idle, timeout=timeout)


@pytest.fixture
def open_session(qtbot) -> Iterator[Callable[[Path, str], Session]]:
    """``open_session(root, user)`` -> Session; every session is closed after the test."""
    sessions: list[Session] = []

    def opener(root: Path, user: str) -> Session:
        session = Session(Workspace.open(root, user, PASSWORDS[user]), PASSWORDS[user])
        sessions.append(session)
        return session

    yield opener
    for session in sessions:
        session.close()
    wait_ops(qtbot)
