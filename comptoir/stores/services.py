"""Stores, tills and document numbering."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.lib.errors import ValidationError
from comptoir.lib.money import exponent
from comptoir.lib.validators import clean_name
from comptoir.stores.models import SeriesCounter, Store, Till

CHAIN_KIND = "chain"


def store_get_or_create(*, name: str, currency: str = "EUR") -> Store:
    name = clean_name(name, max_length=120)
    exponent(currency)
    with transaction.atomic():
        store, _created = Store.objects.get_or_create(name=name, defaults={"currency": currency})
    return store


def till_create(*, store: Store, name: str, prefix: str, node_id: str = "") -> Till:
    name = clean_name(name, max_length=120)
    prefix = prefix.strip().upper()
    if not prefix or len(prefix) > 12 or not prefix.replace("-", "").isalnum():
        raise ValidationError(
            _("Préfixe de caisse invalide : « %(prefix)s » (lettres et chiffres, 12 au plus).")
            % {"prefix": prefix}
        )
    if Till.objects.filter(prefix=prefix).exists():
        raise ValidationError(_("Le préfixe « %(prefix)s » est déjà pris.") % {"prefix": prefix})
    with transaction.atomic():
        return Till.objects.create(store=store, name=name, prefix=prefix, node_id=node_id)


def _locked_counter(till: Till, kind: str, year: int) -> SeriesCounter:
    # Insert-if-missing then lock: safe when two transactions race for a new year's row.
    SeriesCounter.objects.bulk_create(
        [SeriesCounter(till=till, kind=kind, year=year)], ignore_conflicts=True
    )
    return SeriesCounter.objects.select_for_update().get(till=till, kind=kind, year=year)


def chain_head_lock(*, till: Till) -> SeriesCounter:
    """Lock the till's document chain; take it before any series lock (lock order)."""
    return _locked_counter(till, CHAIN_KIND, 0)


def series_next(*, till: Till, kind: str, year: int) -> tuple[int, str]:
    """Reserve the next number of a till's series. Must run inside the document's transaction.

    The counter row stays locked until commit, so concurrent validations on the same till
    queue; a rollback releases the number, so the series has no gaps.
    """
    counter = _locked_counter(till, kind, year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    infix = "" if kind == "invoice" else "AV-"
    return counter.last_number, f"{till.prefix}-{infix}{year}-{counter.last_number:06d}"
