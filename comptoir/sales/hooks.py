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
# given the till and the document's day (store time zone). Closings hook here: the first
# document after midnight closes the periods that are over.
DocumentHook = Callable[[Till, date], None]

_document_hooks: list[DocumentHook] = []


def document_hook_register(hook: DocumentHook) -> None:
    if hook not in _document_hooks:
        _document_hooks.append(hook)


def document_hooks() -> tuple[DocumentHook, ...]:
    return tuple(_document_hooks)
