"""Render every page at 1280×800 on a throw-away demo workspace: ``python -m gui.screenshots [OUT_DIR]``.

The workspace lives in a temporary directory (removed afterwards), uses the cheap test KDF and holds
synthetic notes only. Writes ``signin.png``, ``data.png``, ``import.png``, ``deid.png``, ``tune.png``,
``compare.png``, ``models.png``, ``serve.png``, ``audit.png``, ``users.png`` and ``lock.png`` to
``docs/screenshots`` by default. Works offscreen (``QT_QPA_PLATFORM=offscreen`` is set if no platform is
chosen).

The Tune, Compare, Models and Serve pages need a real base model: the embedded default
(``make model`` fetches it). They run the real work, small: a LoRA run of a few steps (shot while it
trains), its evaluation, an approval, a merged export, a comparison with the in-context and TF-IDF
baselines, and a served request; this takes several minutes on a 2-core CPU. Without the model file
those four shots are skipped (the script says so).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from appliance import jobs as core_jobs  # noqa: E402
from appliance import synthetic  # noqa: E402
from appliance.ingest.service import import_path  # noqa: E402
from appliance.store.keyslots import TEST_KDF  # noqa: E402
from appliance.workspace import Workspace  # noqa: E402
from gui import ops, style  # noqa: E402
from gui.mainwindow import MainWindow  # noqa: E402
from gui.pages import AuditPage, DataPage, DeidPage, UsersPage  # noqa: E402
from gui.pages.compare import ComparePage  # noqa: E402
from gui.pages.models import ModelsPage  # noqa: E402
from gui.pages.serve import ServePage  # noqa: E402
from gui.pages.tune import TunePage  # noqa: E402
from gui.session import Session  # noqa: E402
from gui.signin import SignInDialog  # noqa: E402

SIZE = (1280, 800)
DEFAULT_MODEL = "smollm2-135m-instruct"
JOB_TIMEOUT = 1800.0  # seconds; the model pages run real (small) work on a CPU
DEMO_PASSWORDS = {"admin": "demo-admin-passphrase", "ivy": "demo-ivy-passphrase", "rex": "demo-rex-passphrase"}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def build_demo_workspace(root: Path, notes_csv: Path, notes: int = 40) -> None:
    """A workspace with three users, a dataset 'ward' of synthetic notes and one de-identified version."""
    with Workspace.create(root, "admin", DEMO_PASSWORDS["admin"], kdf=TEST_KDF) as ws:
        ws.add_user("ivy", "informaticist", DEMO_PASSWORDS["ivy"])
        ws.add_user("rex", "reviewer", DEMO_PASSWORDS["rex"])
    synthetic.write_csv(synthetic.generate(notes, seed=7), notes_csv)
    with Workspace.open(root, "ivy", DEMO_PASSWORDS["ivy"]) as ws:
        import_path(ws, notes_csv, "ward")
    final = core_jobs.run(root, "ivy", DEMO_PASSWORDS["ivy"], "deid", {"dataset": "ward"})
    if final.get("event") != "done":
        raise RuntimeError(f"demo de-identification failed: {final.get('message')}")


def write_clinic_csv(path: Path, notes: int = 12) -> None:
    """Synthetic notes under other column names, with two bad rows, to show mapping and rejections."""
    import csv

    rows = [synthetic.to_record_dict(n) for n in synthetic.generate(notes, seed=11)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["mrn", "document_id", "service_date", "category", "note_text"])
        for i, row in enumerate(rows):
            patient = "" if i == 3 else row["patient_id"]
            text = "   " if i == 8 else row["text"]
            writer.writerow([patient, row["note_id"], row["date"], row["note_type"], text])


def settle(until: Callable[[], bool] = lambda: True, timeout: float = 60.0) -> None:
    """Run the event loop until every Op finished and ``until()`` holds (or the timeout passes)."""
    app = QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if ops.idle() and until():
            # A last round: callbacks may have started follow-up ops.
            for _ in range(5):
                app.processEvents()
                time.sleep(0.02)
            if ops.idle() and until():
                return
        time.sleep(0.02)
    raise TimeoutError("the GUI did not settle")


def save(widget: QWidget, path: Path) -> None:
    settle()
    if isinstance(widget, MainWindow) and (widget.width(), widget.height()) != SIZE:
        # A label that does not wrap can push the window's minimum size past the target size.
        widget.resize(*SIZE)
        settle()
        if (widget.width(), widget.height()) != SIZE:
            raise RuntimeError(f"{path.name}: the window is {widget.width()}x{widget.height()}, larger than "
                               f"{SIZE[0]}x{SIZE[1]}: some widget's minimum size grew")
    widget.grab().save(str(path))
    print(f"wrote {path}")


def save_over(window: QWidget, dialog: QWidget, path: Path) -> None:
    """The window with ``dialog`` painted centred on top (offscreen windows are separate surfaces)."""
    settle()
    canvas = QPixmap(window.grab())
    top = dialog.grab()
    painter = QPainter(canvas)
    at = QPoint((canvas.width() - top.width()) // 2, (canvas.height() - top.height()) // 2)
    painter.drawPixmap(at, top)
    # A window manager would frame the dialog; offscreen there is none, so draw a thin border.
    painter.setPen(QColor("#8a99a8"))
    painter.drawRect(at.x() - 1, at.y() - 1, top.width() + 1, top.height() + 1)
    painter.end()
    canvas.save(str(path))
    print(f"wrote {path}")


def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["appliance-screenshots"])
    assert isinstance(app, QApplication)
    style.apply(app)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="appliance-shots-") as tmp:
        root, notes_csv = Path(tmp) / "demo-workspace", Path(tmp) / "ward-notes.csv"
        build_demo_workspace(root, notes_csv)

        sign_in = SignInDialog(root, "rex")
        sign_in.resize(620, 330)
        sign_in.show()
        sign_in.password.setText("wrong-password")
        sign_in.sign_in_button.click()
        settle(lambda: sign_in.message.isVisible())
        written.append(out / "signin.png")
        save(sign_in, written[-1])
        sign_in.close()

        session = Session(Workspace.open(root, "admin", DEMO_PASSWORDS["admin"]), DEMO_PASSWORDS["admin"])
        window = MainWindow(session, lock_minutes=60)
        window.resize(*SIZE)
        window.show()

        data = window.page(DataPage)
        assert isinstance(data, DataPage)
        window.show_page(window.pages.index(data))
        settle(lambda: bool(data.infos))
        clinic_csv = Path(tmp) / "clinic-notes.csv"
        write_clinic_csv(clinic_csv)
        wizard = data.open_wizard()
        wizard.resize(*SIZE)
        wizard.set_source(clinic_csv)
        settle(lambda: wizard.import_button.isEnabled())
        wizard.import_button.click()
        settle(lambda: wizard.banner.state in ("ok", "warn", "error"))
        written.append(out / "import.png")
        save(wizard, written[-1])
        wizard.close()
        settle(lambda: len(data.infos) == 2)
        data.table.selectRow([i.name for i in data.infos].index("ward"))  # the dataset with a de-identified version
        settle(lambda: data.browser.record_table.rowCount() > 0)
        written.append(out / "data.png")
        save(window, written[-1])

        deid = window.page(DeidPage)
        assert isinstance(deid, DeidPage)
        window.show_page(window.pages.index(deid))
        settle(lambda: deid.dataset_combo.count() == 2)
        deid.dataset_combo.setCurrentText("ward")
        settle(lambda: deid.editor.record is not None)
        record = deid.editor.record
        assert record is not None
        if record["spans"]:
            first = record["spans"][min(2, len(record["spans"]) - 1)]
            deid.editor.click_at(int(first["start"]) + 1)
        written.append(out / "deid.png")
        save(window, written[-1])

        audit = window.page(AuditPage)
        assert isinstance(audit, AuditPage)
        window.show_page(window.pages.index(audit))
        audit.verify()
        settle(lambda: not audit.job_panel.runner.running and audit.result.isVisible(), timeout=120)
        written.append(out / "audit.png")
        save(window, written[-1])

        users = window.page(UsersPage)
        window.show_page(window.pages.index(users))
        written.append(out / "users.png")
        save(window, written[-1])

        model_file = default_model_file()
        if model_file is None:
            print(f"skipped tune.png, compare.png, models.png and serve.png: the model file of '{DEFAULT_MODEL}' "
                  "is missing (run 'make model')")
        else:
            written += shoot_model_pages(window, root, model_file, Path(tmp), out)

        window.show_page(window.pages.index(deid))
        window.lock("after inactivity")
        settle()
        assert window.lock_dialog is not None
        written.append(out / "lock.png")
        save_over(window, window.lock_dialog, written[-1])
        window.lock_dialog.done(0)
        window.session.close()
        window.close()
        settle()
    return written


def default_model_file() -> Path | None:
    from appliance import base_models

    try:
        return base_models.find_model_file(base_models.manifest_entry(DEFAULT_MODEL))
    except Exception:  # noqa: BLE001  (no manifest, no model: the shots that need it are skipped)
        return None


def prepare_model(root: Path, model_file: Path) -> None:
    """The default model added by ivy; the newest de-identified version of 'ward' reviewed by rex."""
    from appliance import base_models
    from appliance.deid.service import mark_reviewed
    from gui.queries import deid_versions

    with Workspace.open(root, "ivy", DEMO_PASSWORDS["ivy"]) as ws:
        base_models.add_model(ws, DEFAULT_MODEL, model_file)
        version = deid_versions(ws, "ward")[0].version_id
    with Workspace.open(root, "rex", DEMO_PASSWORDS["rex"]) as ws:
        mark_reviewed(ws, version)


def wait_job(runner: Any, what: str) -> dict[str, Any]:
    """Run the event loop until ``runner`` (a JobRunner) finishes; returns its final event."""
    finals: list[dict[str, Any]] = []
    runner.finished.connect(finals.append)
    settle(lambda: bool(finals), timeout=JOB_TIMEOUT)
    final = finals[0]
    if final.get("event") != "done":
        raise RuntimeError(f"screenshot {what} job failed: {final.get('message')}")
    return final


def shoot_model_pages(window: MainWindow, root: Path, model_file: Path, tmp: Path, out: Path) -> list[Path]:
    """Tune (while training), Compare, Models (after an export) and Serve (after two requests)."""
    written: list[Path] = []
    prepare_model(root, model_file)

    tune = window.page(TunePage)
    assert isinstance(tune, TunePage)
    window.show_page(window.pages.index(tune))
    settle(lambda: tune.base_combo.count() > 0 and tune.dataset_combo.count() > 0)
    tune.dataset_combo.setCurrentText("ward")
    tune.label_field.setCurrentIndex(max(0, tune.label_field.findData("specialty")))
    tune.advanced_toggle.setChecked(True)
    tune.advanced.set_values({"max_steps": 24, "batch_size": 2, "max_seq_len": 256, "checkpoint_every": 12})
    tune.advanced.changed.emit()
    tune.start()
    settle(lambda: len(tune.loss_chart.points) >= 8 and tune.estimate is not None, timeout=JOB_TIMEOUT)
    written.append(out / "tune.png")
    save(window, written[-1])
    tuned = wait_job(tune.job_panel.runner, "tune")["result"]["run_id"]
    settle()

    models = window.page(ModelsPage)
    assert isinstance(models, ModelsPage)
    window.show_page(window.pages.index(models))
    settle(lambda: bool(models.runs))
    models.run_table.selectRow(0)
    models.evaluate()
    wait_job(models.job_panel.runner, "evaluate")
    settle()
    approve_as_reviewer(root, tuned)
    models.refresh()
    settle(lambda: bool(models.state["approvals"]))
    models.run_table.selectRow(0)
    models.folder.setText(str(tmp / "exports"))
    models.format_combo.setCurrentIndex(models.format_combo.findData("merged"))
    models.export()
    wait_job(models.job_panel.runner, "export")
    settle(lambda: models.card.toPlainText() != "")
    written.append(out / "models.png")
    save(window, written[-1])

    compare_baselines(root)
    compare = window.page(ComparePage)
    assert isinstance(compare, ComparePage)
    compare.open_reports = False
    window.show_page(window.pages.index(compare))
    settle(lambda: compare.run_table.rowCount() > 1)
    compare.check([str(r["run_id"]) for r in compare.choices["runs"]])
    settle(lambda: bool(compare.runs))
    written.append(out / "compare.png")
    save(window, written[-1])

    serve = window.page(ServePage)
    assert isinstance(serve, ServePage)
    window.show_page(window.pages.index(serve))
    settle(lambda: serve.export_table.rowCount() > 0)
    serve.export_table.selectRow(0)
    serve.port.setValue(free_port())
    serve.key_name.setText("ehr-triage")
    serve.add_key()
    settle(lambda: bool(serve.new_key))
    serve.start()
    settle(lambda: serve.server.is_ready, timeout=600)
    for question in ("Chest pain radiating to the left arm since this morning.", "Follow-up of a knee sprain."):
        ask(serve.server.url, serve.new_key, serve.served[0], question)
    settle(lambda: serve.state["traffic"]["total"] >= 2, timeout=60)
    written.append(out / "serve.png")
    save(window, written[-1])
    serve.hide_new_key()
    serve.shutdown()
    settle()
    return written


def approve_as_reviewer(root: Path, run_id: str) -> None:
    from appliance import registry

    with Workspace.open(root, "rex", DEMO_PASSWORDS["rex"]) as ws:
        registry.approve(ws, run_id, "Macro-F1 and the privacy audit checked on the held-out split",
                         name="ward-specialty")


def compare_baselines(root: Path) -> None:
    """The in-context and TF-IDF baselines on the same data (a compare job run by ivy)."""
    from dataclasses import asdict

    from appliance.compare import CompareRequest

    request = CompareRequest(dataset="ward", methods=["icl", "tfidf"], base=DEFAULT_MODEL,
                             task_config={"label_field": "specialty"})
    final = core_jobs.run(root, "ivy", DEMO_PASSWORDS["ivy"], "compare", {"request": asdict(request)})
    if final.get("event") != "done":
        raise RuntimeError(f"screenshot comparison failed: {final.get('message')}")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ask(url: str, key: str, model: str, question: str) -> None:
    """One chat request to the local server, as an EHR tool would send it (synthetic text)."""
    import json
    import urllib.request

    body = json.dumps({"model": model, "max_tokens": 8,
                       "messages": [{"role": "user", "content": f"Which specialty? {question}"}]}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    request = urllib.request.Request(url + "/v1/chat/completions", data=body, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=300) as reply:  # noqa: S310 (the local test server)
        reply.read()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    shoot(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
