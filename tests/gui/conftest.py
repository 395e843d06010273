"""GUI test fixtures: offscreen Qt, workspaces with synthetic notes, sessions that close themselves.

A template workspace (three users, dataset 'ward' of 16 synthetic notes, one complete de-identified
version) is built once per test run and copied for each test that needs it, so each test can change
its copy freely without paying for import and de-identification again.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from appliance import synthetic  # noqa: E402
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


@pytest.fixture
def app_style(qapp) -> Iterator[None]:
    """The application's own style (fonts, paddings) as the app and the screenshots use it, for layout
    tests whose outcome depends on text widths; the previous look is put back afterwards."""
    from gui import style

    before = (qapp.style().name(), qapp.palette(), qapp.font(), qapp.styleSheet())
    style.apply(qapp)
    yield
    qapp.setStyleSheet(before[3])
    qapp.setFont(before[2])
    qapp.setPalette(before[1])
    qapp.setStyle(before[0])


def wait_ops(qtbot, timeout: int = 30_000) -> None:
    qtbot.waitUntil(ops.idle, timeout=timeout)


def shown_page(qtbot, session, kind: type):
    """The main window at the screenshot size, showing its page of type `kind`, its work settled."""
    from gui.mainwindow import MainWindow
    from gui.screenshots import SIZE

    window = MainWindow(session, lock_minutes=60)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    page = window.page(kind)
    assert isinstance(page, kind)
    window.show_page(window.pages.index(page))
    wait_ops(qtbot)
    return page


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


# -- workspaces with a tiny model, for the Tune, Models, Serve and Compare pages ----------------------
#
# Each stage is built once per test run on top of the previous one (a tiny random chat model trains in
# seconds), and each test gets its own copy. The tiny model's manifest is named by APPLIANCE_MANIFEST
# (job processes inherit it), set only while a template is built and during the tests that use one.

TINY_MODEL = "tiny-chat"
TINY_TUNE = {"max_steps": 4, "checkpoint_every": 2, "batch_size": 2, "max_seq_len": 256, "lora_dropout": 0.0}


def _copy(template: Path, base: Path) -> Path:
    root = base / "ws"
    shutil.copytree(template, root)
    return root


@contextlib.contextmanager
def _manifest(path: Path) -> Iterator[None]:
    previous = os.environ.get("APPLIANCE_MANIFEST")
    os.environ["APPLIANCE_MANIFEST"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("APPLIANCE_MANIFEST", None)
        else:
            os.environ["APPLIANCE_MANIFEST"] = previous


@pytest.fixture(scope="session")
def tiny_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models manifest listing a tiny random chat model (built here, no download)."""
    from tests.tiny import manifest_for, save_tiny_chat_model

    base = tmp_path_factory.mktemp("tiny-model")
    model_dir = save_tiny_chat_model(base / TINY_MODEL)
    return manifest_for(TINY_MODEL, model_dir, base / "manifest.toml")


@pytest.fixture(scope="session")
def tiny_template(template_ws: Path, tiny_manifest: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template plus the tiny chat model, with its de-identified version marked reviewed by rex."""
    from appliance import base_models
    from appliance.deid.service import mark_reviewed

    root = _copy(template_ws, tmp_path_factory.mktemp("tiny"))
    with _manifest(tiny_manifest), Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        base_models.add_model(ws, TINY_MODEL, tiny_manifest.parent / TINY_MODEL)
    with Workspace.open(root, "rex", PASSWORDS["rex"]) as ws:
        mark_reviewed(ws, "ward@deid1")
    return root


@pytest.fixture(scope="session")
def trained_template(tiny_template: Path, tiny_manifest: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LoRA run (4 steps, classify by specialty) trained by ivy."""
    from appliance.tune.service import TuneRequest, run_tune, start_run

    root = _copy(tiny_template, tmp_path_factory.mktemp("trained"))
    with _manifest(tiny_manifest), Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        request = TuneRequest(dataset="ward", task="classify", method="lora", base=TINY_MODEL,
                              overrides=dict(TINY_TUNE), task_config={"label_field": "specialty"})
        run_tune(ws, start_run(ws, request))
    return root


@pytest.fixture(scope="session")
def evaluated_template(trained_template: Path, tiny_manifest: Path,
                       tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained run, evaluated on its test split."""
    from appliance.evaluate.service import evaluate_run
    from appliance.tune.service import list_runs

    root = _copy(trained_template, tmp_path_factory.mktemp("evaluated"))
    with _manifest(tiny_manifest), Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        evaluate_run(ws, list_runs(ws)[0]["run_id"])
    return root


@pytest.fixture(scope="session")
def exported_template(evaluated_template: Path, tiny_manifest: Path,
                      tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The evaluated run approved by rex and exported by ivy as merged weights (to a folder beside the copy)."""
    from appliance import registry
    from appliance.export.service import export_run
    from appliance.tune.service import list_runs

    base = tmp_path_factory.mktemp("exported")
    root = _copy(evaluated_template, base)
    with _manifest(tiny_manifest), Workspace.open(root, "rex", PASSWORDS["rex"]) as ws:
        run_id = list_runs(ws)[0]["run_id"]
        registry.approve(ws, run_id, "checked on the test split", name="ward-specialty")
    with _manifest(tiny_manifest), Workspace.open(root, "ivy", PASSWORDS["ivy"]) as ws:
        export_run(ws, run_id, "merged", base / "exports" / "ward-specialty-merged")
    return root


@pytest.fixture
def tiny_env(tiny_manifest: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("APPLIANCE_MANIFEST", str(tiny_manifest))
    return tiny_manifest


@pytest.fixture
def tiny_ws(tiny_template: Path, tiny_env: Path, tmp_path: Path) -> Path:
    return _copy(tiny_template, tmp_path)


@pytest.fixture
def trained_ws(trained_template: Path, tiny_env: Path, tmp_path: Path) -> Path:
    return _copy(trained_template, tmp_path)


@pytest.fixture
def evaluated_ws(evaluated_template: Path, tiny_env: Path, tmp_path: Path) -> Path:
    return _copy(evaluated_template, tmp_path)


@pytest.fixture
def exported_ws(exported_template: Path, tiny_env: Path, tmp_path: Path) -> Path:
    return _copy(exported_template, tmp_path)
