"""The mouse wheel changes only a focused spin box, combo box or slider: scrolling the Tune form over
its fields leaves every value as it was. (Qt passes a real, spontaneous wheel event that the guard
ignored on to the scroll area; a synthesized one like these is never propagated, so the scrolling
itself is not asserted here.)"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QSpinBox

from gui import wheel
from gui.pages.tune import TunePage
from tests.gui.conftest import wait_ops


def wheel_down(widget) -> None:
    """One notch of the wheel down, with the pointer over the middle of ``widget``."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_wheel_changes_only_the_focused_field(qtbot, deid_ws: Path, open_session) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert wheel.install(app) is wheel.install(app)  # installed once, as gui.app.main does
    page = TunePage(open_session(deid_ws, "ivy"))
    qtbot.addWidget(page)
    page.resize(1040, 700)
    page.show()
    page.refresh()
    wait_ops(qtbot)
    page.advanced_toggle.setChecked(True)
    seed = page.advanced.editors["seed"]
    assert isinstance(seed, QSpinBox) and seed.value() == 42
    assert seed.focusPolicy() == Qt.FocusPolicy.StrongFocus  # a click or Tab focuses it, the wheel does not
    assert page.method_combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert not seed.hasFocus()

    wheel_down(seed)
    assert seed.value() == 42 and not seed.hasFocus()
    method = page.method_combo.currentIndex()
    wheel_down(page.method_combo)
    assert page.method_combo.currentIndex() == method

    page.activateWindow()
    seed.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(seed.hasFocus)
    wheel_down(seed)
    assert seed.value() == 41
