"""Callbacks that apps above sales give it: sales never imports them (layers point one
way). Registered in their ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from comptoir.stores.models import Till

# Before a quick sale (``comptoir sell``) is validated, in its transaction: given the till
# and the cashier, returns a sentence to tell the user (on stderr), or None.
QuickSaleHook = Callable[[Till, str], str | None]

_quick_sale_hooks: list[QuickSaleHook] = []


def quick_sale_hook_register(hook: QuickSaleHook) -> None:
    if hook not in _quick_sale_hooks:
        _quick_sale_hooks.append(hook)


def quick_sale_hooks() -> tuple[QuickSaleHook, ...]:
    return tuple(_quick_sale_hooks)


# Before a document (invoice or credit note) of a till is numbered, in its transaction:
# given the till and the document's day by its clock (store time zone), returns the
# business day it belongs to: that day, or a later one when that day is already closed.
# Closings hook here: the first document after midnight closes the periods that are over,
# and a clock set back after a closing never dates a document in a closed period.
DocumentHook = Callable[[Till, date], date]

_document_hooks: list[DocumentHook] = []


def document_hook_register(hook: DocumentHook) -> None:
    if hook not in _document_hooks:
        _document_hooks.append(hook)


def document_business_day(till: Till, day: date) -> date:
    """The business day of a document of ``till`` made on ``day`` (by the clock): the latest
    of ``day`` and what every document hook says (see ``DocumentHook``)."""
    business = day
    for hook in _document_hooks:
        business = max(business, hook(till, day))
    return business
