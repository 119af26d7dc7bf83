"""Plain-French descriptions of what a sync moved ("3 factures envoyées...").

The apps name their models (``registry.register_naming`` in their ``sync_setup``)."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.sync import registry


def _phrase(counts: Counter[str]) -> str:
    names = registry.namings()
    named = {n.label for n in names}
    parts = [n.phrase(counts[n.label]) % {"n": counts[n.label]} for n in names if counts[n.label]]
    others = sum(n for label, n in counts.items() if label not in named)
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
