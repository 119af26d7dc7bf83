"""What the customers app syncs: customers are reference data."""

from comptoir.customers.models import Customer
from comptoir.sync.registry import register_reference


def register() -> None:
    register_reference(Customer)
