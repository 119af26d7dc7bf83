"""Logins, successful and refused, recorded as technical events of this post.

Django sends ``user_logged_in`` and ``user_login_failed`` for every login form and
``authenticate`` call (django-axes' lockouts included: the refused attempt is a failed
login too).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction

from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.lib.errors import ComptoirError

log = logging.getLogger("comptoir.events")


def _record(kind: str, user: str) -> None:
    """A login is never refused for its event: a post that cannot write (a damaged
    database, which its pages say) still lets its users in to read and restore."""
    try:
        with transaction.atomic():
            event_record(kind=kind, user=user)
    except ComptoirError as exc:
        log.warning("événement %s non enregistré : %s", kind, exc.message)


def _logged_in(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    _record(EventKind.LOGIN_OK, getattr(user, "username", "") or "")


def _login_failed(sender: Any, credentials: Any = None, request: Any = None, **kwargs: Any) -> None:
    _record(EventKind.LOGIN_FAILED, str((credentials or {}).get("username") or ""))


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="comptoir.events.login_ok")
    user_login_failed.connect(_login_failed, dispatch_uid="comptoir.events.login_failed")
