"""Invoice validation and quick sales.

``invoice_validate`` is the heart of the till: in one durable transaction it numbers the
invoice in the till's series, chains it, stores lines, VAT breakdown and payments as
printed, records the stock movements and updates the statistics. Either all of it is
committed or nothing is. Baskets are in ``drafts``, their pricing in ``pricing``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

# The module, not its blocks: a services module holds only the blocks of its use cases.
import comptoir.sales.services.drafts as drafts
from comptoir.catalogue.models import Article
from comptoir.customers.models import Customer
from comptoir.journal.services import journal_link, snapshots
from comptoir.lib.bounds import MAX_QUANTITY, quantity_fits
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.lib.money import format_amount, format_money
from comptoir.lib.quantity import format_for_people
from comptoir.sales.calculations import SaleLine, document_totals
from comptoir.sales.errors import ApprovalRequiredError
from comptoir.sales.hooks import document_business_day
from comptoir.sales.journal_setup import invoice_values
from comptoir.sales.models import (
    Invoice,
    InvoiceDraft,
    InvoiceDraftLine,
    InvoiceLine,
    InvoiceTax,
    Payment,
)
from comptoir.sales.selectors import customer_balance
from comptoir.sales.services.derived import invoices_derive
from comptoir.sales.services.pricing import (
    PaymentInput,
    draft_discount,
    draft_line_inputs,
    invoice_draft_price,
)
from comptoir.stock.models import MovementKind, StockMovement
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_store_id
from comptoir.stores.services import chain_head_lock, series_next
from comptoir.sync import capture


def _sold(lines: Sequence[InvoiceDraftLine]) -> dict[Article, Decimal]:
    """The quantity sold per article: one stock movement each, bounded like any movement
    (``core.bounds``) even when several lines of one article add up."""
    sold: dict[Article, Decimal] = {}
    for line in lines:
        sold[line.article] = sold.get(line.article, Decimal(0)) + line.quantity
    for article, quantity in sold.items():
        if not quantity_fits(quantity):
            raise ValidationError(
                _(
                    "Article « %(code)s » : la quantité vendue en tout (%(qty)s) ne peut pas "
                    "dépasser %(max)s."
                )
                % {
                    "code": article.code,
                    "qty": format_for_people(quantity),
                    "max": format_for_people(MAX_QUANTITY),
                }
            )
    return sold


def _check_account(
    customer: Customer | None, on_account: int, currency: str, allow_over_limit: bool
) -> None:
    """A sale left (partly) unpaid on the customer's account: only with a customer, and
    within their credit limit from what this post knows of their balance; beyond it, only
    when a manager allows it (``allow_over_limit``)."""
    if not on_account:
        return
    if customer is None:
        raise ValidationError(_("Une vente sur compte demande un client : choisissez-le."))
    owed = customer_balance(customer=customer) + on_account
    if owed > customer.credit_limit and not allow_over_limit:
        raise ApprovalRequiredError(
            _(
                "Plafond de crédit de %(name)s dépassé : il devrait %(owed)s pour un plafond "
                "de %(limit)s ; un responsable doit valider cette vente."
            )
            % {
                "name": customer.name,
                "owed": format_money(owed, currency),
                "limit": format_money(customer.credit_limit, currency),
            }
        )


def _validate(
    draft: InvoiceDraft,
    payments: Sequence[PaymentInput],
    at: datetime | None,
    allow_over_limit: bool = False,
) -> Invoice:
    till = Till.objects.select_related("store").get(pk=draft.till_id)
    store = till.store
    currency = store.currency
    priced = invoice_draft_price(draft=draft, payments=payments, currency=currency, store=store)
    lines, totals, parsed = priced.lines, priced.totals, priced.payments
    settlement = priced.settlement
    sold = _sold(lines)

    # Hashed and stored in UTC: the chain must recompute from the stored value, which the
    # database gives back in UTC whatever time zone the caller's datetime carried.
    validated_at = (at or timezone.now()).astimezone(UTC)
    business_date = document_business_day(till, timezone.localdate(validated_at))
    year = business_date.year
    head = chain_head_lock(till=till)  # the document chain first: the lock order
    # Under the chain's lock: this till's previous sale on account is in the balance.
    _check_account(draft.customer, priced.settlement.on_account, currency, allow_over_limit)
    sequence, number = series_next(till=till, kind="invoice", year=year)
    customer = draft.customer
    with capture.traced_once():  # one trace for the whole aggregate
        invoice = Invoice(
            number=number,
            till=till,
            store=store,
            year=year,
            sequence=sequence,
            validated_at=validated_at,
            business_date=business_date,
            customer=customer,
            customer_name=customer.name if customer else "",
            cashier=draft.cashier,
            currency=currency,
            total_excl_tax=totals.total_excl_tax,
            total_tax=totals.total_tax,
            total_incl_tax=totals.total_incl_tax,
            total_paid=settlement.paid,
            change_given=settlement.change,
            total_cost=totals.total_cost,
            discount=priced.discount_text,
            discount_amount=totals.basket_discount,
            discount_approved_by=draft.discount_approved_by if priced.discount_text else "",
            **snapshots(till),
        )
        parts: dict[type[models.Model], list[Any]] = {}
        parts[InvoiceLine] = [
            InvoiceLine(
                **invoice.part_keys(InvoiceLine, i),
                **snapshot,
                invoice=invoice,
                article=line.article,
                unit_cost=line.article.cost,
                total_cost=t.total_cost,
            )
            for i, (snapshot, line, t) in enumerate(
                zip(priced.line_snapshots(), lines, totals.lines, strict=True)
            )
        ]
        parts[InvoiceTax] = [
            InvoiceTax(
                **invoice.part_keys(InvoiceTax, n),
                invoice=invoice,
                vat_rate=t.vat_rate,
                base_excl_tax=t.base_excl_tax,
                tax=t.tax,
                total_incl_tax=t.total_incl_tax,
            )
            for n, t in enumerate(totals.taxes)
        ]
        parts[Payment] = [
            Payment(
                **invoice.part_keys(Payment, i - 1),
                invoice=invoice,
                position=i,
                method=method,
                amount=amount,
                reference=reference,
            )
            for i, ((method, amount), reference) in enumerate(
                zip(parsed, priced.references, strict=True), start=1
            )
        ]
        values = invoice_values(invoice, parts[InvoiceLine], parts[InvoiceTax], parts[Payment])
        for name, value in journal_link(
            till=till, kind="invoice", values=values, head=head
        ).items():
            setattr(invoice, name, value)
        invoice.save(force_insert=True)
        for model in (InvoiceLine, InvoiceTax, Payment):
            parts[model] = model.objects.bulk_create(parts[model])
        # One movement per article, bounded like any movement (``_sold``).
        parts[StockMovement] = StockMovement.objects.bulk_create(
            [
                StockMovement(
                    **invoice.part_keys(StockMovement, n),
                    article_id=article.pk,
                    store=store,
                    kind=MovementKind.SALE,
                    quantity=-sold[article],
                    occurred_at=validated_at,
                    invoice_id=invoice.pk,
                )
                for n, article in enumerate(sorted(sold, key=lambda a: str(a.pk)))
            ]
        )
        invoices_derive([(invoice, parts)])
    draft.delete()
    return invoice


@capture.store_use_case(lambda *, draft, **_arguments: draft.till.store_id)
def invoice_validate(
    *,
    draft: InvoiceDraft,
    payments: Sequence[PaymentInput],
    at: datetime | None = None,
    allow_over_limit: bool = False,
) -> Invoice:
    """Turn a basket into a numbered, immutable invoice (see the module docstring).
    ``allow_over_limit``: a manager lets a sale on account exceed the customer's limit."""
    locked = InvoiceDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:  # validated already (a second click), or abandoned
        raise NotFoundError(
            _("Vente en cours introuvable : elle a déjà été validée ou abandonnée.")
        )
    return _validate(locked, payments, at, allow_over_limit)


