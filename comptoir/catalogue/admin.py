"""Admin of the catalogue. Articles and suppliers are saved through the services' building
blocks, inside the admin's own transaction (see ``core.adminlib``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.models import Article, Barcode, Category, LabelRule, Supplier
from comptoir.catalogue.services import (
    article_create_block,
    article_update_block,
    category_get_or_create,
    parse_vat_rate,
    supplier_create_block,
    supplier_update_block,
)
from comptoir.lib.adminlib import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ReferenceAdmin,
    adopt,
    service_check,
    show_amount,
)
from comptoir.lib.errors import ComptoirError
from comptoir.lib.quantity import parse_quantity
from comptoir.lib.validators import (
    clean_barcode,
    clean_email,
    clean_phone,
    clean_siren,
    clean_vat_number,
)

CONTACT_FIELDS = ("name", "phone", "email", "address", "siren", "vat_number")


def _code_free(form: forms.ModelForm, message: str) -> str:
    """A new row's code, refused on the form when taken: codes are unique per post but no
    longer in the database (see ``Article``), so the model form does not check it."""
    code = str(form.cleaned_data.get("code") or "").strip()
    model = form._meta.model
    adding = form.instance._state.adding
    if code and adding and model._default_manager.filter(code=code).exists():
        raise forms.ValidationError(message % {"code": code})
    return code


class ContactForm(forms.ModelForm):
    """Checks contact fields with the validators the services use, so errors show on fields."""

    code_taken = _("Un fournisseur porte déjà le code « %(code)s ».")

    def clean_code(self) -> str:
        return _code_free(self, str(self.code_taken))

    def clean_phone(self) -> str:
        return str(service_check(clean_phone, self.cleaned_data["phone"]))

    def clean_email(self) -> str:
        return str(service_check(clean_email, self.cleaned_data["email"]))

    def clean_siren(self) -> str:
        return str(service_check(clean_siren, self.cleaned_data["siren"]))

    def clean_vat_number(self) -> str:
        return str(service_check(clean_vat_number, self.cleaned_data["vat_number"]))


@admin.register(Category)
class CategoryAdmin(ReferenceAdmin):
    list_display = ("name", "archived")
    list_filter = ("archived",)
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            adopt(obj, category_get_or_create(name=obj.name))


class ContactAdmin(ReferenceAdmin):
    """Suppliers and customers: saved through their create/update building blocks."""

    create: Callable[..., Any]
    update: Callable[..., Any]  # by ``pk``: of twins (one code), the row being edited

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            changed = {f: getattr(obj, f) for f in form.changed_data if f in CONTACT_FIELDS}
            if "archived" in form.changed_data:
                changed["archived"] = obj.archived
            adopt(obj, type(self).update(pk=obj.pk, **changed))
        else:
            values = {f: getattr(obj, f) for f in CONTACT_FIELDS}
            # An empty code is only possible where the form allows it: the service makes one.
            adopt(obj, type(self).create(code=obj.code or None, **values))

    def set_archived(self, obj: Any, archived: bool) -> None:
        type(self).update(pk=obj.pk, archived=archived)


@admin.register(Supplier)
class SupplierAdmin(ContactAdmin):
    form = ContactForm
    list_display = ("code", "name", "phone", "email", "siren", "archived")
    list_filter = ("archived",)
    search_fields = ("code", "name", "siren", "vat_number", "email")
    create = staticmethod(supplier_create_block)
    update = staticmethod(supplier_update_block)


class ArticleForm(forms.ModelForm):
    new_barcodes = forms.CharField(
        label=_("codes-barres à ajouter"),
        required=False,
        help_text=_("Séparés par des espaces. Un code-barres existant ne se retire pas."),
    )

    def clean_code(self) -> str:
        return _code_free(self, str(_("Un article porte déjà le code « %(code)s ».")))

    def clean_vat_rate(self) -> Any:
        return service_check(parse_vat_rate, self.cleaned_data["vat_rate"])

    def clean_new_barcodes(self) -> list[str]:
        codes = [service_check(clean_barcode, c) for c in self.cleaned_data["new_barcodes"].split()]
        taken = Barcode.objects.filter(code__in=codes, archived=False)
        if self.instance.pk:
            taken = taken.exclude(article_id=self.instance.pk)
        for barcode in taken.select_related("article"):
            raise forms.ValidationError(
                _("Le code-barres « %(code)s » est déjà celui de l'article %(article)s.")
                % {"code": barcode.code, "article": barcode.article.code}
            )
        return codes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        threshold, unit = cleaned.get("alert_threshold"), cleaned.get("unit")
        if threshold is not None and unit:
            try:
                parse_quantity(threshold, unit=unit, allow_zero=True)
            except ComptoirError as exc:
                self.add_error("alert_threshold", exc.message)
        return cleaned


class BarcodeInline(ReadOnlyInline):
    model = Barcode
    fields = ("code", "created_at")


def _article_values(obj: Article, names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        if name in ("sale_price", "cost"):
            values[name] = show_amount(getattr(obj, name))
        elif name == "category":
            values[name] = obj.category.name if obj.category else ""
        elif name == "supplier":
            values[name] = obj.supplier.code if obj.supplier else ""
        elif name in ("name", "vat_rate", "unit", "alert_threshold"):
            values[name] = getattr(obj, name)
    return values


@admin.register(Article)
class ArticleAdmin(ReferenceAdmin):
    form = ArticleForm
    inlines = (BarcodeInline,)
    list_display: tuple[str, ...] = (
        "code",
        "name",
        "category",
        "sale_price_fmt",
        "vat_rate",
        "cost_fmt",
        "unit",
        "supplier",
        "archived",
    )
    list_filter = ("archived", "category", "vat_rate", "unit", "supplier")
    search_fields = ("code", "name", "barcodes__code")
    list_select_related = ("category", "supplier")
    fields = (
        "code",
        "name",
        "category",
        "supplier",
        "sale_price",
        "vat_rate",
        "cost",
        "unit",
        "alert_threshold",
        "new_barcodes",
        "archived",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        barcodes = form.cleaned_data.get("new_barcodes") or []
        if change:
            values = _article_values(obj, list(form.changed_data))
            if "archived" in form.changed_data:
                values["archived"] = obj.archived
            adopt(obj, article_update_block(pk=obj.pk, add_barcodes=barcodes, **values))
        else:
            names = ["name", "sale_price", "vat_rate", "cost", "unit", "alert_threshold"]
            values = _article_values(obj, names)
            if obj.category:
                values["category"] = obj.category.name
            if obj.supplier:
                values["supplier"] = obj.supplier.code
            adopt(obj, article_create_block(code=obj.code, barcodes=barcodes, **values))

    def set_archived(self, obj: Any, archived: bool) -> None:
        article_update_block(pk=obj.pk, archived=archived)


@admin.register(Barcode)
class BarcodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "article", "created_at")
    search_fields = ("code", "article__code", "article__name")
    list_select_related = ("article",)


@admin.register(LabelRule)
class LabelRuleAdmin(ReadOnlyAdmin):
    """Read only: rules are made with ``comptoir label-rule`` (the service checks them)."""

    list_display = (
        "prefix",
        "name",
        "store",
        "value",
        "code_start",
        "code_digits",
        "value_start",
        "value_digits",
        "archived",
    )
    list_filter = ("store", "value", "archived")
    list_select_related = ("store",)
