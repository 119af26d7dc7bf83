"""What the customers app syncs: customers are reference data."""

from django.utils.translation import ngettext

from comptoir.customers.models import Customer
from comptoir.sync.registry import register_naming, register_reference


def register() -> None:
    register_reference(Customer)
    register_naming(Customer, lambda n: ngettext("%(n)d client", "%(n)d clients", n), rank=60)
