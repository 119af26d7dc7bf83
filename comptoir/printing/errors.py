"""Errors of the receipt printer."""

from __future__ import annotations

from comptoir.lib.errors import ComptoirError, ValidationError


class PrinterSettingError(ValidationError):
    """A printer setting cannot be accepted as typed (a port that is not a number...)."""


class PrinterUnavailable(ComptoirError):
    """The printer could not be reached or refused the ticket; nothing was printed (or a
    part only: a ticket cut short is reprinted as a duplicate)."""
