"""Plain-French descriptions of what a sync moved ("3 factures envoyées...")."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The models a user cares about, in the order a shop owner reads them.
NAMES = {
    "sales.invoice": lambda n: ngettext("%(n)d facture", "%(n)d factures", n),
    "sales.creditnote": lambda n: ngettext("%(n)d avoir", "%(n)d avoirs", n),
    "stock.stockmovement": lambda n: ngettext(
        "%(n)d mouvement de stock", "%(n)d mouvements de stock", n
    ),
    "stock.inventorycount": lambda n: ngettext("%(n)d inventaire", "%(n)d inventaires", n),
    "catalogue.article": lambda n: ngettext("%(n)d article", "%(n)d articles", n),
    "customers.customer": lambda n: ngettext("%(n)d client", "%(n)d clients", n),
    "catalogue.supplier": lambda n: ngettext("%(n)d fournisseur", "%(n)d fournisseurs", n),
}


def _phrase(counts: Counter[str]) -> str:
    parts = [NAMES[label](counts[label]) % {"n": counts[label]} for label in NAMES if counts[label]]
    others = sum(n for label, n in counts.items() if label not in NAMES)
    if others:
        parts.append(ngettext("%(n)d autre donnée", "%(n)d autres données", others) % {"n": others})
    return ", ".join(parts)


def describe_moves(sent: Counter[str], received: Counter[str]) -> str:
    pieces = []
    if sent:
        pieces.append(_("Envoyés : %(what)s") % {"what": _phrase(sent)})
    if received:
        pieces.append(_("reçus : %(what)s") % {"what": _phrase(received)})
    return "; ".join(pieces) if pieces else _("Rien à échanger : tout est à jour.")
