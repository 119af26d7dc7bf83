"""Errors of the training mode."""

from __future__ import annotations

from comptoir.lib.errors import ValidationError


class TrainingError(ValidationError):
    """The training mode refuses an action (a training sale with the mode off...)."""
