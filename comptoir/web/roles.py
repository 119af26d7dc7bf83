"""The two roles of the web interface, kept as Django groups on each post.

- ``cashier``: the till screen, their own sales, stock lookup;
- ``manager``: everything (back office, dashboard, sync pages).

Users are local to a post (a till's cashiers are not the hub's accounts): they are not
synced. A superuser counts as a manager.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Final, Literal

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

CASHIER: Final = "cashier"
MANAGER: Final = "manager"
Role = Literal["cashier", "manager"]
ROLES: tuple[Role, ...] = (CASHIER, MANAGER)

View = Callable[..., HttpResponse]


def role_of(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    """The user's role, or None when they have none (not logged in, or no group)."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return MANAGER
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    if MANAGER in names:
        return MANAGER
    if CASHIER in names:
        return CASHIER
    return None


def is_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return role_of(user) == MANAGER


def role_set(user: Any, role: str) -> None:
    """Give ``user`` exactly one of the roles (``cashier`` or ``manager``)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    groups: dict[str, Group] = {n: Group.objects.get_or_create(name=n)[0] for n in ROLES}
    user.groups.remove(*groups.values())
    user.groups.add(groups[role])


def _require(allowed: tuple[Role, ...]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if role_of(request.user) not in allowed:
                raise PermissionDenied(_("Cette page est réservée au gérant."))
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


#: Any logged-in user with a role: the till screen, stock lookup.
cashier_required = _require((CASHIER, MANAGER))
#: The manager only: back office, dashboard, sync pages, reference data edits.
manager_required = _require((MANAGER,))
