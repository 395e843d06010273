"""A signed-in user's hold on one workspace: the open ``Workspace`` and the password jobs need.

Why the password is kept: a job is a child process that opens the workspace itself, and the only way
to hand it the key is the user's password on its stdin (``appliance.jobs.spec_line``). The password
lives in this object only while the session is unlocked; locking closes the workspace and forgets it,
and the user types it again to continue.

Threading: ``ws`` is used only inside Ops (``gui.ops``), which run one at a time on a single worker
thread; pages read it there (``Page.ws_op``), so an op that starts after the lock fails with
``SessionLocked`` instead of touching a closed connection. ``lock`` closes the workspace in an Op
too, after every op queued before it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from appliance.errors import ApplianceError, AuthError
from appliance.workspace import Role, User, Workspace
from gui.ops import Op


class SessionLocked(ApplianceError):
    """The workspace was closed by the inactivity lock (or sign-out) and is not usable until re-auth."""


class Session(QObject):
    """Signals ``lock_changed(bool)`` when the session locks (True) or resumes (False)."""

    lock_changed = Signal(bool)

    def __init__(self, ws: Workspace, password: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root: Path = Path(ws.root)
        self.user: User = ws.user
        self._ws: Workspace | None = ws
        self._password: str | None = password

    # -- access -----------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._ws is None

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            raise SessionLocked("the workspace is locked; enter your password to continue")
        return self._ws

    @property
    def password(self) -> str:
        if self._password is None:
            raise SessionLocked("the workspace is locked; enter your password to continue")
        return self._password

    def has_role(self, *roles: Role) -> bool:
        return self.user.role in roles

    def password_changed(self, new_password: str) -> None:
        """Call after ``Workspace.change_password`` succeeded, so later jobs get the new one."""
        if self._password is not None:
            self._password = new_password

    # -- lock, resume, close ----------------------------------------------------------------------

    def lock(self) -> None:
        """Forget the password and close the workspace (after every op queued before this call)."""
        if self._ws is None:
            return
        ws, self._ws, self._password = self._ws, None, None
        Op(None, ws.close).failure(lambda _exc: None).run()
        self.lock_changed.emit(True)

    def resume(self, ws: Workspace, password: str) -> None:
        """Take a freshly opened workspace after re-authentication. It must be the same user and place."""
        if ws.user.name != self.user.name or Path(ws.root).resolve() != self.root.resolve():
            Op(None, ws.close).failure(lambda _exc: None).run()
            raise AuthError(f"the workspace is locked for '{self.user.name}'; sign out to switch user")
        if self._ws is not None:
            Op(None, ws.close).failure(lambda _exc: None).run()
            return
        self._ws, self._password, self.user = ws, password, ws.user
        self.lock_changed.emit(False)

    def close(self) -> None:
        """Sign out: like ``lock`` but for good."""
        self.lock()

