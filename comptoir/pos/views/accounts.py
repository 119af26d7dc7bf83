"""A customer's account (« ardoise ») at the till: balance, statement (on screen and on A4
paper) and the « Régler » form that records a settlement (``sales.account_settle``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from comptoir.customers.models import Customer
from comptoir.lib.errors import ComptoirError
from comptoir.pos.guards import till_required
from comptoir.sales.models import PAYMENT_REFERENCE_LENGTH
from comptoir.sales.selectors import customer_statement, payment_rules
from comptoir.sales.services import account_settle
from comptoir.stores.models import Till


def _context(till: Till, customer: Customer, **extra: Any) -> dict[str, Any]:
    rows = customer_statement(customer=customer)
    return {
        "till": till,
        "store": till.store,
        "customer": customer,
        "rows": rows,
        "balance": rows[-1].balance if rows else 0,
        "currency": till.store.currency,
        "methods": [r for r in payment_rules(store=till.store).values() if not r.on_account],
        **extra,
    }


@require_http_methods(["GET", "POST"])
@till_required
def customer_account(request: HttpRequest, pk: UUID, *, till: Till) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    if request.method == "POST":
        data = request.POST
        try:
            account_settle(
                customer=customer,
                amount=data.get("amount", "").strip()[:30],
                method=data.get("method", "")[:40],
                reference=data.get("reference", "")[: PAYMENT_REFERENCE_LENGTH + 1],
                cashier=request.user.get_username(),
                till=till,
            )
        except ComptoirError as error:
            context = _context(till, customer, error=error.message, form=data)
            return render(request, "pos/customer_account.html", context, status=422)
        messages.success(request, _("Règlement enregistré."))
        return redirect("pos:customer_account", pk=customer.pk)
    if request.GET.get("print") == "a4":
        return render(request, "pos/customer_statement_a4.html", _context(till, customer))
    return render(request, "pos/customer_account.html", _context(till, customer, form={}))
