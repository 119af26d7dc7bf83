"""Plain-French descriptions of what a sync moved ("3 factures envoyées...").

The apps name their models (``registry.register_naming`` in their ``sync_setup``)."""

from __future__ import annotations

from collections import Counter

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.sync import registry


def _unnamed(label: str, n: int) -> str:
    """``n`` rows of a model no app named: by its verbose names, else as "other data"."""
    try:
        meta = apps.get_model(label)._meta
    except (LookupError, ValueError):
        return ngettext("%(n)d autre donnée", "%(n)d autres données", n) % {"n": n}
    # (the name's plural is the model's: one message, whatever the language's plural rule)
    name = meta.verbose_name if n == 1 else meta.verbose_name_plural
    return _("%(n)d %(name)s") % {"n": n, "name": name}


def _phrase(counts: Counter[str]) -> str:
    names = registry.namings()
    named = {n.label for n in names}
    parts = [n.phrase(counts[n.label]) % {"n": counts[n.label]} for n in names if counts[n.label]]
    unnamed = sorted(label for label in counts if label not in named and counts[label])
    parts.extend(_unnamed(label, counts[label]) for label in unnamed)
    return ", ".join(parts)


def describe_moves(sent: Counter[str], received: Counter[str]) -> str:
    pieces = []
    if sent:
        pieces.append(_("Envoyés : %(what)s") % {"what": _phrase(sent)})
    if received:
        pieces.append(_("reçus : %(what)s") % {"what": _phrase(received)})
    if len(pieces) == 2:
        # French puts a narrow no-break space (U+202F) before « ; »: written as the
        # character itself, so that the catalogue's key is the string looked up.
        return _("%(sent)s ; %(received)s") % {"sent": pieces[0], "received": pieces[1]}
    return pieces[0] if pieces else _("Rien à échanger : tout est à jour.")
