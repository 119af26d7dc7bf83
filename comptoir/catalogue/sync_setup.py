"""What the catalogue syncs: all of it is reference data."""

from comptoir.catalogue.models import Article, Barcode, Category, Supplier
from comptoir.sync.registry import register_reference


def register() -> None:
    for model in (Category, Supplier, Article, Barcode):
        register_reference(model)
