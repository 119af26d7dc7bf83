"""Use cases of sales: baskets (drafts), invoice validation, credit notes.

``invoice_validate`` is the heart of the till: in one durable transaction it numbers the
invoice in the till's series, chains it, stores lines, VAT breakdown and payments as
printed, records the stock movements and updates the statistics. Either all of it is
committed or nothing is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_get
from comptoir.core.chain import chain_hash
from comptoir.core.errors import NotFoundError, ValidationError
from comptoir.core.models import Till
from comptoir.core.money import format_amount, parse_amount
from comptoir.core.quantity import parse_quantity
from comptoir.core.selectors import till_current
from comptoir.core.services import chain_head_lock, series_next
from comptoir.customers.models import Customer
from comptoir.customers.services import customer_get
from comptoir.sales.calculations import (
    LineInput,
    document_totals,
    prorate,
    settle,
    tax_breakdown,
)
from comptoir.sales.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceDraft,
    InvoiceDraftLine,
    InvoiceLine,
    InvoiceTax,
    Payment,
    PaymentMethod,
)
from comptoir.stats.services import stats_record_credit_note, stats_record_invoice
from comptoir.stock.models import MovementKind
from comptoir.stock.services import movement_record

MAX_LINES = 1000


@dataclass(frozen=True)
class SaleLine:
    """A line to sell: an article code or barcode, a quantity, an optional discount (%)."""

    article: str
    quantity: str | Decimal | int
    discount_rate: str | Decimal | int = 0


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: str | Decimal | int


def discount_parse(value: str | Decimal | int) -> Decimal:
    try:
        rate = Decimal(str(value).strip().replace(",", ".").rstrip("%"))
    except ArithmeticError:
        rate = Decimal(-1)
    if not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            _("Remise invalide : « %(value)s » (un pourcentage entre 0 et 100).") % {"value": value}
        )
    return rate.quantize(Decimal("0.01"))


def _customer(ref: Customer | str | None) -> Customer | None:
    if ref is None or isinstance(ref, Customer):
        return ref
    return customer_get(ref=ref)


# ---- drafts -------------------------------------------------------------------------------


def _draft_create(
    *, till: Till | None, customer: Customer | str | None, cashier: str
) -> InvoiceDraft:
    return InvoiceDraft.objects.create(
        till=till or till_current(), customer=_customer(customer), cashier=cashier
    )


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
    return InvoiceDraftLine.objects.create(
        draft=draft,
        position=last + 1,
        article=article,
        quantity=parse_quantity(line.quantity, unit=article.unit),
        unit_price=article.sale_price,
        discount_rate=discount_parse(line.discount_rate),
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


# ---- validation ---------------------------------------------------------------------------


def _payments(payments: Sequence[PaymentInput], currency: str) -> list[tuple[str, int]]:
    parsed = []
    for payment in payments:
        if payment.method not in PaymentMethod.values:
            raise ValidationError(
                _(
                    "Moyen de paiement inconnu : « %(method)s » (espèces : cash, carte : card, "
                    "mobile : mobile, chèque : cheque)."
                )
                % {"method": payment.method}
            )
        parsed.append((payment.method, parse_amount(payment.amount, currency)))
    return parsed


def _validate(
    draft: InvoiceDraft, payments: Sequence[PaymentInput], at: datetime | None
) -> Invoice:
    till = Till.objects.select_related("store").get(pk=draft.till_id)
    store = till.store
    currency = store.currency
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
    totals = document_totals(inputs)
    parsed = _payments(payments, currency)
    settlement = settle(totals.total_incl_tax, parsed, currency)

    # Hashed and stored in UTC: the chain must recompute from the stored value, which the
    # database gives back in UTC whatever time zone the caller's datetime carried.
    validated_at = (at or timezone.now()).astimezone(UTC)
    year = timezone.localtime(validated_at).year
    head = chain_head_lock(till=till)
    sequence, number = series_next(till=till, kind="invoice", year=year)
    customer = draft.customer
    hashed_values = {
        "kind": "invoice",
        "number": number,
        "validated_at": validated_at.isoformat(),
        "store": store.name,
        "currency": currency,
        "total_excl_tax": totals.total_excl_tax,
        "total_tax": totals.total_tax,
        "total_incl_tax": totals.total_incl_tax,
        "lines": [
            [
                ln.article.code,
                str(ln.quantity),
                ln.unit_price,
                str(ln.discount_rate),
                t.total_incl_tax,
            ]
            for ln, t in zip(lines, totals.lines, strict=True)
        ],
        "taxes": [[str(t.vat_rate), t.base_excl_tax, t.tax] for t in totals.taxes],
        "payments": parsed,
    }
    digest = chain_hash(head.last_hash, hashed_values)
    invoice = Invoice.objects.create(
        number=number,
        till=till,
        store=store,
        year=year,
        sequence=sequence,
        validated_at=validated_at,
        business_date=timezone.localdate(validated_at),
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
        previous_hash=head.last_hash,
        chain_hash=digest,
    )
    head.last_hash = digest
    head.save(update_fields=["last_hash"])
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=i,
                article=line.article,
                article_code=line.article.code,
                label=line.article.name,
                quantity=line.quantity,
                unit=line.article.unit,
                unit_price=line.unit_price,
                discount_rate=line.discount_rate,
                discount_amount=t.discount,
                vat_rate=line.article.vat_rate,
                total_excl_tax=t.total_excl_tax,
                total_tax=t.total_tax,
                total_incl_tax=t.total_incl_tax,
                unit_cost=line.article.cost,
                total_cost=t.total_cost,
            )
            for i, (line, t) in enumerate(zip(lines, totals.lines, strict=True), start=1)
        ]
    )
    InvoiceTax.objects.bulk_create(
        [
            InvoiceTax(
                invoice=invoice,
                vat_rate=t.vat_rate,
                base_excl_tax=t.base_excl_tax,
                tax=t.tax,
                total_incl_tax=t.total_incl_tax,
            )
            for t in totals.taxes
        ]
    )
    Payment.objects.bulk_create(
        [
            Payment(invoice=invoice, position=i, method=method, amount=amount)
            for i, (method, amount) in enumerate(parsed, start=1)
        ]
    )
    # One movement per article, in article order: a consistent lock order on stock levels.
    sold: dict[Article, Decimal] = {}
    for line in lines:
        sold[line.article] = sold.get(line.article, Decimal(0)) + line.quantity
    for article in sorted(sold, key=lambda a: str(a.pk)):
        movement_record(
            article_id=article.pk,
            store=store,
            kind=MovementKind.SALE,
            quantity=-sold[article],
            at=validated_at,
            invoice_id=invoice.pk,
        )
    stats_record_invoice(invoice)
    draft.delete()
    return invoice


@transaction.atomic(durable=True)
def invoice_validate(
    *, draft: InvoiceDraft, payments: Sequence[PaymentInput], at: datetime | None = None
) -> Invoice:
    """Turn a basket into a numbered, immutable invoice (see the module docstring)."""
    locked = InvoiceDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:  # validated already (a second click), or abandoned
        raise NotFoundError(
            _("Vente en cours introuvable : elle a déjà été validée ou abandonnée.")
        )
    return _validate(locked, payments, at)


@transaction.atomic(durable=True)
def invoice_sell(
    *,
    lines: Sequence[SaleLine],
    payments: Sequence[PaymentInput] | None = None,
    customer: Customer | str | None = None,
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
) -> Invoice:
    """Ring up and validate a sale in one go (CLI, imports, tests).

    Without payments, the total is paid in cash, exactly.
    """
    draft = _draft_create(till=till, customer=customer, cashier=cashier)
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
    return _validate(draft, payments, at)


# ---- credit notes -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLine:
    article: str
    quantity: str | Decimal | int


def invoice_get(*, number: str) -> Invoice:
    try:
        return Invoice.objects.select_related("till", "store").get(number=number)
    except Invoice.DoesNotExist:
        raise NotFoundError(_("Facture inconnue : « %(number)s ».") % {"number": number}) from None


@transaction.atomic(durable=True)
def credit_note_issue(
    *,
    invoice_number: str,
    lines: Sequence[ReturnLine] = (),
    reason: str = "",
    refund_method: str = "cash",
    cashier: str = "",
    till: Till | None = None,
    at: datetime | None = None,
) -> CreditNote:
    """A credit note for all of an invoice (no ``lines``) or for the returned quantities.

    Refuses to return more of a line than was sold minus what earlier credit notes
    returned. Returned goods go back to the stock of the store that takes them back.
    """
    invoice = invoice_get(number=invoice_number)
    till = till or till_current()
    if refund_method not in PaymentMethod.values:
        raise ValidationError(
            _("Moyen de remboursement inconnu : « %(method)s ».") % {"method": refund_method}
        )
    # Lock the invoice's credit notes history: two returns of one invoice must queue.
    Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("pk").get()
    inv_lines = list(invoice.lines.select_related("article").order_by("position"))
    returned: dict[object, Decimal] = {
        row["invoice_line"]: row["qty"]
        for row in CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .values("invoice_line")
        .annotate(qty=Sum("quantity"))
    }
    already_incl: dict[object, dict[str, int]] = {}
    for row in (
        CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .values("invoice_line")
        .annotate(incl=Sum("total_incl_tax"), excl=Sum("total_excl_tax"), cost=Sum("total_cost"))
    ):
        already_incl[row["invoice_line"]] = row

    wanted: list[tuple[InvoiceLine, Decimal]] = []
    if not lines:
        for line in inv_lines:
            left = line.quantity - returned.get(line.pk, Decimal(0))
            if left > 0:
                wanted.append((line, left))
        if not wanted:
            raise ValidationError(
                _("La facture %(number)s a déjà été entièrement remboursée.")
                % {"number": invoice.number}
            )
    else:
        for ret in lines:
            article = article_get(code=ret.article)
            qty = parse_quantity(ret.quantity, unit=article.unit)
            candidates = [ln for ln in inv_lines if ln.article_id == article.pk]
            if not candidates:
                raise ValidationError(
                    _("L'article « %(code)s » ne figure pas sur la facture %(number)s.")
                    % {"code": article.code, "number": invoice.number}
                )
            for line in candidates:
                already = returned.get(line.pk, Decimal(0)) + sum(
                    (q for ln, q in wanted if ln.pk == line.pk), Decimal(0)
                )
                take = min(qty, line.quantity - already)
                if take > 0:
                    wanted.append((line, take))
                    qty -= take
                if qty == 0:
                    break
            if qty > 0:
                raise ValidationError(
                    _(
                        "Retour impossible : la quantité rendue de « %(code)s » dépasse "
                        "la quantité vendue sur la facture %(number)s, retours précédents compris."
                    )
                    % {"code": article.code, "number": invoice.number}
                )

    # One amount per invoice line: an article listed twice in one return must be prorated
    # once on the summed quantity, or the rounding of each share could refund more (or
    # less) than the line's total.
    merged: dict[UUID, tuple[InvoiceLine, Decimal]] = {}
    for line, qty in wanted:
        merged[line.pk] = (line, merged[line.pk][1] + qty) if line.pk in merged else (line, qty)
    line_amounts = []
    for line, qty in merged.values():
        done = returned.get(line.pk, Decimal(0))
        prev = already_incl.get(line.pk, {"incl": 0, "excl": 0, "cost": 0})
        if done + qty == line.quantity:  # the last return takes exactly what is left
            incl = line.total_incl_tax - (prev["incl"] or 0)
            excl = line.total_excl_tax - (prev["excl"] or 0)
            cost = line.total_cost - (prev["cost"] or 0)
        else:
            incl = prorate(line.total_incl_tax, qty, line.quantity)
            excl = prorate(line.total_excl_tax, qty, line.quantity)
            cost = prorate(line.total_cost, qty, line.quantity)
        line_amounts.append((line, qty, incl, excl, cost))
    taxes = tax_breakdown((line.vat_rate, incl) for line, _q, incl, _e, _c in line_amounts)

    issued_at = (at or timezone.now()).astimezone(UTC)  # see _validate
    year = timezone.localtime(issued_at).year
    till = Till.objects.select_related("store").get(pk=till.pk)
    head = chain_head_lock(till=till)
    sequence, number = series_next(till=till, kind="credit", year=year)
    total_incl = sum(t.total_incl_tax for t in taxes)
    hashed_values = {
        "kind": "credit_note",
        "number": number,
        "invoice": invoice.number,
        "issued_at": issued_at.isoformat(),
        "store": till.store.name,
        "total_incl_tax": total_incl,
        "lines": [[ln.article_code, str(q), incl] for ln, q, incl, _e, _c in line_amounts],
        "taxes": [[str(t.vat_rate), t.base_excl_tax, t.tax] for t in taxes],
    }
    digest = chain_hash(head.last_hash, hashed_values)
    note = CreditNote.objects.create(
        number=number,
        invoice=invoice,
        till=till,
        store=till.store,
        year=year,
        sequence=sequence,
        issued_at=issued_at,
        business_date=timezone.localdate(issued_at),
        cashier=cashier,
        reason=reason.strip()[:200],
        refund_method=refund_method,
        currency=invoice.currency,
        total_excl_tax=sum(t.base_excl_tax for t in taxes),
        total_tax=sum(t.tax for t in taxes),
        total_incl_tax=total_incl,
        total_cost=sum(c for *_rest, c in line_amounts),
        previous_hash=head.last_hash,
        chain_hash=digest,
    )
    head.last_hash = digest
    head.save(update_fields=["last_hash"])
    CreditNoteLine.objects.bulk_create(
        [
            CreditNoteLine(
                credit_note=note,
                invoice_line=line,
                position=i,
                article_id=line.article_id,
                quantity=qty,
                vat_rate=line.vat_rate,
                total_excl_tax=excl,
                total_tax=incl - excl,
                total_incl_tax=incl,
                total_cost=cost,
            )
            for i, (line, qty, incl, excl, cost) in enumerate(line_amounts, start=1)
        ]
    )
    CreditNoteTax.objects.bulk_create(
        [
            CreditNoteTax(
                credit_note=note,
                vat_rate=t.vat_rate,
                base_excl_tax=t.base_excl_tax,
                tax=t.tax,
                total_incl_tax=t.total_incl_tax,
            )
            for t in taxes
        ]
    )
    back: dict[UUID, Decimal] = {}
    for line, qty, *_rest in line_amounts:
        back[line.article_id] = back.get(line.article_id, Decimal(0)) + qty
    for article_id in sorted(back, key=str):
        movement_record(
            article_id=article_id,
            store=till.store,
            kind=MovementKind.RETURN,
            quantity=back[article_id],
            at=issued_at,
            credit_note_id=note.pk,
        )
    stats_record_credit_note(note)
    return note
