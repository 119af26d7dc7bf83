"""Building blocks of comptoir's admin: formatted amounts, read-only facts, archived references.

- Amounts are stored in minor units and quantities in thousandths: ``<field>_fmt`` in
  ``list_display``/``fields`` shows them formatted (``2.50``, ``0.250``), and forms take
  amounts in major units (``2,50``).
- Facts and derived tables are read-only: they are created by the services only.
- Reference data is never deleted but archived, and is saved through the services'
  building blocks (``<entity>_<verb>_block``, see ``core.usecases``): they join the
  admin's own transaction, so a change form saves all of it (row, inlines, history) or
  nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.lib.errors import ComptoirError
from comptoir.lib.fields import MoneyField, QuantityField
from comptoir.lib.money import format_amount, parse_amount
from comptoir.lib.quantity import format_quantity

FMT = "_fmt"


def show_amount(value: int | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    return format_amount(value, currency or settings.COMPTOIR_CURRENCY)


def show_quantity(value: Decimal | None) -> str:
    return "—" if value is None else format_quantity(value)


def _formatter(field: models.Field[Any, Any]) -> Callable[[Any], str]:
    @admin.display(description=field.verbose_name, ordering=field.name)
    def show(obj: Any) -> str:
        value = getattr(obj, field.name)
        if isinstance(field, QuantityField):
            return show_quantity(value)
        return show_amount(value, getattr(obj, "currency", None))

    return show


def _formatted(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {
        f.name: f for f in model._meta.concrete_fields if isinstance(f, MoneyField | QuantityField)
    }


class FormattedFieldsMixin:
    """Resolves ``<field>_fmt`` to a column showing a money or quantity field formatted."""

    model: type[models.Model]

    def __getattr__(self, name: str) -> Callable[[Any], str]:
        if name.endswith(FMT) and name != "model":
            field = _formatted(self.model).get(name.removesuffix(FMT))
            if field is not None:
                return _formatter(field)
        raise AttributeError(name)

    def display_fields(self) -> list[str]:
        """Every concrete field, formatted ones replaced by their ``_fmt`` column."""
        formatted = _formatted(self.model)
        return [
            f"{f.name}{FMT}" if f.name in formatted else f.name
            for f in self.model._meta.concrete_fields
        ]


class ReadOnlyAdmin(FormattedFieldsMixin, admin.ModelAdmin):
    """A fact or a derived row: viewable, never added, changed nor deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(self.fields or self.display_fields())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)


class ReadOnlyInline(FormattedFieldsMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(self.fields or self.display_fields())


class AmountField(forms.CharField):
    """An amount typed in major units ("2,50"), cleaned to minor units (250); never negative."""

    def __init__(self, *, currency: str, empty: int | None = None, **kwargs: Any) -> None:
        self.currency = currency
        self.empty = empty  # what an empty field means (the column's default, if any)
        kwargs["help_text"] = _("En %(currency)s, par exemple 2,50.") % {"currency": currency}
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return format_amount(value, self.currency)
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return self.empty
        try:
            amount = parse_amount(text, self.currency)
        except ComptoirError as exc:
            raise forms.ValidationError(exc.message) from None
        if amount < 0:
            raise forms.ValidationError(_("Un montant ne peut pas être négatif."))
        return amount


def service_check(function: Callable[[Any], Any], value: Any) -> Any:
    """Run a validator of ``core.validators`` in a form: its error shows on the field."""
    try:
        return function(value)
    except ComptoirError as exc:
        raise forms.ValidationError(exc.message) from None


def adopt(target: models.Model, saved: models.Model) -> None:
    """Copy what a service saved into the admin's unsaved instance (pk for the redirect)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False


class ReferenceAdmin(FormattedFieldsMixin, admin.ModelAdmin):
    """Reference data: editable, archived instead of deleted."""

    actions = ["archive", "unarchive"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if isinstance(db_field, MoneyField):
            # A column with a default (a customer's credit limit: 0) may be left empty.
            default = db_field.get_default() if db_field.has_default() else None
            return AmountField(
                currency=settings.COMPTOIR_CURRENCY,
                label=db_field.verbose_name,
                required=not db_field.blank and default is None,
                empty=default,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def set_archived(self, obj: Any, archived: bool) -> None:
        """Archive or restore one row; admins whose model has an update block override it."""
        obj.archived = archived
        obj.save(update_fields=["archived"])

    def _archive(self, request: HttpRequest, queryset: QuerySet[Any], archived: bool) -> None:
        done = 0
        for obj in queryset.order_by("pk"):
            if obj.archived != archived:
                try:
                    with transaction.atomic():  # each row alone: a refused one is reported
                        self.set_archived(obj, archived)
                except ComptoirError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                    continue
                done += 1
        self.message_user(request, _("%(n)d ligne(s) mise(s) à jour.") % {"n": done})

    @admin.action(description=gettext_lazy("Archiver la sélection"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._archive(request, queryset, True)

    @admin.action(description=gettext_lazy("Réactiver la sélection"))
    def unarchive(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._archive(request, queryset, False)
