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

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
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
    BasketDiscount,
    DocumentTotals,
    LineInput,
    MethodRule,
    SaleLine,
    Settlement,
    basket_discount_parse,
    check_document_bounds,
    check_line_bounds,
    discount_parse,
    discount_share,
    document_totals,
    payment_rule,
    settle,
)
from comptoir.sales.errors import ApprovalRequiredError
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


def _draft_set_discount(
    draft: InvoiceDraft, discount: str, approved_by: str | None
) -> InvoiceDraft:
    currency = draft.till.store.currency
    parsed = basket_discount_parse(discount, currency)
    approver = clean_text(approved_by or "", label=_("Le nom du gérant")) if parsed else ""
    _check_discount(parsed, list(draft.lines.select_related("article")), approver, currency)
    draft.discount = parsed.text(currency) if parsed else ""
    draft.discount_approved_by = approver
    draft.save(update_fields=["discount", "discount_approved_by"])
    return draft


@transaction.atomic(durable=True)
def invoice_draft_set_discount(
    *, draft: InvoiceDraft, discount: str, approved_by: str | None = None
) -> InvoiceDraft:
    """Set the basket discount (``10%``, ``1.50``; empty: none) of a basket.

    Above the threshold (:func:`discount_threshold`, percent of the basket) it needs
    ``approved_by``: the name of a manager whose approval the caller has checked (the till
    screen: the manager is logged in, or typed their password; the CLI: ``--manager``).
    Validation checks it again on the basket as it then is."""
    return _draft_set_discount(draft, discount, approved_by)


MAX_PARKED = 50


@transaction.atomic(durable=True)
def invoice_draft_park(*, draft: InvoiceDraft, label: str = "") -> InvoiceDraft:
    """Put a basket on hold (the till serves the next customer meanwhile). Its lines,
    customer and discount stay as they are; :func:`invoice_draft_resume` takes it back."""
    label = clean_text(label.strip(), label=_("Le libellé"))[:60]
    locked = InvoiceDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:
        raise NotFoundError(
            _("Vente en cours introuvable : elle a déjà été validée ou abandonnée.")
        )
    if not locked.lines.exists():
        raise ValidationError(_("Un panier vide ne se met pas en attente."))
    parked = InvoiceDraft.objects.filter(till_id=locked.till_id, parked_at__isnull=False)
    if locked.parked_at is None and parked.count() >= MAX_PARKED:
        raise ValidationError(
            _("Pas plus de %(n)d paniers en attente par caisse : reprenez-en un d'abord.")
            % {"n": MAX_PARKED}
        )
    locked.parked_at = timezone.now()
    locked.label = label
    locked.save(update_fields=["parked_at", "label"])
    return locked


@transaction.atomic(durable=True)
def invoice_draft_resume(*, till: Till, draft_id: str) -> InvoiceDraft:
    """Take a parked basket of ``till`` back. Exactly one caller gets it: a second one
    (another tab, a double click) is told it was taken back already."""
    try:
        claimed = InvoiceDraft.objects.filter(
            pk=draft_id, till=till, parked_at__isnull=False
        ).update(parked_at=None)
    except (ValueError, DjangoValidationError):  # not a UUID
        claimed = 0
    if not claimed:
        raise NotFoundError(
            _("Panier en attente introuvable : il a déjà été repris, validé ou abandonné.")
        )
    return InvoiceDraft.objects.get(pk=draft_id)


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
    # The basket discount as asked, normalized (``10%``, ``1.50``; empty: none).
    discount_text: str = ""

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
                "basket_discount": t.basket_discount,
                "vat_rate": line.article.vat_rate,
                "total_excl_tax": t.total_excl_tax,
                "total_tax": t.total_tax,
                "total_incl_tax": t.total_incl_tax,
            }
            for i, (line, t) in enumerate(zip(self.lines, self.totals.lines, strict=True), start=1)
        ]


def _draft_inputs(lines: Sequence[InvoiceDraftLine], *, costs: bool = True) -> list[LineInput]:
    return [
        LineInput(
            unit_price=line.unit_price,
            quantity=line.quantity,
            vat_rate=line.article.vat_rate,
            discount_rate=line.discount_rate,
            unit_cost=line.article.cost if costs else 0,
        )
        for line in lines
    ]


def discount_threshold() -> Decimal:
    """The basket discount (percent of the basket) above which a manager must grant it:
    ``discount_manager_threshold`` of the home's ``comptoir.toml`` (default 10)."""
    return Decimal(settings.COMPTOIR_DISCOUNT_THRESHOLD)


def _check_discount(
    discount: BasketDiscount | None,
    lines: Sequence[InvoiceDraftLine],
    approved_by: str,
    currency: str,
) -> None:
    """Refuse a basket discount over the basket's total, or above the threshold with no
    manager's approval."""
    if discount is None or not lines:
        return
    subtotal = document_totals(_draft_inputs(lines, costs=False)).total_incl_tax
    if discount.amount is not None and discount.amount > subtotal:
        raise ValidationError(
            _("La remise (%(discount)s) dépasse le total du panier (%(total)s).")
            % {
                "discount": format_money(discount.amount, currency),
                "total": format_money(subtotal, currency),
            }
        )
    threshold = discount_threshold()
    if not approved_by and discount_share(discount.on(subtotal), subtotal) > threshold:
        raise ApprovalRequiredError(
            _("Une remise de plus de %(max)s %% sur le panier doit être accordée par un gérant.")
            % {"max": format(threshold.normalize(), "f")}
        )


def _draft_discount(draft: InvoiceDraft, currency: str) -> BasketDiscount | None:
    return basket_discount_parse(draft.discount, currency) if draft.discount else None


def invoice_draft_price(
    *,
    draft: InvoiceDraft,
    payments: Sequence[PaymentInput],
    currency: str,
    store: Store | None = None,
) -> PricedDraft:
    """Price ``draft`` and settle ``payments`` as validation does, refusing what it refuses
    (no line, a line or a total out of bounds, a basket discount above the threshold that
    no manager granted, payments short or unknown). Writes nothing: an invoice and a
    training sale (``comptoir.training``) are priced by this one path."""
    lines = list(draft.lines.select_related("article").order_by("position"))
    if not lines:
        raise ValidationError(_("La vente ne contient aucune ligne."))
    inputs = _draft_inputs(lines)
    discount = _draft_discount(draft, currency)
    _check_discount(discount, lines, draft.discount_approved_by, currency)
    for line, line_input in zip(lines, inputs, strict=True):
        check_line_bounds(line_input, code=line.article.code, currency=currency)
    totals = document_totals(inputs, discount)
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
        discount_text=discount.text(currency) if discount else "",
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
    draft = _draft_create(till=till, customer=customer, cashier=cashier)
    if prepare is not None:
        prepare(draft.till)
    for line in lines:
        _draft_add_line(draft, line)
    currency = draft.till.store.currency
    if discount:
        _draft_set_discount(draft, discount, discount_approved_by)
    if payments is None:
        inputs = _draft_inputs(list(draft.lines.select_related("article")), costs=False)
        total = document_totals(inputs, _draft_discount(draft, currency)).total_incl_tax
        payments = [PaymentInput("cash", format_amount(total, currency))] if total else []
    return _validate(draft, payments, at, allow_over_limit)
