"""The mouse wheel changes a spin box, combo box or slider only when that widget has the focus.

Qt's default lets the wheel change any value widget the pointer happens to pass over, so a user
scrolling a long settings form changes settings without noticing (a seed of 42 became 41). One
application-wide event filter, installed where the QApplication is made, fixes it for every page:

- such widgets get ``Qt.StrongFocus`` (when polished), so the wheel never gives them focus; a click
  or Tab does, and after that the wheel works on them as usual;
- a wheel event over one that is not focused is ignored there and passed on to its parents, so the
  page around it (a scroll area) scrolls as the user meant.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QDial, QSlider, QWidget

# Value widgets only: a scroll bar (also a QAbstractSlider) must keep scrolling under the wheel.
GUARDED = (QAbstractSpinBox, QComboBox, QSlider, QDial)


class WheelGuard(QObject):
    """The event filter; see the module docstring. Install it with ``install(app)``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.Wheel:
            if isinstance(watched, GUARDED) and not watched.hasFocus():
                # Ignored and filtered: QApplication then offers the event to the parent widgets,
                # so the surrounding scroll area scrolls instead.
                event.ignore()
                return True
        elif kind == QEvent.Type.Polish and isinstance(watched, GUARDED):
            guard_focus(watched)
        return False


def guard_focus(widget: QWidget) -> None:
    """Give ``widget`` StrongFocus if the wheel could otherwise focus it (a click or Tab still does)."""
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def install(app: QApplication) -> WheelGuard:
    """Install the guard on ``app`` once (a second call returns the one already installed)."""
    existing = app.findChild(WheelGuard)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    return guard
