"""Reads of the printer setting."""

from __future__ import annotations

from comptoir.printing.config import PrinterConfig
from comptoir.printing.models import PrinterSettings
from comptoir.stores.models import Till


def printer_get(*, till: Till) -> PrinterConfig:
    """The printer of ``till``; none set: the browser prints (``kind`` ``none``)."""
    row = PrinterSettings.objects.filter(till=till).first()
    return row.as_config() if row is not None else PrinterConfig()
