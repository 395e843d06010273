"""What every page is: a QWidget with a ``title``, the roles allowed for each of its actions, and
``refresh()``.

Role rules live in one table per page (``roles_allowed``) so the button state, its tooltip and the
check the core makes (``Workspace.require``) say the same thing. The core still enforces every rule:
a disabled button is a courtesy, not the security boundary.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from appliance.workspace import Role, Workspace
from gui.ops import Op
from gui.session import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Allowed:
    """Who may do an action, and the sentence shown to everyone else (e.g. on a disabled button)."""

    roles: tuple[Role, ...]
    reason: str


def page_title(text: str) -> QLabel:
    """The page's heading, styled as ``pageTitle``."""
    heading = QLabel(text)
    heading.setObjectName("pageTitle")
    return heading


def page_header(title: str, intro: str = "", *widgets: QWidget) -> QHBoxLayout:
    """The row at the top of a page: its heading, an optional one-sentence intro that takes the free
    width (or a stretch without one), then ``widgets`` (the page's main buttons) on the right."""
    top = QHBoxLayout()
    top.addWidget(page_title(title))
    if intro:
        hint = QLabel(intro)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        top.addSpacing(16)
        top.addWidget(hint, 1)
    else:
        top.addStretch(1)
    for widget in widgets:
        top.addWidget(widget)
    return top


class AbstractWidgetMeta(ABCMeta, type(QWidget)):  # type: ignore[misc]
    """``ABCMeta`` for QWidget subclasses, so ``@abstractmethod`` hooks are enforced on pages.

    ABCMeta comes first because Shiboken's metaclass does not pass class creation on to the next
    metaclass, which would leave ``__abstractmethods__`` unset. Python refuses an abstract class in
    ``object.__new__``, which Shiboken's construction of a wrapped object never calls, so the refusal
    is made here instead.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        missing: frozenset[str] = getattr(cls, "__abstractmethods__", frozenset())
        if missing:
            raise TypeError(f"Can't instantiate abstract class {cls.__name__} without an implementation for "
                            f"abstract method{'s' if len(missing) > 1 else ''} {', '.join(sorted(missing))}")
        return super().__call__(*args, **kwargs)


class Page(QWidget, metaclass=AbstractWidgetMeta):
    """Base of every page in ``gui.pages.PAGES``.

    Subclasses set ``title`` (sidebar text), optionally ``roles_allowed`` (action name -> Allowed),
    and implement ``refresh()``, which the main window calls when the page is shown and after the
    session resumes. ``refresh`` must return quickly: it starts Ops, it does not wait for them.
    """

    title: ClassVar[str] = ""
    roles_allowed: ClassVar[dict[str, Allowed]] = {}

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName(f"page-{type(self).__name__}")

    @abstractmethod
    def refresh(self) -> None:
        """Reload what the page shows (called when it is shown and after the session resumes)."""

    def shutdown(self) -> None:
        """Called once when the user leaves (closes the window or signs out), before the workspace
        closes. Stop what must not outlive the window (e.g. the Serve page's local server). Jobs are
        not stopped here: they are detached and keep running."""

    def ws_op(self, fn: Callable[[Workspace], T]) -> Op[T]:
        """An Op that calls ``fn(workspace)`` on the worker thread, parented to this page.

        The workspace is read from the session when the op runs, not when it is built, so building
        one while the session is locked (e.g. a job finishing behind the lock screen) is harmless: it
        fails with SessionLocked, and the callbacks of an op are dropped whenever the session is
        locked at delivery time. The page refreshes on unlock anyway.
        """
        session = self.session
        return Op(self, lambda: fn(session.ws)).skip_if(lambda: session.locked)

    def may(self, action: str) -> bool:
        """Whether the signed-in user's role allows ``action`` (an action missing from the table is open)."""
        rule = self.roles_allowed.get(action)
        return rule is None or self.session.has_role(*rule.roles)

    def gate(self, widget: QWidget, action: str, ready: bool = True, why_not_ready: str = "",
             tip: str = "") -> None:
        """Enable ``widget`` only if the role allows ``action`` and ``ready``; the tooltip says why not.

        ``tip`` is the tooltip when enabled (what the button does).
        """
        rule = self.roles_allowed.get(action)
        if rule is not None and not self.session.has_role(*rule.roles):
            widget.setEnabled(False)
            widget.setToolTip(rule.reason)
        elif not ready:
            widget.setEnabled(False)
            widget.setToolTip(why_not_ready or tip)
        else:
            widget.setEnabled(True)
            widget.setToolTip(tip)