@capture.store_use_case(till_store_id)
def invoice_sell(
    *,
    lines: Sequence[SaleLine],
    payments: Sequence[PaymentInput] | None = None,
    customer: Customer | str | None = None,
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
    prepare: Callable[[Till], None] | None = None,
    discount: str = "",
    discount_approved_by: str | None = None,
    allow_over_limit: bool = False,
) -> Invoice:
    """Ring up and validate a sale in one go (CLI, imports, tests).

    Without payments, the total is paid in cash, exactly. ``discount`` is a basket
    discount (:func:`invoice_draft_set_discount`). ``prepare`` is called with the
    till in the sale's transaction, before anything is rung up (what an app above sales
    needs done first: ``comptoir sell`` opens a cash session there).
    """
    draft = drafts.invoice_draft_create_block(till=till, customer=customer, cashier=cashier)
    if prepare is not None:
        prepare(draft.till)
    for line in lines:
        drafts.invoice_draft_add_line_block(draft=draft, line=line)
    currency = draft.till.store.currency
    if discount:
        drafts.invoice_draft_set_discount_block(
            draft=draft, discount=discount, approved_by=discount_approved_by
        )
    if payments is None:
        inputs = draft_line_inputs(list(draft.lines.select_related("article")), costs=False)
        total = document_totals(inputs, draft_discount(draft, currency)).total_incl_tax
        payments = [PaymentInput("cash", format_amount(total, currency))] if total else []
    return _validate(draft, payments, at, allow_over_limit)
