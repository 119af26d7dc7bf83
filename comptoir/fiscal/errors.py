"""The fiscal journal's errors: one base, a subclass per thing the user must fix."""

from __future__ import annotations

from comptoir.lib.errors import ComptoirError


class FiscalError(ComptoirError):
    """A fiscal operation was refused; nothing was written."""


class KeyFileError(FiscalError):
    """The post's signing key file is missing, unreadable or damaged."""


class ArchiveUnreadable(FiscalError):
    """Bad input for an archive check: no such file, or not a zip archive at all."""
