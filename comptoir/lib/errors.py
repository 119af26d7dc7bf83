"""The one base exception of comptoir's business rules.

Every rule broken by user input raises a subclass of :class:`ComptoirError` whose
message is translated (French by default) and safe to show as is: the CLI prints it to
stderr, the web UI shows it, the sync engine reports it as a rejection reason.
"""

from __future__ import annotations


class ComptoirError(Exception):
    """A business rule refused the operation; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class ValidationError(ComptoirError):
    """Bad input: a value that cannot be accepted as given."""


class NotFoundError(ComptoirError):
    """A referenced record (article, invoice, customer...) does not exist."""


class ImmutableError(ComptoirError):
    """An attempt to change or delete a fact (validated invoice, movement, count...)."""
