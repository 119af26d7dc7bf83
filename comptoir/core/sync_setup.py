"""What the core app syncs: stores and tills are reference data."""

from comptoir.core.models import Store, Till
from comptoir.sync.registry import register_reference


def register() -> None:
    register_reference(Store)
    register_reference(Till)
