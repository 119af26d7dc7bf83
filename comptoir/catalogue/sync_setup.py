"""What the catalogue syncs: all of it is reference data.

Label rules are made on the hub (or on a till that has no hub) and received by the tills:
the hub's check of a node's change cannot see which store a new row belongs to, and a
till that could write them could change how another store's tills read their labels.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.catalogue.models import Article, Barcode, Category, LabelRule, Supplier
from comptoir.stores.models import Till
from comptoir.sync.registry import register_naming, register_reference


def label_rules_hub_only(till: Till, row: Any, names: set[str]) -> str | None:
    return _("Les règles d'étiquettes se modifient sur le serveur seulement.")


def register() -> None:
    for model in (Category, Supplier, Article, Barcode):
        register_reference(model)
    register_reference(LabelRule, authorize=label_rules_hub_only)
    register_naming(Article, lambda n: ngettext("%(n)d article", "%(n)d articles", n), rank=50)
    register_naming(
        Supplier, lambda n: ngettext("%(n)d fournisseur", "%(n)d fournisseurs", n), rank=70
    )
