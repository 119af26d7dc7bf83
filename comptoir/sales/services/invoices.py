"""Use cases of sales: baskets (drafts), invoice validation and quick sales.

``invoice_validate`` is the heart of the till: in one durable transaction it numbers the
invoice in the till's series, chains it, stores lines, VAT breakdown and payments as
printed, records the stock movements and updates the statistics. Either all of it is
committed or nothing is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.catalogue.models import Article
from comptoir.catalogue.selectors import article_get
from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_get
from comptoir.journal.services import journal_link, snapshots
from comptoir.lib.bounds import MAX_QUANTITY, quantity_fits
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.lib.money import format_amount, format_money, parse_amount
from comptoir.lib.quantity import format_for_people, parse_quantity
from comptoir.lib.validators import clean_text
from comptoir.sales.calculations import (
    DocumentTotals,
    LineInput,
    MethodRule,
    SaleLine,
    Settlement,
    check_document_bounds,
    check_line_bounds,
    discount_parse,
    document_totals,
    payment_rule,
    settle,
)
from comptoir.sales.hooks import document_business_day
from comptoir.sales.journal_setup import invoice_values
from comptoir.sales.models import (
    PAYMENT_REFERENCE_LENGTH,
    Invoice,
    InvoiceDraft,
    InvoiceDraftLine,
    InvoiceLine,
    InvoiceTax,
    Payment,
)
from comptoir.sales.selectors import customer_balance, payment_rules
from comptoir.sales.services.derived import invoices_derive
from comptoir.stock.models import MovementKind, StockMovement
from comptoir.stores.models import Store, Till
from comptoir.stores.selectors import till_current
from comptoir.stores.services import chain_head_lock, series_next
from comptoir.sync import capture
from comptoir.sync.wire.checks import check_rows

MAX_LINES = 1000


@dataclass(frozen=True)
class PaymentInput:
    method: str  # a code of the store's active payment methods
    amount: str | Decimal | int
    reference: str = ""  # the transaction's reference (required by some methods)


def _customer(ref: Customer | str | None) -> Customer | None:
    if ref is None or isinstance(ref, Customer):
        return ref
    return customer_get(ref=ref)


# ---- drafts -------------------------------------------------------------------------------


def _draft_create(
    *, till: Till | None, customer: Customer | str | None, cashier: str
) -> InvoiceDraft:
    cashier = clean_text(cashier, label=_("Le nom du caissier"))
    draft = InvoiceDraft(till=till or till_current(), customer=_customer(customer), cashier=cashier)
    # What the invoice will carry is refused now, as the hub would refuse it (and as
    # PostgreSQL refuses the draft itself on the hub's own till).
    check_rows(InvoiceDraft, [draft])
    draft.save(force_insert=True)
    return draft


def _draft_add_line(draft: InvoiceDraft, line: SaleLine) -> InvoiceDraftLine:
    article = article_get(code=line.article)
    if article.archived:
        raise ValidationError(
            _("L'article « %(code)s » est archivé : il ne se vend plus.") % {"code": article.code}
        )
    last = draft.lines.aggregate(last=Max("position"))["last"] or 0
    if last >= MAX_LINES:
        raise ValidationError(
            _("Une facture ne peut pas dépasser %(n)d lignes.") % {"n": MAX_LINES}
        )
    quantity = parse_quantity(line.quantity, unit=article.unit)
    discount_rate = discount_parse(line.discount_rate)
    _check_line(article, quantity, article.sale_price, draft.till.store.currency)
    return InvoiceDraftLine.objects.create(
        draft=draft,
        position=last + 1,
        article=article,
        quantity=quantity,
        unit_price=article.sale_price,
        discount_rate=discount_rate,
    )


def _check_line(article: Article, quantity: Decimal, unit_price: int, currency: str) -> None:
    """Refuse a basket line whose products are out of bounds, as validation would."""
    check_line_bounds(
        LineInput(
            unit_price=unit_price,
            quantity=quantity,
            vat_rate=article.vat_rate,
            unit_cost=article.cost,
        ),
        code=article.code,
        currency=currency,
    )


@transaction.atomic(durable=True)
def invoice_draft_create(
    *, till: Till | None = None, customer: Customer | str | None = None, cashier: str = ""
) -> InvoiceDraft:
    return _draft_create(till=till, customer=customer, cashier=cashier)


@transaction.atomic(durable=True)
def invoice_draft_add_line(*, draft: InvoiceDraft, line: SaleLine) -> InvoiceDraftLine:
    return _draft_add_line(draft, line)


@transaction.atomic(durable=True)
def invoice_draft_remove_line(*, draft: InvoiceDraft, position: int) -> None:
    deleted, _detail = draft.lines.filter(position=position).delete()
    if not deleted:
        raise NotFoundError(_("Ligne %(n)d introuvable.") % {"n": position})


@transaction.atomic(durable=True)
def invoice_draft_update_line(
    *,
    draft: InvoiceDraft,
    position: int,
    quantity: str | Decimal | int | None = None,
    discount_rate: str | Decimal | int | None = None,
) -> InvoiceDraftLine:
    """Change the quantity and/or the discount (%) of a basket line; the price stays as rung."""
    line = (
        draft.lines.select_for_update().select_related("article").filter(position=position).first()
    )
    if line is None:
        raise NotFoundError(_("Ligne %(n)d introuvable.") % {"n": position})
    if quantity is not None:
        line.quantity = parse_quantity(quantity, unit=line.article.unit)
        _check_line(line.article, line.quantity, line.unit_price, draft.till.store.currency)
    if discount_rate is not None:
        line.discount_rate = discount_parse(discount_rate)
    line.save(update_fields=["quantity", "discount_rate"])
    return line


@transaction.atomic(durable=True)
def invoice_draft_set_customer(
    *, draft: InvoiceDraft, customer: Customer | str | None
) -> InvoiceDraft:
    """Attach a customer (code, id or instance) to a basket, or detach it with ``None``."""
    draft.customer = _customer(customer)
    draft.save(update_fields=["customer"])
    return draft


@transaction.atomic(durable=True)
def invoice_draft_abandon(*, draft: InvoiceDraft) -> None:
    """Drop a basket and its lines (nothing was sold: drafts are local and never synced)."""
    InvoiceDraft.objects.filter(pk=draft.pk).delete()


# ---- validation ---------------------------------------------------------------------------


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


def _payments(
    payments: Sequence[PaymentInput], currency: str, rules: Mapping[str, MethodRule]
) -> tuple[list[tuple[str, int]], list[str]]:
    """The payments as (method, amount), and their references, checked against the store's
    active methods (``payment_rule``: known, reference typed where required)."""
    parsed, references = [], []
    for payment in payments:
        method = payment.method.strip().lower()
        reference = clean_text(payment.reference.strip(), label=_("La référence du paiement"))
        if len(reference) > PAYMENT_REFERENCE_LENGTH:
            raise ValidationError(
                _("La référence du paiement dépasse %(n)d caractères.")
                % {"n": PAYMENT_REFERENCE_LENGTH}
            )
        payment_rule(method, reference, rules)
        parsed.append((method, parse_amount(payment.amount, currency)))
        references.append(reference)
    return parsed, references


@dataclass(frozen=True)
class PricedDraft:
    """A basket priced for validation: its lines (with their articles), the totals of the
    one arithmetic (``sales.calculations``) and the payments settled."""

    lines: list[InvoiceDraftLine]
    totals: DocumentTotals
    payments: list[tuple[str, int]]
    settlement: Settlement
    references: list[str]
    rules: Mapping[str, MethodRule]

    def line_snapshots(self) -> list[dict[str, Any]]:
        """Each line as a document prints it (position from 1, the article's values as they
        are now, the line's amounts): what an invoice line, or a training sale's, stores."""
        return [
            {
                "position": i,
                "article_code": line.article.code,
                "label": line.article.name,
                "quantity": line.quantity,
                "unit": line.article.unit,
                "unit_price": line.unit_price,
                "discount_rate": line.discount_rate,
                "discount_amount": t.discount,
                "vat_rate": line.article.vat_rate,
                "total_excl_tax": t.total_excl_tax,
                "total_tax": t.total_tax,
                "total_incl_tax": t.total_incl_tax,
            }
            for i, (line, t) in enumerate(zip(self.lines, self.totals.lines, strict=True), start=1)
        ]


def invoice_draft_price(
    *,
    draft: InvoiceDraft,
    payments: Sequence[PaymentInput],
    currency: str,
    store: Store | None = None,
) -> PricedDraft:
    """Price ``draft`` and settle ``payments`` as validation does, refusing what it refuses
    (no line, a line or a total out of bounds, payments short or unknown). Writes nothing:
    an invoice and a training sale (``comptoir.training``) are priced by this one path."""
    lines = list(draft.lines.select_related("article").order_by("position"))
    if not lines:
        raise ValidationError(_("La vente ne contient aucune ligne."))
    inputs = [
        LineInput(
            unit_price=line.unit_price,
            quantity=line.quantity,
            vat_rate=line.article.vat_rate,
            discount_rate=line.discount_rate,
            unit_cost=line.article.cost,
        )
        for line in lines
    ]
    for line, line_input in zip(lines, inputs, strict=True):
        check_line_bounds(line_input, code=line.article.code, currency=currency)
    totals = document_totals(inputs)
    check_document_bounds(totals, currency=currency)
    rules = payment_rules(store=store or draft.till.store)
    parsed, references = _payments(payments, currency, rules)
    settlement = settle(totals.total_incl_tax, parsed, currency, rules)
    return PricedDraft(
        lines=lines,
        totals=totals,
        payments=parsed,
        settlement=settlement,
        references=references,
        rules=rules,
    )


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
        raise ValidationError(
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


@transaction.atomic(durable=True)
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


@transaction.atomic(durable=True)
def invoice_sell(
    *,
    lines: Sequence[SaleLine],
    payments: Sequence[PaymentInput] | None = None,
    customer: Customer | str | None = None,
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
    prepare: Callable[[Till], None] | None = None,
    allow_over_limit: bool = False,
) -> Invoice:
    """Ring up and validate a sale in one go (CLI, imports, tests).

    Without payments, the total is paid in cash, exactly. ``prepare`` is called with the
    till in the sale's transaction, before anything is rung up (what an app above sales
    needs done first: ``comptoir sell`` opens a cash session there).
    """
    draft = _draft_create(till=till, customer=customer, cashier=cashier)
    if prepare is not None:
        prepare(draft.till)
    for line in lines:
        _draft_add_line(draft, line)
    if payments is None:
        inputs = [
            LineInput(
                unit_price=d.unit_price,
                quantity=d.quantity,
                vat_rate=d.article.vat_rate,
                discount_rate=d.discount_rate,
            )
            for d in draft.lines.select_related("article")
        ]
        total = document_totals(inputs).total_incl_tax
        currency = draft.till.store.currency
        payments = [PaymentInput("cash", format_amount(total, currency))] if total else []
    return _validate(draft, payments, at, allow_over_limit)
