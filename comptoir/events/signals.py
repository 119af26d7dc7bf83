"""Logins, successful and refused, recorded as technical events of this post.

Django sends ``user_logged_in`` and ``user_login_failed`` for every login form and
``authenticate`` call (django-axes' lockouts included: the refused attempt is a failed
login too).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed

from comptoir.events.models import EventKind
from comptoir.events.services import event_record


def _logged_in(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    event_record(kind=EventKind.LOGIN_OK, user=getattr(user, "username", "") or "")


def _login_failed(sender: Any, credentials: Any = None, request: Any = None, **kwargs: Any) -> None:
    username = (credentials or {}).get("username") or ""
    event_record(kind=EventKind.LOGIN_FAILED, user=str(username))


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="comptoir.events.login_ok")
    user_login_failed.connect(_login_failed, dispatch_uid="comptoir.events.login_failed")
