"""What every page's layout needs: the user's role and where this post stands."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from comptoir.web.roles import MANAGER, role_of


def layout(request: HttpRequest) -> dict[str, Any]:
    role = role_of(request.user)
    return {
        "comptoir_role": settings.COMPTOIR_ROLE,
        "is_hub": settings.COMPTOIR_ROLE == "hub",
        "user_role": role,
        "user_is_manager": role == MANAGER,
    }
