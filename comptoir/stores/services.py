"""Stores, tills and document numbering."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.lib.identity import FIELDS as IDENTITY_FIELDS
from comptoir.lib.identity import clean_identity
from comptoir.lib.money import exponent
from comptoir.lib.validators import clean_name
from comptoir.stores.models import SeriesCounter, Store, Till
from comptoir.sync import capture

CHAIN_KIND = "chain"

# Called in ``store_update``'s transaction after a store's legal identity changed, with
# the store and the fields edited: the technical event log registers here (events sits
# above stores, which never imports it).
IdentityHook = Callable[[Store, list[str]], None]
_identity_hooks: list[IdentityHook] = []


def store_identity_hook_register(hook: IdentityHook) -> None:
    if hook not in _identity_hooks:
        _identity_hooks.append(hook)


def store_get_or_create(*, name: str, currency: str = "EUR") -> Store:
    name = clean_name(name, max_length=120)
    exponent(currency)
    with transaction.atomic():
        store, _created = Store.objects.get_or_create(name=name, defaults={"currency": currency})
    return store


def stores_editable_here() -> bool:
    """Stores are the hub's (``core.sync_setup``): a till attached to a hub receives them;
    an edit made there would be refused by the hub and stay in its outbox for ever."""
    return not (settings.COMPTOIR_ROLE == "node" and settings.COMPTOIR_HUB_URL)


@transaction.atomic(durable=True)
def store_update(
    *,
    pk: UUID,
    legal_name: str | None = None,
    legal_form: str | None = None,
    address: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    country: str | None = None,
    siret: str | None = None,
    registration_number: str | None = None,
    vat_number: str | None = None,
    rcs: str | None = None,
    share_capital: str | int | None = None,
    receipt_header: str | None = None,
    receipt_footer: str | None = None,
    fiscal_year_start: str | int | None = None,
    payment_terms: str | None = None,
    late_penalty_rate: str | Decimal | None = None,
) -> Store:
    """Change the given fields of a store's legal identity (``None``: unchanged; ``""``
    empties a field). Checked by :func:`comptoir.lib.identity.clean_identity`: on the
    first bad value, a French sentence and nothing written."""
    if not stores_editable_here():
        raise ValidationError(
            _("Les magasins et les caisses se modifient sur le serveur seulement.")
        )
    store = Store.objects.select_for_update().filter(pk=pk).first()
    if store is None:
        raise NotFoundError(_("Magasin inconnu : « %(name)s ».") % {"name": pk})
    changes = {
        "legal_name": legal_name,
        "legal_form": legal_form,
        "address": address,
        "postcode": postcode,
        "city": city,
        "country": country,
        "siret": siret,
        "registration_number": registration_number,
        "vat_number": vat_number,
        "rcs": rcs,
        "share_capital": share_capital,
        "receipt_header": receipt_header,
        "receipt_footer": receipt_footer,
        "fiscal_year_start": fiscal_year_start,
        "payment_terms": payment_terms,
        "late_penalty_rate": late_penalty_rate,
    }
    current = {name: getattr(store, name) for name in IDENTITY_FIELDS}
    cleaned = clean_identity(changes, current=current, currency=store.currency)
    edited = {name for name, value in cleaned.items() if current[name] != value}
    for name in edited:
        setattr(store, name, cleaned[name])
    if edited:
        store.save(update_fields=edited)
        for hook in _identity_hooks:
            hook(store, sorted(edited))
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


def chain_head_lock(*, till: Till, chain: str = CHAIN_KIND) -> SeriesCounter:
    """Lock one of the till's fiscal chains: by default its document chain (invoices and
    credit notes), which every fiscal use case takes first; take it before any series
    lock (lock order). The head row keeps the chain's last hash (``last_hash``) and, for
    the chains of the fiscal journal, its last sequence number (``last_number``).

    On the hub, the change-log lock comes first (one lock order there: change log, then
    rows; see ``sync.clock.state_locked``): a sale on the hub takes it here, before its
    head row, as a closing or an event does; taking the head first and the log at the first
    synced write deadlocked against a closing made by the first document of a day. A block
    that holds only another store's ordering domain stops here, before the head row
    (``capture.DomainEscape``: its caller redoes it under the global lock)."""
    if capture.is_hub():
        capture.lock_log(till.store_id)
    return _locked_counter(till, chain, 0)


def series_next(*, till: Till, kind: str, year: int) -> tuple[int, str]:
    """Reserve the next number of a till's series. Must run inside the document's transaction.

    The counter row stays locked until commit, so concurrent validations on the same till
    queue; a rollback releases the number, so the series has no gaps.
    """
    counter = _locked_counter(till, kind, year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number, series_number(till.prefix, kind, year, counter.last_number)


def series_number(prefix: str, kind: str, year: int, sequence: int) -> str:
    """The number printed for ``sequence`` in a till's series of ``kind`` and ``year``."""
    infix = "" if kind == "invoice" else "AV-"
    return f"{prefix}-{infix}{year}-{sequence:06d}"
