"""Reads of sales: invoice lists and details, and the total a basket would come to."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from comptoir.catalogue.selectors import article_get
from comptoir.customers.models import Customer
from comptoir.lib.errors import NotFoundError
from comptoir.lib.quantity import parse_quantity
from comptoir.sales.calculations import (
    LineInput,
    MethodRule,
    SaleLine,
    basket_discount_parse,
    discount_parse,
    document_totals,
)
from comptoir.sales.models import (
    ACCOUNT_METHOD,
    DEFAULT_PAYMENT_METHODS,
    AccountSettlement,
    CreditNote,
    Invoice,
    InvoiceDraft,
    Payment,
    PaymentKind,
    PaymentMethod,
    default_method_names,
    method_seed_id,
)
from comptoir.stores.models import Store, Till
from comptoir.stores.selectors import till_current


def sale_total(*, lines: Sequence[SaleLine], discount: str = "") -> tuple[int, str]:
    """What ``invoice_sell(lines=...)`` would charge at this till now: (minor units, currency).

    Uses the same article lookup, quantity and discount rules and the same arithmetic as
    the sale; the sale itself re-reads the prices inside its own transaction.
    """
    inputs = []
    for line in lines:
        article = article_get(code=line.article)
        inputs.append(
            LineInput(
                unit_price=article.sale_price,
                quantity=parse_quantity(line.quantity, unit=article.unit),
                vat_rate=article.vat_rate,
                discount_rate=discount_parse(line.discount_rate),
            )
        )
    currency = till_current().store.currency
    basket = basket_discount_parse(discount, currency) if discount else None
    return document_totals(inputs, basket).total_incl_tax, currency


def draft_parked_list(*, till: Till) -> list[InvoiceDraft]:
    """The baskets on hold at ``till``, oldest first, with their lines and articles."""
    return list(
        InvoiceDraft.objects.filter(till=till, parked_at__isnull=False)
        .select_related("customer")
        .prefetch_related("lines__article")
        .order_by("parked_at", "pk")
    )


def invoice_get(*, number: str) -> Invoice:
    try:
        return Invoice.objects.select_related("till", "store").get(number=number)
    except Invoice.DoesNotExist:
        raise NotFoundError(_("Facture inconnue : « %(number)s ».") % {"number": number}) from None


def invoice_list(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    till_prefix: str | None = None,
    limit: int | None = None,
) -> QuerySet[Invoice]:
    """Invoices, newest first; dates are business days (local), both ends included."""
    qs = (
        Invoice.objects.select_related("till", "customer")
        .annotate(credit_note_count=Count("credit_notes"))
        .order_by("-validated_at", "-number")
    )
    if date_from:
        qs = qs.filter(business_date__gte=date_from)
    if date_to:
        qs = qs.filter(business_date__lte=date_to)
    if till_prefix:
        qs = qs.filter(till__prefix__istartswith=till_prefix.strip())
    return qs[:limit] if limit else qs


def in_stores(qs: QuerySet[Any], store_ids: Collection[UUID] | None) -> QuerySet[Any]:
    """Documents of the given stores only (None: every store)."""
    return qs if store_ids is None else qs.filter(store_id__in=store_ids)


def invoice_detail(*, number: str, store_ids: Collection[UUID] | None = None) -> Invoice:
    """An invoice with its lines, taxes, payments (named: ``payments_named``) and credit
    notes prefetched.

    ``store_ids`` (None: every store): an invoice of another store is not found, with the
    same message as a number that does not exist.
    """
    qs = Invoice.objects.select_related("till", "store", "customer").prefetch_related(
        "lines", "taxes", "payments", "credit_notes"
    )
    invoice = in_stores(qs, store_ids).filter(number=number.strip()).first()
    if invoice is None:
        raise NotFoundError(_("Facture inconnue : « %(number)s ».") % {"number": number})
    payments_named([invoice])
    return invoice


def credit_note_detail(*, pk: object, store_ids: Collection[UUID] | None = None) -> CreditNote:
    """A credit note with its lines and taxes, its refund method named;
    ``CreditNote.DoesNotExist`` when it is not one of ``store_ids``' (None: every store)."""
    qs = CreditNote.objects.select_related("invoice", "till").prefetch_related(
        "lines__invoice_line", "taxes"
    )
    note = in_stores(qs, store_ids).get(pk=pk)
    refund_methods_named([note])
    return note


