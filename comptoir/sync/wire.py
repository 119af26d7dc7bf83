"""Rows to and from their wire form (JSON-safe dicts keyed by attname)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _

from comptoir.core.errors import ValidationError
from comptoir.sync import registry


def to_wire(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | dict | list):
        return value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} on the wire")


def row_to_wire(obj: models.Model, attnames: Iterable[str]) -> dict[str, Any]:
    return {"id": str(obj.pk), **{a: to_wire(getattr(obj, a)) for a in attnames}}


def _fields_by_attname(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {f.attname: f for f in model._meta.concrete_fields}


def from_wire(model: type[models.Model], attname: str, raw: Any) -> Any:
    """The Python value of a field from its wire form; a clear error if it is not one."""
    field = _fields_by_attname(model).get(attname)
    if field is None:
        raise ValidationError(_("Champ inconnu : %(field)s.") % {"field": attname})
    if raw is None:
        if not field.null:
            raise ValidationError(_("Champ obligatoire manquant : %(field)s.") % {"field": attname})
        return None
    try:
        if isinstance(field, models.JSONField):
            return raw
        if isinstance(raw, dict | list | float):
            raise DjangoValidationError("bad type")
        value = field.to_python(raw)
        _check_bounds(field, value)
        return value
    except (DjangoValidationError, TypeError, ValueError, ArithmeticError):
        raise ValidationError(
            _("Valeur invalide pour %(field)s : « %(value)s ».") % {"field": attname, "value": raw}
        ) from None


_BOUNDS = (
    validators.MaxLengthValidator,
    validators.DecimalValidator,
    validators.MinValueValidator,
    validators.MaxValueValidator,
)


def _check_bounds(field: models.Field[Any, Any], value: Any) -> None:
    """Refuse what the column cannot hold, before the database does.

    SQLite stores an over-long text or an over-precise decimal as is (and fails on an
    integer over 64 bits); PostgreSQL fails the statement. Only the size limits are
    checked: format validators (e-mail...) are the services' business, not the merge's.
    """
    for validator in field.validators:
        if isinstance(validator, _BOUNDS):
            validator(value)
    limits = BaseDatabaseOperations.integer_field_ranges.get(field.get_internal_type())
    if limits is not None:
        stored = field.get_prep_value(value)
        if isinstance(stored, int) and not limits[0] <= stored <= limits[1]:
            raise DjangoValidationError("out of range")


def build(model: type[models.Model], row: dict[str, Any], attnames: Iterable[str]) -> Any:
    """An unsaved instance from a wire row (every synced field must be present)."""
    allowed = set(attnames)
    unknown = set(row) - allowed - {"id"}
    if unknown:
        raise ValidationError(
            _("Champs inconnus : %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    obj = model(pk=from_wire(model, "id", row.get("id")))
    for attname in allowed:
        if attname not in row:
            raise ValidationError(_("Champ manquant : %(field)s.") % {"field": attname})
        setattr(obj, attname, from_wire(model, attname, row[attname]))
    return obj


def reference_states(label: str, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    spec = registry.reference_spec(label)
    assert spec is not None
    return {
        obj.pk: {
            "fields": row_to_wire(obj, spec.fields),
            "clocks": dict(getattr(obj, "sync_clocks", {})),
        }
        for obj in spec.model._default_manager.filter(pk__in=ids)
    }


def fact_aggregates(label: str, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """Whole aggregates: ``{"rows": {label: [row, ...]}}`` with the root first."""
    spec = registry.fact_spec(label)
    assert spec is not None
    out: dict[UUID, dict[str, Any]] = {}
    for root in spec.model._default_manager.filter(pk__in=ids):
        out[root.pk] = {"rows": {label: [row_to_wire(root, spec.fields)]}}
    for part_model, fk in spec.parts:
        part_spec = registry.fact_spec(registry.label_of(part_model))
        assert part_spec is not None
        grouped: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
        for part in part_model._default_manager.filter(**{f"{fk}__in": list(out)}).order_by("pk"):
            grouped[getattr(part, fk)].append(row_to_wire(part, part_spec.fields))
        for root_id, rows in grouped.items():
            out[root_id]["rows"][part_spec.label] = rows
    return out


def states(pairs: list[tuple[str, UUID]]) -> dict[tuple[str, UUID], tuple[str, dict[str, Any]]]:
    """Current wire states of (model label, row id) pairs: (kind, data) per pair found."""
    by_label: dict[str, list[UUID]] = defaultdict(list)
    for label, row in pairs:
        by_label[label].append(row)
    out: dict[tuple[str, UUID], tuple[str, dict[str, Any]]] = {}
    for label, rows in by_label.items():
        if registry.reference_spec(label):
            for row, data in reference_states(label, rows).items():
                out[(label, row)] = ("reference", data)
        elif registry.fact_spec(label):
            for row, data in fact_aggregates(label, rows).items():
                out[(label, row)] = ("fact", data)
    return out
