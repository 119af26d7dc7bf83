"""What the catalogue syncs: all of it is reference data."""

from django.utils.translation import ngettext

from comptoir.catalogue.models import Article, Barcode, Category, Supplier
from comptoir.sync.registry import register_naming, register_reference


def register() -> None:
    for model in (Category, Supplier, Article, Barcode):
        register_reference(model)
    register_naming(Article, lambda n: ngettext("%(n)d article", "%(n)d articles", n), rank=50)
    register_naming(
        Supplier, lambda n: ngettext("%(n)d fournisseur", "%(n)d fournisseurs", n), rank=70
    )