# The end of a whole document number: year and six-digit counter (``C1-2026-000123``).
WHOLE_NUMBER = re.compile(r"-\d{4}-\d{6}$")


def _document_filters(
    qs: QuerySet[Any],
    *,
    date_from: date | None,
    date_to: date | None,
    till_id: object | None,
    number: str | None,
) -> QuerySet[Any]:
    if date_from:
        qs = qs.filter(business_date__gte=date_from)
    if date_to:
        qs = qs.filter(business_date__lte=date_to)
    if till_id:
        qs = qs.filter(till_id=till_id)
    if number and number.strip():
        text = number.strip().upper()
        # A whole number is found through its unique index; a part of one by a scan.
        qs = (
            qs.filter(number=text)
            if WHOLE_NUMBER.search(text)
            else qs.filter(number__contains=text)
        )
    return qs


def invoice_search(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    till_id: object | None = None,
    customer: str | None = None,
    number: str | None = None,
    store_ids: Collection[UUID] | None = None,
) -> QuerySet[Invoice]:
    """Invoices newest first on (``validated_at``, ``number``), for keyset-paged lists: no
    aggregate, so that a page stays cheap on 200,000 invoices (see :func:`invoice_list`
    for the CLI's list with counts).

    ``customer`` matches a part of a customer's name or a whole customer code: the
    customers are looked up first (a small table), then their invoices through the
    (``customer``, ``validated_at``) index, where matching the name printed on each
    invoice scanned them all. A customer renamed since is found under the new name.
    ``store_ids`` (None: every store) keeps the invoices of those stores.
    """
    qs: QuerySet[Invoice] = in_stores(
        Invoice.objects.select_related("till", "customer"), store_ids
    ).order_by("-validated_at", "-number")
    qs = _document_filters(qs, date_from=date_from, date_to=date_to, till_id=till_id, number=number)
    if customer and customer.strip():
        qs = qs.filter(customer_id__in=_customer_ids(customer.strip()))
    return qs


# Above this many matching customers, the invoices are filtered by a subquery: a long
# literal list gains nothing when most invoices match, and SQLite caps bound parameters.
CUSTOMER_IDS_MAX = 500


def _customer_ids(text: str) -> list[object] | QuerySet[Customer]:
    matching = Customer.objects.filter(Q(name__icontains=text) | Q(code=text)).values_list(
        "pk", flat=True
    )
    ids = list(matching.order_by()[: CUSTOMER_IDS_MAX + 1])
    return ids if len(ids) <= CUSTOMER_IDS_MAX else matching


def credit_note_search(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    till_id: object | None = None,
    number: str | None = None,
    store_ids: Collection[UUID] | None = None,
) -> QuerySet[CreditNote]:
    """Credit notes newest first, with their invoice, for paged lists (of ``store_ids``,
    None: every store)."""
    qs = in_stores(CreditNote.objects.select_related("till", "invoice"), store_ids).order_by(
        "-issued_at", "-number"
    )
    return _document_filters(
        qs, date_from=date_from, date_to=date_to, till_id=till_id, number=number
    )


# ---- payment methods ----------------------------------------------------------------------


def _default_method(store: Store, position: int, code: str, name: str, kind: str) -> PaymentMethod:
    """A default method of ``store`` as seeding stores it (same id on every post)."""
    return PaymentMethod(
        id=method_seed_id(store.pk, code),
        store=store,
        code=code,
        name=name,
        kind=kind,
        position=position,
        created_at=store.created_at,
        origin_node=store.origin_node,
    )


