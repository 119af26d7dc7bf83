"""Errors of sales that callers tell apart from other refusals."""

from __future__ import annotations

from comptoir.lib.errors import ValidationError


class ApprovalRequiredError(ValidationError):
    """The operation needs a manager's approval (a basket discount above the threshold, a
    sale on account beyond the customer's credit limit): the till screen asks for a
    manager's name and password, the CLI for ``--manager`` or ``--over-limit``."""
