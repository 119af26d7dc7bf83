"""``comptoir supplier add|set|list``: suppliers (the seed's ``Fournisseur``)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.selectors import supplier_list
from comptoir.catalogue.services import supplier_create, supplier_update
from comptoir.lib.management.contacts import ContactCommand


class Command(ContactCommand):
    help = gettext("Crée, modifie et liste les fournisseurs.")
    list_rows = staticmethod(supplier_list)
    create = staticmethod(supplier_create)
    update = staticmethod(supplier_update)
    code_required = True
    key = "code"
    texts = {
        "add": _("Crée un fournisseur."),
        "set": _("Modifie les champs donnés d'un fournisseur."),
        "list": _("Liste les fournisseurs."),
        "code": _("code du fournisseur"),
        "key": _("code du fournisseur"),
        "search": _("partie du code ou du nom"),
        "archived": _("inclure les fournisseurs archivés"),
        "created": _("Fournisseur %(code)s créé."),
        "changed": _("Fournisseur %(code)s modifié."),
    }