def payment_method_list(*, store: Store, include_inactive: bool = False) -> list[PaymentMethod]:
    """The payment methods of ``store`` in the till's order: its stored rows, and the
    defaults (``DEFAULT_PAYMENT_METHODS``) that it does not store yet (a store created
    since the migration that seeded them: they are stored on their first edit)."""
    stored = {m.code: m for m in PaymentMethod.objects.filter(store=store, archived=False)}
    methods = list(stored.values())
    for position, (code, name, kind) in enumerate(DEFAULT_PAYMENT_METHODS, start=1):
        if code not in stored:  # listed in the active language (stored: as it was named)
            methods.append(_default_method(store, position * 10, code, _(name), kind))
    methods.sort(key=lambda m: (m.position, m.code))
    return [m for m in methods if include_inactive or m.active]


def payment_method_get(*, store: Store, code: str) -> PaymentMethod:
    """A method of ``store`` by code (active or not), stored or default."""
    code = code.strip().lower()
    for method in payment_method_list(store=store, include_inactive=True):
        if method.code == code:
            return method
    raise NotFoundError(_("Moyen de paiement introuvable : « %(code)s ».") % {"code": code})


def payment_rules(*, store: Store) -> dict[str, MethodRule]:
    """The rules of ``store``'s active methods, by code: what the sale service, the till's
    screen and the CLI check payments against (``calculations.payment_rule``, ``settle``)."""
    return {m.code: method_rule(m) for m in payment_method_list(store=store)}


def method_rule(method: PaymentMethod) -> MethodRule:
    return MethodRule(
        code=method.code,
        name=method.name,
        gives_change=method.gives_change,
        reference_required=method.reference_required,
        on_account=method.kind == PaymentKind.ACCOUNT,
    )


def payment_method_names(*, store_ids: Collection[UUID] | None = None) -> dict[str, str]:
    """Display names by method code, for reports grouping takings by method: the stores'
    names (the first store's, where two stores name one code differently), then the
    defaults' (in the active language) for the codes no store stores. A code that no method
    has any longer (a renamed or removed method) shows as itself. One query: load it once
    per page or report, never per row."""
    names = default_method_names()
    rows = PaymentMethod.objects.order_by("-store__created_at", "-created_at")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    for code, name in rows.values_list("code", "name"):
        names[code] = name
    return names


def payment_method_names_by_store(*, store_ids: Collection[UUID]) -> dict[UUID, dict[str, str]]:
    """Each store's method names by code (its stored ones, then the defaults in the active
    language), in one query: what documents of several stores show."""
    defaults = default_method_names()
    names: dict[UUID, dict[str, str]] = {store_id: dict(defaults) for store_id in store_ids}
    rows = PaymentMethod.objects.filter(store_id__in=names).values_list("store_id", "code", "name")
    for store_id, code, name in rows:
        names[store_id][code] = name
    return names


def payments_named(invoices: Iterable[Invoice]) -> None:
    """Attach its method's name to every payment of ``invoices`` (whose payments are
    prefetched), in one query whatever their number: ``Payment.get_method_display`` then
    reads it instead of asking the database once per payment."""
    invoices = list(invoices)
    names = payment_method_names_by_store(store_ids={invoice.store_id for invoice in invoices})
    for invoice in invoices:
        for payment in invoice.payments.all():
            payment.method_name = names[invoice.store_id].get(payment.method, payment.method)


def refund_methods_named(notes: Iterable[CreditNote]) -> None:
    """Attach its refund method's name to each of ``notes``, in one query."""
    notes = list(notes)
    names = payment_method_names_by_store(store_ids={note.store_id for note in notes})
    for note in notes:
        note.refund_method_name = names[note.store_id].get(note.refund_method, note.refund_method)


# ---- customer accounts (« ardoise ») -------------------------------------------------------


