"""Admin of customers, saved through the services; archived, never deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from comptoir.catalogue.admin import CONTACT_FIELDS, ContactForm
from comptoir.core.adminlib import ReferenceAdmin, adopt
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_create, customer_update


class CustomerForm(ContactForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "code" in self.fields:  # a new customer's code is generated when left empty
            self.fields["code"].required = False


@admin.register(Customer)
class CustomerAdmin(ReferenceAdmin):
    form = CustomerForm
    list_display = ("code", "name", "phone", "email", "siren", "vat_number", "archived")
    list_filter = ("archived",)
    search_fields = ("code", "name", "phone", "email", "siren", "vat_number")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            changed = {f: getattr(obj, f) for f in form.changed_data if f in CONTACT_FIELDS}
            if "archived" in form.changed_data:
                changed["archived"] = obj.archived
            adopt(obj, customer_update(ref=obj.code, **changed))
        else:
            values = {f: getattr(obj, f) for f in CONTACT_FIELDS}
            adopt(obj, customer_create(code=obj.code or None, **values))

    def set_archived(self, obj: Any, archived: bool) -> None:
        customer_update(ref=obj.code, archived=archived)
