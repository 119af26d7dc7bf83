"""Admin of customers, saved through the services' building blocks; archived, never deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.admin import ContactAdmin, ContactForm
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_create_block, customer_update_block


class CustomerForm(ContactForm):
    code_taken = _("Un client porte déjà le code « %(code)s ».")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "code" in self.fields:  # a new customer's code is generated when left empty
            self.fields["code"].required = False


@admin.register(Customer)
class CustomerAdmin(ContactAdmin):
    form = CustomerForm
    list_display = ("code", "name", "phone", "email", "siren", "vat_number", "archived")
    list_filter = ("archived",)
    search_fields = ("code", "name", "phone", "email", "siren", "vat_number")

    create = staticmethod(customer_create_block)
    update = staticmethod(customer_update_block)
