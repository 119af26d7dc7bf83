"""``comptoir customer add|set|list``: customers (the seed's ``Client``)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comptoir.customers.selectors import customer_list
from comptoir.customers.services import customer_create, customer_update
from comptoir.lib.management.contacts import ContactCommand


class Command(ContactCommand):
    help = gettext("Crée, modifie et liste les clients.")
    list_rows = staticmethod(customer_list)
    create = staticmethod(customer_create)
    update = staticmethod(customer_update)
    code_required = False
    key = "ref"
    texts = {
        "add": _("Crée un client."),
        "set": _("Modifie les champs donnés d'un client."),
        "list": _("Liste les clients."),
        "code": _("code du client (sinon généré)"),
        "key": _("code ou identifiant du client"),
        "search": _("partie du code, du nom, du téléphone ou e-mail"),
        "archived": _("inclure les clients archivés"),
        "created": _("Client %(code)s créé."),
        "changed": _("Client %(code)s modifié."),
    }
