"""Credit notes (avoirs): full or partial returns against a validated invoice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.catalogue.selectors import article_get
from comptoir.journal.services import journal_link, snapshots
from comptoir.lib.errors import ValidationError
from comptoir.lib.quantity import parse_quantity
from comptoir.lib.validators import clean_text
from comptoir.sales.calculations import (
    prorate,
    tax_breakdown,
)
from comptoir.sales.hooks import document_business_day
from comptoir.sales.journal_setup import credit_note_values
from comptoir.sales.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
)
from comptoir.sales.selectors import invoice_get, payment_rules
from comptoir.sales.services.derived import credit_notes_derive
from comptoir.stock.models import MovementKind, StockMovement
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current, till_store_id
from comptoir.stores.services import chain_head_lock, series_next
from comptoir.sync import capture


@dataclass(frozen=True)
class ReturnLine:
    article: str
    quantity: str | Decimal | int


@capture.store_use_case(till_store_id)
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
    cashier = clean_text(cashier, label=_("Le nom du caissier"))
    reason = clean_text(reason, label=_("Le motif"))
    invoice = invoice_get(number=invoice_number)
    till = till or till_current()
    if invoice.store_id != till.store_id:
        # Each store's tills hold their own store's invoices: a credit note here would
        # point at an invoice they never receive.
        raise ValidationError(
            _("La facture %(n)s a été faite dans un autre magasin : l'avoir se fait là-bas.")
            % {"n": invoice.number}
        )
    refund_method = refund_method.strip().lower()
    rule = payment_rules(store=till.store).get(refund_method)
    if rule is None:
        raise ValidationError(
            _("Moyen de remboursement inconnu : « %(method)s ».") % {"method": refund_method}
        )
    if rule.on_account and invoice.customer_id is None:
        raise ValidationError(
            _("Un remboursement sur compte demande une facture faite à un client.")
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
            # By the line's own article, or by the code printed on it: twins created
            # offline on two tills share a code, and the lookup picks only one of them.
            candidates = [
                ln
                for ln in inv_lines
                if ln.article_id == article.pk or ln.article_code == ret.article
            ]
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
    till = Till.objects.select_related("store").get(pk=till.pk)
    business_date = document_business_day(till, timezone.localdate(issued_at))
    year = business_date.year
    head = chain_head_lock(till=till)  # the document chain first: the lock order
    sequence, number = series_next(till=till, kind="credit", year=year)
    total_incl = sum(t.total_incl_tax for t in taxes)
    with capture.traced_once():  # one trace for the whole aggregate
        note = CreditNote(
            number=number,
            invoice=invoice,
            till=till,
            store=till.store,
            year=year,
            sequence=sequence,
            issued_at=issued_at,
            business_date=business_date,
            cashier=cashier,
            reason=reason.strip()[:200],
            refund_method=refund_method,
            currency=invoice.currency,
            total_excl_tax=sum(t.base_excl_tax for t in taxes),
            total_tax=sum(t.tax for t in taxes),
            total_incl_tax=total_incl,
            total_cost=sum(c for *_rest, c in line_amounts),
            **snapshots(till),
        )
        parts: dict[type[models.Model], list[Any]] = {}
        parts[CreditNoteLine] = [
            CreditNoteLine(
                **note.part_keys(CreditNoteLine, i - 1),
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
        parts[CreditNoteTax] = [
            CreditNoteTax(
                **note.part_keys(CreditNoteTax, n),
                credit_note=note,
                vat_rate=t.vat_rate,
                base_excl_tax=t.base_excl_tax,
                tax=t.tax,
                total_incl_tax=t.total_incl_tax,
            )
            for n, t in enumerate(taxes)
        ]
        values = credit_note_values(note, parts[CreditNoteLine], parts[CreditNoteTax])
        for name, value in journal_link(
            till=till, kind="credit_note", values=values, head=head
        ).items():
            setattr(note, name, value)
        note.save(force_insert=True)
        for model in (CreditNoteLine, CreditNoteTax):
            parts[model] = model.objects.bulk_create(parts[model])
        back: dict[UUID, Decimal] = {}
        for line, qty, *_rest in line_amounts:
            back[line.article_id] = back.get(line.article_id, Decimal(0)) + qty
        parts[StockMovement] = StockMovement.objects.bulk_create(
            [
                StockMovement(
                    **note.part_keys(StockMovement, n),
                    article_id=article_id,
                    store=till.store,
                    kind=MovementKind.RETURN,
                    quantity=back[article_id],
                    occurred_at=issued_at,
                    credit_note_id=note.pk,
                )
                for n, article_id in enumerate(sorted(back, key=str))
            ]
        )
        credit_notes_derive([(note, parts)])
    return note
