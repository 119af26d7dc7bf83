"""What every page's layout needs: the user's role, where this post stands, and whether its
database was found damaged (then every page says so, the till screen first)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from comptoir import health
from comptoir.web.roles import MANAGER, role_of


def layout(request: HttpRequest) -> dict[str, Any]:
    role = role_of(request.user)
    return {
        "comptoir_role": settings.COMPTOIR_ROLE,
        "is_hub": settings.COMPTOIR_ROLE == "hub",
        "user_role": role,
        "user_is_manager": role == MANAGER,
        "database_damage": _damage_text() if request.user.is_authenticated else "",
    }


def _damage_text() -> str:
    damage = health.current_damage()
    return health.damage_sentence(damage) if damage is not None else ""
