"""Password rules for keyslots: at least 12 characters, not one of the commonest passwords.

A keyslot's password is the only thing between a copy of ``keyslots.json`` and the master key, and an
offline guess costs one scrypt evaluation. Length is what makes guessing expensive; the list of common
passwords (``data/common_passwords.txt``, ~19,600 entries, BSD-3-Clause, see ``data/README.md``) stops
the guesses every cracker tries first, also with digits or symbols stuck on the end (``password1234!``).
The rules apply when a password is set (workspace creation, adding a user, changing a password), never
when one is used, so existing workspaces keep opening.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

from appliance.errors import InvalidInput

MIN_LENGTH = 12
MIN_DISTINCT = 5
_TRAILING = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("appliance.store.data").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password(password: str) -> None:
    """Raise ``InvalidInput`` (one line, says what to do) if ``password`` may not be set."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password is too short ({len(password)} characters; at least {MIN_LENGTH}): "
                           "use a passphrase of three or four unrelated words")
    if len(set(password)) < MIN_DISTINCT:
        raise InvalidInput("password repeats too few characters; use a passphrase of three or four unrelated words")
    lowered = password.lower()
    core = lowered.rstrip(_TRAILING).lstrip(_TRAILING)
    common = common_passwords()
    if lowered in common or core in common:
        raise InvalidInput("password is on the list of the most common passwords; "
                           "use a passphrase of three or four unrelated words")
