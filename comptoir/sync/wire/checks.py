"""The rows a post writes itself, checked before they are written: what the hub's database
would refuse is refused here, with a French sentence, and nothing is written.

A fact validated on a till must be accepted by the hub: a PostgreSQL hub that refuses
one invoice for its values (a cashier's name over 150 characters, which SQLite stores
as is) would hold the next invoice without it, a hole in the series for ever. So every
row of a synced model written on a post, facts and reference data alike, goes through
the very field checks the hub runs on what it receives
(:func:`comptoir.sync.wire.values.check_value`), and its foreign keys must name rows
that exist. Called by the base classes' write paths (``capture.check_local``), inside
the business transaction: a refusal rolls the whole use case back (no number is used).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError
from comptoir.sync.wire.values import check_value

SHOWN = 40  # characters of a refused value quoted in the message
CHUNK = 500  # ids per IN (...) query


@functools.cache
def _fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    return tuple(model._meta.concrete_fields)


def check_rows(
    model: type[models.Model], objs: Iterable[Any], attnames: Collection[str] | None = None
) -> None:
    """Refuse (:class:`ValidationError`) the first value of ``objs`` that the hub's
    database would refuse or alter, or a foreign key naming a row that does not exist.

    ``objs``: model instances, or light records with every column as an attribute
    (``wire.record_type``, as ``insert_values`` writes them), or with only ``attnames``
    when given (the columns an update writes: ``update_values``). Deferred fields are
    skipped (they are not written). A foreign key whose related
    object is loaded from the database needs no query; the others are looked up, one
    query per key for all the rows.
    """
    wanted: dict[models.ForeignKey[Any, Any], set[Any]] = {}
    fields = _fields(model)
    if attnames is not None:
        fields = tuple(f for f in fields if f.attname in attnames)
    for obj in objs:
        deferred = obj.get_deferred_fields() if isinstance(obj, models.Model) else ()
        for field in fields:
            if field.attname in deferred:
                continue
            value = getattr(obj, field.attname)
            if hasattr(value, "resolve_expression"):
                continue  # F() and the like: computed by the database from stored values
            _check(model, field, value)
            if (
                isinstance(field, models.ForeignKey)
                and value is not None
                and not _loaded(obj, field, value)
            ):
                wanted.setdefault(field, set()).add(value)
    for field, values in wanted.items():
        target: Any = field.related_model
        ordered = sorted(values, key=str)
        found: set[Any] = set()
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            found.update(target._base_manager.filter(pk__in=chunk).values_list("pk", flat=True))
        missing = [v for v in ordered if v not in found]
        if missing:
            raise ValidationError(
                _("%(field)s (%(model)s) : « %(value)s » n'existe pas sur ce poste.")
                % {**_names(model, field), "value": missing[0]}
            )


def _check(model: type[models.Model], field: models.Field[Any, Any], value: Any) -> None:
    try:
        if value is not None and not isinstance(field, models.JSONField):
            value = field.to_python(value)
        check_value(field, value)
    except DjangoValidationError as exc:
        raise ValidationError(_message(model, field, value, exc.code)) from None
    except (TypeError, ValueError, ArithmeticError):
        raise ValidationError(_message(model, field, value, "invalid")) from None


def _message(
    model: type[models.Model], field: models.Field[Any, Any], value: Any, code: str | None
) -> str:
    names = _names(model, field)
    if code == "null":
        return _("%(field)s (%(model)s) : valeur obligatoire manquante.") % names
    if code == "max_length":
        return _("%(field)s (%(model)s) : %(length)d caractères, %(max)d au plus.") % {
            **names,
            "length": len(value),
            "max": field.max_length,
        }
    if code == "text":
        return _("%(field)s (%(model)s) : caractère nul ou invalide, refusé.") % names
    shown = str(value)
    if len(shown) > SHOWN:
        shown = shown[:SHOWN] + "…"
    return _("%(field)s (%(model)s) : valeur hors des limites enregistrables « %(value)s ».") % {
        **names,
        "value": shown,
    }


def _names(model: type[models.Model], field: models.Field[Any, Any]) -> dict[str, str]:
    return {"field": capfirst(str(field.verbose_name)), "model": str(model._meta.verbose_name)}


def _loaded(obj: Any, field: models.ForeignKey[Any, Any], value: Any) -> bool:
    """True if ``obj`` holds the related row as read from (or saved to) the database."""
    if not isinstance(obj, models.Model) or not field.is_cached(obj):
        return False
    related = field.get_cached_value(obj)
    return related is not None and not related._state.adding and related.pk == value
