"""Errors a user can cause, each with its documented exit code.

Exit codes (also in README.md):
  0 ok, 1 error, 2 usage, 3 authentication failed, 4 integrity failure, 5 invalid input.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTEGRITY = 4
EXIT_INVALID_INPUT = 5


class ApplianceError(Exception):
    """A failure with a one-line message meant for the user. Never put PHI in the message."""

    exit_code = EXIT_ERROR


class UsageError(ApplianceError):
    exit_code = EXIT_USAGE


class AuthError(ApplianceError):
    exit_code = EXIT_AUTH


class PermissionDenied(ApplianceError):
    exit_code = EXIT_AUTH


class IntegrityError(ApplianceError):
    exit_code = EXIT_INTEGRITY


class InvalidInput(ApplianceError):
    exit_code = EXIT_INVALID_INPUT