def customer_balance(*, customer: Customer) -> int:
    """What ``customer`` owes, from the facts this side holds: sales on account, minus
    refunds to the account, minus settlements. Derived, never stored: the same rule gives
    the same figure on every side once the facts are there."""
    sold = Payment.objects.filter(invoice__customer=customer, method=ACCOUNT_METHOD).aggregate(
        t=Sum("amount")
    )["t"]
    refunded = CreditNote.objects.filter(
        invoice__customer=customer, refund_method=ACCOUNT_METHOD
    ).aggregate(t=Sum("total_incl_tax"))["t"]
    settled = AccountSettlement.objects.filter(customer=customer).aggregate(t=Sum("amount"))["t"]
    return (sold or 0) - (refunded or 0) - (settled or 0)


@dataclass(frozen=True)
class StatementRow:
    """A line of a customer's statement: a sale on account (debit), a refund to the
    account or a settlement (credit), and the balance after it."""

    at: datetime
    kind: str  # "sale", "refund" or "settlement"
    number: str  # the document's number, or the settlement's method and reference
    debit: int
    credit: int
    balance: int


def customer_statement(*, customer: Customer) -> list[StatementRow]:
    """Every movement of ``customer``'s account, oldest first, with the running balance."""
    return _statements(Customer.objects.filter(pk=customer.pk).values("pk")).get(customer.pk, [])


def _statements(customers: QuerySet[Any]) -> dict[UUID, list[StatementRow]]:
    """The statements of ``customers`` (a query of their ids), in three queries whatever
    their number: a list page never asks per customer."""
    moves: dict[UUID, list[tuple[datetime, str, str, int, int]]] = {}
    for customer_id, number, at, amount in (
        Payment.objects.filter(invoice__customer_id__in=customers, method=ACCOUNT_METHOD)
        .values_list("invoice__customer_id", "invoice__number", "invoice__validated_at", "amount")
        .order_by()
    ):
        moves.setdefault(customer_id, []).append((at, "sale", number, amount, 0))
    for customer_id, number, at, amount in (
        CreditNote.objects.filter(invoice__customer_id__in=customers, refund_method=ACCOUNT_METHOD)
        .values_list("invoice__customer_id", "number", "issued_at", "total_incl_tax")
        .order_by()
    ):
        moves.setdefault(customer_id, []).append((at, "refund", number, 0, amount))
    for customer_id, method, reference, at, amount in (
        AccountSettlement.objects.filter(customer_id__in=customers)
        .values_list("customer_id", "method", "reference", "settled_at", "amount")
        .order_by()
    ):
        label = method + (f" {reference}" if reference else "")
        moves.setdefault(customer_id, []).append((at, "settlement", label, 0, amount))
    return {customer_id: _running(rows) for customer_id, rows in moves.items()}


def _running(moves: list[tuple[datetime, str, str, int, int]]) -> list[StatementRow]:
    moves.sort(key=lambda m: (m[0], m[1] != "sale"))
    rows, balance = [], 0
    for at, kind, number, debit, credit in moves:
        balance += debit - credit
        rows.append(StatementRow(at, kind, number, debit, credit, balance))
    return rows


@dataclass(frozen=True)
class Receivable:
    customer: Customer
    balance: int
    oldest_debt: datetime  # the oldest sale on account not yet covered by credits


def receivables_list(*, store_ids: Collection[UUID] | None = None) -> list[Receivable]:
    """The customers who owe something, oldest unpaid debt first. Credits pay the oldest
    sales first. ``store_ids``: customers with a sale on account in those stores."""
    payments = Payment.objects.filter(method=ACCOUNT_METHOD, invoice__customer__isnull=False)
    if store_ids is not None:
        payments = payments.filter(invoice__store_id__in=store_ids)
    customers = Customer.objects.filter(pk__in=payments.values("invoice__customer_id"))
    statements = _statements(customers.values("pk"))
    out = []
    for customer in customers:
        rows = statements.get(customer.pk, [])
        if not rows or rows[-1].balance <= 0:
            continue
        credits = sum(r.credit for r in rows)
        debits, oldest = 0, rows[0].at
        for row in rows:
            if row.debit:
                debits += row.debit
                if debits > credits:
                    oldest = row.at
                    break
        out.append(Receivable(customer, rows[-1].balance, oldest))
    out.sort(key=lambda r: (r.oldest_debt, r.customer.name))
    return out
