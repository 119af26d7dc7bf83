"""Printed documents: the 80 mm receipt, the A4 invoice, credit notes and their receipts.

Receipts and invoices are read-only views of immutable facts: they work on every post
(the hub has every invoice), for cashiers and managers alike, within the stores the
account sees (``comptoir.web.scope``): another store's document is a 404, like a number
that does not exist. Issuing a credit note needs a till, like a sale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from comptoir.events.services import reprint_record
from comptoir.lib.errors import ComptoirError, NotFoundError, ValidationError
from comptoir.lib.numbers import parse_decimal
from comptoir.pos.guards import till_required
from comptoir.pos.originals import A4, CREDIT_NOTE_RECEIPT, RECEIPT, original_grant, original_take
from comptoir.pos.selectors import invoice_line_returned_map, invoice_number_typed
from comptoir.sales.calculations import excl_from_incl
from comptoir.sales.models import CreditNote, Invoice, InvoiceLine
from comptoir.sales.selectors import credit_note_detail, invoice_detail, payment_method_list
from comptoir.sales.services import ReturnLine, credit_note_issue
from comptoir.stores.models import Till
from comptoir.training.selectors import training_active
from comptoir.web.roles import cashier_required
from comptoir.web.scope import stores_visible


def _invoice(request: HttpRequest, number: str) -> Invoice:
    try:
        return invoice_detail(number=number, store_ids=stores_visible(request.user).ids)
    except NotFoundError as error:
        raise Http404(error.message) from None


def _duplicate(request: HttpRequest, *, document: str, number: str, form: str) -> int:
    """0 for the original print; otherwise the copy number of this duplicate, recorded."""
    if original_take(request.session, number, form):
        return 0
    with transaction.atomic(durable=True):
        copy = reprint_record(
            document=document, number=number, form=form, user=request.user.get_username()
        )
    # A post with no till records nothing: the print still says it is a duplicate.
    return copy or 1


@require_GET
@cashier_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    """The till receipt, sized for 80 mm thermal paper; ``?imprimer=1`` prints on load."""
    invoice = _invoice(request, number)
    duplicate = _duplicate(request, document="invoice", number=invoice.number, form=RECEIPT)
    return render(
        request,
        "pos/receipt.html",
        {
            "invoice": invoice,
            "duplicate": duplicate,
            "autoprint": request.GET.get("imprimer") == "1",
        },
    )


@dataclass(frozen=True)
class A4Line:
    line: InvoiceLine
    unit_price_excl_tax: int


@require_GET
@cashier_required
def invoice_a4(request: HttpRequest, number: str) -> HttpResponse:
    """The A4 invoice with the mentions a French invoice to a business must carry."""
    invoice = _invoice(request, number)
    duplicate = _duplicate(request, document="invoice", number=invoice.number, form=A4)
    lines = [
        A4Line(line, excl_from_incl(line.unit_price, line.vat_rate)) for line in invoice.lines.all()
    ]
    return render(
        request,
        "pos/invoice_a4.html",
        {
            "invoice": invoice,
            "duplicate": duplicate,
            "lines": lines,
            "store": invoice.store,
            "customer": invoice.customer,
            "payments": list(invoice.payments.all()),
        },
    )


@dataclass(frozen=True)
class ReturnRow:
    line: InvoiceLine
    returned: Decimal
    returnable: Decimal
    field: str
    value: str


def _return_rows(invoice: Invoice, data: Any) -> list[ReturnRow]:
    done = invoice_line_returned_map(invoice=invoice)
    rows = []
    for line in invoice.lines.all():
        returned = done.get(line.pk, Decimal(0))
        field = f"qty_{line.position}"
        rows.append(ReturnRow(line, returned, line.quantity - returned, field, data.get(field, "")))
    return rows


def _wanted(rows: list[ReturnRow]) -> list[ReturnLine]:
    """One return line per article (the service spreads it over the invoice's lines)."""
    wanted: dict[str, Decimal] = {}
    for row in rows:
        if not row.value.strip():
            continue
        quantity = parse_decimal(row.value)
        if quantity is None or quantity < 0:
            raise ValidationError(_("Quantité invalide : « %(value)s ».") % {"value": row.value})
        if quantity:
            code = row.line.article_code
            wanted[code] = wanted.get(code, Decimal(0)) + quantity
    return [ReturnLine(code, quantity) for code, quantity in wanted.items()]


@require_http_methods(["GET", "POST"])
@till_required
def credit_note(request: HttpRequest, number: str, *, till: Till) -> HttpResponse:
    """Choose the quantities given back and the refund method; issue the credit note."""
    invoice = _invoice(request, number)
    data = request.POST if request.method == "POST" else {}
    rows = _return_rows(invoice, data)
    error = ""
    if request.method == "POST":
        everything = "all" in request.POST
        try:
            if training_active(till=till):
                # A real refund from a till in training: a trainee's practice would move
                # stock and money in the books. A manager switches the mode off first.
                raise ValidationError(
                    _(
                        "Cette caisse est en mode formation : un avoir n'y est pas possible. "
                        "Un gérant doit d'abord désactiver le mode formation."
                    )
                )
            lines = [] if everything else _wanted(rows)
            if not everything and not lines:
                raise ValidationError(
                    _("Indiquez au moins une quantité rendue, ou « Tout rembourser ».")
                )
            note = credit_note_issue(
                invoice_number=invoice.number,
                lines=lines,
                reason=request.POST.get("reason", "")[:200],
                refund_method=request.POST.get("refund_method", ""),
                cashier=request.user.get_username(),
                till=till,
            )
        except ComptoirError as exc:
            error = exc.message
        else:
            original_grant(request.session, note.number, CREDIT_NOTE_RECEIPT)
            return redirect("pos:credit_note_receipt", number=note.number)
    return render(
        request,
        "pos/credit_note.html",
        {
            "invoice": invoice,
            "rows": rows,
            "error": error,
            "refund_methods": [(m.code, m.name) for m in payment_method_list(store=invoice.store)],
            "refund_method": data.get("refund_method", "cash"),
            "reason": data.get("reason", ""),
            "nothing_left": all(row.returnable <= 0 for row in rows),
        },
        status=422 if error else 200,
    )


@require_GET
@cashier_required
def credit_note_receipt(request: HttpRequest, number: str) -> HttpResponse:
    scope = stores_visible(request.user)
    notes = scope.restrict(CreditNote.objects.filter(number=number))
    note = notes.values_list("pk", flat=True).first()
    if note is None:
        raise Http404(_("Avoir inconnu : « %(number)s ».") % {"number": number})
    duplicate = _duplicate(request, document="credit_note", number=number, form=CREDIT_NOTE_RECEIPT)
    return render(
        request,
        "pos/credit_note_receipt.html",
        {
            "note": credit_note_detail(pk=note, store_ids=scope.ids),
            "duplicate": duplicate,
            "autoprint": request.GET.get("imprimer") == "1",
        },
    )


@require_GET
@cashier_required
def credit_note_find(request: HttpRequest) -> HttpResponse:
    """The « avoir » box of the till screen: an invoice number typed or scanned.

    What was typed is looked up before it goes into a URL: only a stored number (letters,
    digits, dashes) is ever reversed; anything else is said unknown on the day's sales.
    """
    typed = request.GET.get("facture", "").strip()[:40]
    if not typed:
        return redirect("pos:my_sales")
    number = invoice_number_typed(typed=typed)
    if number is None:
        messages.error(request, _("Facture inconnue : « %(number)s ».") % {"number": typed})
        return redirect("pos:my_sales")
    return redirect("pos:credit_note", number=number)
