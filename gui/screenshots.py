"""Render every page at 1280×800 on a throw-away demo workspace: ``python -m gui.screenshots [OUT_DIR]``.

The workspace lives in a temporary directory (removed afterwards), uses the cheap test KDF and holds
synthetic notes only. Writes ``signin.png``, ``data.png``, ``import.png``, ``deid.png``, ``audit.png``,
``users.png`` and ``lock.png`` to ``docs/screenshots`` by default. Works offscreen
(``QT_QPA_PLATFORM=offscreen`` is set if no platform is chosen).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from appliance import jobs as core_jobs  # noqa: E402
from appliance.data import synthetic  # noqa: E402
from appliance.ingest.service import import_path  # noqa: E402
from appliance.store.keyslots import TEST_KDF  # noqa: E402
from appliance.workspace import Workspace  # noqa: E402
from gui import ops, style  # noqa: E402
from gui.mainwindow import MainWindow  # noqa: E402
from gui.pages import AuditPage, DataPage, DeidPage, UsersPage  # noqa: E402
from gui.session import Session  # noqa: E402
from gui.signin import SignInDialog  # noqa: E402

SIZE = (1280, 800)
DEMO_PASSWORDS = {"admin": "demo-admin", "ivy": "demo-ivy", "rex": "demo-rex"}
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
        settle(lambda: not audit.runner.running and audit.result.isVisible(), timeout=120)
        written.append(out / "audit.png")
        save(window, written[-1])

        users = window.page(UsersPage)
        window.show_page(window.pages.index(users))
        written.append(out / "users.png")
        save(window, written[-1])

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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    shoot(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
