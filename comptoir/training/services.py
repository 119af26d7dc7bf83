"""Use cases of the training mode: the manager's switch and the training sale.

The switch is per till and is the till's technical event log: ``training_on`` and
``training_off`` events (with the user), recorded under a lock of the till's
``training`` series row, which a training sale takes too: a sale validated while a
manager switches the mode off either ends before the switch or is refused.

:func:`training_sale_validate` turns a basket (the same :class:`InvoiceDraft` the till
screen fills for a real sale) into a :class:`TrainingSale`, priced and settled by the
very code that validates invoices (``sales.services.invoice_draft_price``), numbered in
the till's training series ``FORMATION-<prefix>-<n>``. It writes no invoice, no stock
movement, no statistic, no chained or synced row: the real series, the closings and the
fiscal journal never see it (see ``training.models``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.lib.errors import NotFoundError
from comptoir.lib.usecases import use_case
from comptoir.sales.models import InvoiceDraft
from comptoir.sales.services import PaymentInput, invoice_draft_price
from comptoir.stores.models import SeriesCounter, Till
from comptoir.stores.selectors import till_current
from comptoir.training.errors import TrainingError
from comptoir.training.models import (
    NUMBER_PREFIX,
    TrainingPayment,
    TrainingSale,
    TrainingSaleLine,
    TrainingSaleTax,
)
from comptoir.training.selectors import training_active

SERIES_KIND = "training"  # the till's SeriesCounter row: the lock and the training series


def _series_lock(till: Till) -> SeriesCounter:
    SeriesCounter.objects.bulk_create(
        [SeriesCounter(till=till, kind=SERIES_KIND, year=0)], ignore_conflicts=True
    )
    return SeriesCounter.objects.select_for_update().get(till=till, kind=SERIES_KIND, year=0)


@transaction.atomic(savepoint=False)
def training_set_block(
    *, on: bool, till: Till | None = None, user: str = "", source: str = "web"
) -> bool:
    """Switch the training mode of ``till`` (default: this post's) on or off, recorded as a
    ``training_on``/``training_off`` event by ``user``. False (nothing recorded) when the
    mode already was so. Who may switch is the caller's check (a manager, the CLI)."""
    till = till or till_current()
    _series_lock(till)
    if training_active(till=till) == on:
        return False
    event_record(
        kind=EventKind.TRAINING_ON if on else EventKind.TRAINING_OFF,
        details={"source": source},
        till=till,
        user=user,
    )
    return True


training_set = use_case(training_set_block)


@transaction.atomic(savepoint=False)
def training_sale_validate_block(
    *, draft: InvoiceDraft, payments: Sequence[PaymentInput], at: datetime | None = None
) -> TrainingSale:
    """Turn ``draft`` into a training sale (see the module docstring); the draft is
    consumed. Refused when the draft's till is not in training mode."""
    locked = InvoiceDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:  # validated already (a second click), or abandoned
        raise NotFoundError(
            _("Vente en cours introuvable : elle a déjà été validée ou abandonnée.")
        )
    till = Till.objects.select_related("store").get(pk=locked.till_id)
    counter = _series_lock(till)
    if not training_active(till=till):
        raise TrainingError(
            _("Le mode formation n'est pas actif sur cette caisse : la vente n'est pas validée.")
        )
    currency = till.store.currency
    priced = invoice_draft_price(draft=locked, payments=payments, currency=currency)
    totals = priced.totals
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    customer = locked.customer
    sale = TrainingSale.objects.create(
        number=f"{NUMBER_PREFIX}-{till.prefix}-{counter.last_number:06d}",
        till=till,
        store=till.store,
        sequence=counter.last_number,
        validated_at=(at or timezone.now()).astimezone(UTC),
        customer_name=customer.name if customer else "",
        cashier=locked.cashier,
        currency=currency,
        total_excl_tax=totals.total_excl_tax,
        total_tax=totals.total_tax,
        total_incl_tax=totals.total_incl_tax,
        total_paid=priced.settlement.paid,
        change_given=priced.settlement.change,
        discount=priced.discount_text,
        discount_amount=totals.basket_discount,
    )
    TrainingSaleLine.objects.bulk_create(
        TrainingSaleLine(sale=sale, **snapshot) for snapshot in priced.line_snapshots()
    )
    TrainingSaleTax.objects.bulk_create(
        TrainingSaleTax(
            sale=sale,
            vat_rate=t.vat_rate,
            base_excl_tax=t.base_excl_tax,
            tax=t.tax,
            total_incl_tax=t.total_incl_tax,
        )
        for t in totals.taxes
    )
    TrainingPayment.objects.bulk_create(
        TrainingPayment(sale=sale, position=i, method=method, amount=amount)
        for i, (method, amount) in enumerate(priced.payments, start=1)
    )
    locked.delete()
    return sale


training_sale_validate = use_case(training_sale_validate_block)
