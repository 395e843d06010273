"""Turning exceptions into what a clinical informaticist reads: the one-line message and a next step.

``ApplianceError`` messages are written for users (one line, no PHI), so they are shown as they are.
Any other exception is a defect: its text may quote data, so only its type is shown and printed.
"""

from __future__ import annotations

import re
import sys
import traceback

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from appliance.errors import (
    ApplianceError,
    AuthError,
    IntegrityError,
    InvalidInput,
    PermissionDenied,
    UsageError,
)

# Most specific first: the first isinstance match wins (PermissionDenied is not an AuthError, but
# keep specific classes above their bases anyway so adding a subclass stays safe).
_NEXT_STEPS: tuple[tuple[type[BaseException], str], ...] = (
    (PermissionDenied, "Ask a colleague with the right role to do this, or ask an admin to change your role."),
    (AuthError, "Check the user name and the password (they are case-sensitive) and try again."),
    (IntegrityError, "Open the Audit page and run Verify; if it reports damage, restore the workspace "
                     "from its backup and tell your IT support."),
    (InvalidInput, "Change what the message names and try again; nothing was changed."),
    (UsageError, "Change what the message names and try again; nothing was changed."),
    (ApplianceError, "Try again. If it keeps failing, note the time and tell your IT support; "
                     "nothing was half-written."),
    (OSError, "Check that the file or folder exists and that you may read and write it, then try again."),
)
_open_boxes: set[QMessageBox] = set()
_DEFECT_STEP = ("The change was not saved. Note the time and tell your IT support: this is a defect in the "
                "appliance, not something you did.")


# The core's messages serve the command line too: they name commands. In the desktop app the same
# advice names the page or button that does it. Most specific first; any command left is dropped
# with its parentheses rather than shown as a command to type.
_GUI_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"create one with 'appliance init'", "create one on the Create a workspace tab"),
    (r"run 'appliance deid run' (first|again)", r"run de-identification on the De-identification page \1"),
    (r"import notes first with 'appliance import'", "import notes first on the Data page"),
    (r"add it with 'appliance models add'", "ask an admin or informaticist to add it to the workspace"),
    (r"run 'appliance evaluate [^']+' first", "evaluate it on the Models page first"),
    (r"evaluate it first \('appliance evaluate [^']+'\)", "evaluate it first on the Models page"),
    (r"\(re-run it with 'appliance compare'\)", "(run the comparison again on the Compare page)"),
    (r"give --label-field NAME", "choose it under Label field"),
    (r" \(--note\)", ""),
    (r" \(--override-baseline\)", " (the tick box in the approval dialog)"),
    (r"; see 'appliance tune --help'", "; the Tune page lists every setting"),
    (r" ?\('appliance [^']*'[^)]*\)", ""),
    (r"'appliance [^']*'", "the matching page"),
))


def gui_words(message: str) -> str:
    """``message`` with command-line advice turned into the desktop app's words."""
    for pattern, replacement in _GUI_WORDS:
        message = pattern.sub(replacement, message)
    return message


def describe(exc: BaseException) -> tuple[str, str]:
    """``(message, next_step)`` for ``exc``, both single lines safe to show (no PHI)."""
    if isinstance(exc, ApplianceError):
        message = gui_words(str(exc)) or type(exc).__name__
    elif isinstance(exc, OSError):
        # strerror and the file name are locations, not content.
        where = f" ({exc.filename})" if exc.filename else ""
        message = f"{exc.strerror or type(exc).__name__}{where}"
    else:
        message = f"unexpected internal error ({type(exc).__name__})"
    for cls, step in _NEXT_STEPS:
        if isinstance(exc, cls):
            return message, step
    return message, _DEFECT_STEP


def as_text(exc: BaseException) -> str:
    """Message and next step as one short paragraph, for inline error labels."""
    message, step = describe(exc)
    message = message[:1].upper() + message[1:]
    return f"{message}{'' if message.endswith(('.', '!', '?')) else '.'} {step}"


def report_defect(exc: BaseException) -> None:
    """Print where an unexpected exception came from, without its message (which may quote PHI)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    print(f"appliance-gui: internal error {type(exc).__name__} at {where}", file=sys.stderr)


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> QMessageBox:
    """A window-modal warning naming the problem and what to do next; returns at once."""
    if not isinstance(exc, ApplianceError | OSError):
        report_defect(exc)
    message, step = describe(exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title, message[:1].upper() + message[1:], QMessageBox.StandardButton.Ok,
                      parent)
    box.setInformativeText(step)
    box.setObjectName("errorDialog")
    # open(), not exec(): a nested event loop would let queued op callbacks and job events run
    # inside this call, in the middle of whatever code showed the error.
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is None:
        # A parentless box is owned by Python: hold it until it closes or it would vanish at once.
        _open_boxes.add(box)
        box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()
    return box
