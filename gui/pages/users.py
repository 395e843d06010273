"""Users page: who may open the workspace and with which role; add and remove users, change your own
password, rotate the master key. Everyone sees the list and may change their own password; the rest
is for admins (the core enforces it too).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from appliance.workspace import ROLES, User
from gui.errors import as_text
from gui.pages.base import Allowed, Page, page_title
from gui.session import Session
from gui.widgets import Banner, confirm, fill_table, make_table, selected_key

ROLE_HELP = {
    "admin": "users, keys and settings",
    "informaticist": "import, de-identify, tune, evaluate",
    "reviewer": "review de-identification, approve models",
}


def _password(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    field.setAccessibleName(placeholder)
    return field


class UsersPage(Page):
    title = "Users"
    roles_allowed = {
        "add": Allowed(("admin",), "Only admins add users"),
        "remove": Allowed(("admin",), "Only admins remove users"),
        "rotate": Allowed(("admin",), "Only admins rotate the workspace key"),
    }

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.users: list[User] = []
        heading = page_title("Users and keys")
        self.banner = Banner()

        self.table = make_table(["User", "Role", "What the role may do", "Added"], "userTable")
        self.table.itemSelectionChanged.connect(self._update_actions)
        self.remove_button = QPushButton("&Remove selected user…")
        self.remove_button.clicked.connect(self.ask_remove)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addWidget(self.remove_button)

        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("User name")
        self.new_name.setAccessibleName("New user name")
        self.new_role = QComboBox()
        self.new_role.setAccessibleName("Role")
        for role in ROLES:
            self.new_role.addItem(f"{role} — {ROLE_HELP[role]}", role)
        self.new_role.setCurrentIndex(list(ROLES).index("informaticist"))
        self.new_password = _password("Password")
        self.new_repeat = _password("Repeat password")
        self.add_button = QPushButton("&Add user")
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self.add_user)
        add_box = QGroupBox("Add a user")
        add_form = QFormLayout(add_box)
        add_form.addRow("&Name", self.new_name)
        add_form.addRow("R&ole", self.new_role)
        add_form.addRow("&Password", self.new_password)
        add_form.addRow("Re&peat", self.new_repeat)
        add_form.addRow("", self.add_button)

        self.own_password = _password("New password")
        self.own_repeat = _password("Repeat new password")
        self.change_button = QPushButton("&Change my password")
        self.change_button.clicked.connect(self.change_password)
        own_box = QGroupBox(f"Your password ({session.user.name})")
        own_form = QFormLayout(own_box)
        own_form.addRow("&New", self.own_password)
        own_form.addRow("Rep&eat", self.own_repeat)
        own_form.addRow("", self.change_button)

        self.rotate_button = QPushButton("Rotate the &key…")
        self.rotate_button.clicked.connect(self.ask_rotate)
        rotate_hint = QLabel("Re-encrypts the workspace under a new master key and re-wraps it for every user. "
                             "Do it after removing a user. Other appliance processes must be closed.")
        rotate_hint.setObjectName("hint")
        rotate_hint.setWordWrap(True)
        key_box = QGroupBox("Workspace key")
        key_layout = QVBoxLayout(key_box)
        key_layout.addWidget(rotate_hint)
        key_layout.addWidget(self.rotate_button)

        right = QVBoxLayout()
        right.addWidget(add_box)
        right.addWidget(own_box)
        right.addWidget(key_box)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        self._update_actions()

    def refresh(self) -> None:
        self.ws_op(lambda ws: ws.users()).success(self._show).titled("Could not list users").run()

    def _show(self, users: list[User]) -> None:
        self.users = users
        me = self.session.user.name
        fill_table(self.table, [[u.name + (" (you)" if u.name == me else ""), u.role, ROLE_HELP.get(u.role, ""),
                                 u.created[:10]] for u in users], keys=[u.name for u in users])
        self._update_actions()

    def _update_actions(self) -> None:
        chosen = selected_key(self.table)
        is_me = chosen == self.session.user.name
        self.gate(self.remove_button, "remove", ready=chosen is not None and not is_me,
                  why_not_ready="You cannot remove yourself" if is_me else "Select a user first",
                  tip="Remove the selected user's access to this workspace")
        self.gate(self.add_button, "add", tip="Add a user with the chosen role and password")
        for field in (self.new_name, self.new_role, self.new_password, self.new_repeat):
            field.setEnabled(self.may("add"))
        self.gate(self.rotate_button, "rotate", tip="Replace the master key (after removing a user)")

    # -- actions ----------------------------------------------------------------------------------

    def add_user(self) -> None:
        name, role = self.new_name.text().strip(), str(self.new_role.currentData())
        password = self.new_password.text()
        if password != self.new_repeat.text():
            self.banner.show_state("error", "The two passwords differ. Type the same password twice.")
            return
        self.ws_op(lambda ws: ws.add_user(name, role, password)).success(self._added).failure(self._failed).run()

    def _added(self, user: User) -> None:
        for field in (self.new_name, self.new_password, self.new_repeat):
            field.clear()
        self.banner.show_state("ok", f"Added {user.name} as {user.role}. Give them their password in person.")
        self.refresh()

    def ask_remove(self) -> None:
        name = selected_key(self.table)
        if name is None:
            return
        confirm(self, "Remove user", f"Remove {name}? They can no longer open this workspace. Their audit "
                                     "entries stay. Rotate the key afterwards.",
                "Remove", lambda: self.remove_user(name))

    def remove_user(self, name: str) -> None:
        self.ws_op(lambda ws: ws.remove_user(name)).success(lambda _r: self._removed(name)).failure(self._failed).run()

    def _removed(self, name: str) -> None:
        self.banner.show_state("ok", f"Removed {name}. Rotate the key to cut off any copy of the key they kept.")
        self.refresh()

    def change_password(self) -> None:
        new, repeat = self.own_password.text(), self.own_repeat.text()
        if new != repeat:
            self.banner.show_state("error", "The two passwords differ. Type the same password twice.")
            return
        self.ws_op(lambda ws: ws.change_password(new)).success(lambda _r: self._password_changed(new)) \
            .failure(self._failed).run()

    def _password_changed(self, new: str) -> None:
        self.session.password_changed(new)
        self.own_password.clear()
        self.own_repeat.clear()
        self.banner.show_state("ok", "Your password was changed. Use the new one from now on.")

    def ask_rotate(self) -> None:
        confirm(self, "Rotate the key", "Re-encrypt the workspace under a new master key now? This takes a "
                                        "moment; close other appliance windows and wait for running jobs first.",
                "Rotate", self.rotate_key)

    def rotate_key(self) -> None:
        self.rotate_button.setEnabled(False)
        self.banner.show_state("info", "Rotating the key…")
        self.ws_op(lambda ws: ws.rotate_key()).success(self._rotated).failure(self._failed).run()

    def _rotated(self, generation: int) -> None:
        self._update_actions()
        self.banner.show_state("ok", f"Key rotated (generation {generation}); every user keeps their password.")

    def _failed(self, exc: BaseException) -> None:
        self._update_actions()
        self.banner.show_state("error", as_text(exc))
