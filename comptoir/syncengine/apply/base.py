"""What every part of applying shares: outcomes, refusals, foreign-key checks."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from comptoir.syncengine.protocol import Change


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    change_id: str
    model: str
    status: str  # applied | duplicate | rejected
    reason: str = ""


def unknown_target(field: models.ForeignKey[Any, Any], value: Any) -> str:
    target: Any = field.related_model
    return _("%(model)s %(id)s inconnu (référencé par %(field)s).") % {
        "model": target._meta.verbose_name,
        "id": value,
        "field": field.name,
    }


@functools.cache
def foreign_keys(model: type[models.Model]) -> tuple[models.ForeignKey[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey))


def check_foreign_keys(obj: models.Model) -> None:
    for field in foreign_keys(type(obj)):
        value = getattr(obj, field.attname)
        if value is None:
            continue
        target: Any = field.related_model
        if not target._default_manager.filter(pk=value).exists():
            raise Rejected(unknown_target(field, value))


Parts = list[tuple[type[models.Model], list[Any]]]


def rejected(change: Change, reason: str) -> Outcome:
    return Outcome(change.id, change.model, "rejected", reason)


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
