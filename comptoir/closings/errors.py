from __future__ import annotations

from comptoir.lib.errors import ComptoirError


class ClosingError(ComptoirError):
    """Base of the closings' errors."""


class ClosingMismatch(ClosingError):
    """A month or a year built from its closings differs from what its facts add up to:
    a document landed in a period already closed (a clock set back), or a fact changed."""
