"""Helpers shared by the back-office views: paging, and forms fed to services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from comptoir.lib.errors import ComptoirError

PER_PAGE = 50
#: Till menus list every till up to this many; past it (a chain's hub), a text field
#: takes the till's series instead of a menu of thousands.
TILL_MENU_LIMIT = 50
T = TypeVar("T")


def paginate(request: HttpRequest, qs: QuerySet[Any], per_page: int = PER_PAGE) -> Page[Any]:
    """The requested page (``?page=``), clamped to the existing ones.

    Offset paging with one ``COUNT(*)``: on 200,000 invoices both stay far below the
    page budget on SQLite and PostgreSQL (see ``bench/pages.py``).
    """
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def till_menu(tills: QuerySet[Any]) -> list[Any] | None:
    """``tills`` for a menu, or None past :data:`TILL_MENU_LIMIT`: one query, however
    many tills there are."""
    menu = list(tills[: TILL_MENU_LIMIT + 1])
    return menu if len(menu) <= TILL_MENU_LIMIT else None


def call_service(form: forms.Form, action: Callable[[], T]) -> T | None:
    """Run a service; its refusal becomes a form error (the message is already French)."""
    try:
        return action()
    except ComptoirError as exc:
        form.add_error(None, exc.message)
        return None
