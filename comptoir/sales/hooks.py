"""Callbacks that apps above sales give it: sales never imports them (layers point one
way). Registered in their ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable

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
