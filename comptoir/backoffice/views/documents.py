"""Invoices and credit notes: filtered, keyset-paged lists and details with reprint links.

The receipt, A4 invoice and credit-note screens belong to the till (``comptoir/pos``);
they are linked by path so that these pages never depend on their URL names. Every list
and detail keeps to the stores the account sees; another store's document is a 404.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from comptoir.backoffice.forms import DocumentFilterForm
from comptoir.backoffice.views.keyset import keyset_paginate
from comptoir.lib.errors import NotFoundError
from comptoir.sales.models import CreditNote
from comptoir.sales.selectors import (
    credit_note_detail,
    credit_note_search,
    invoice_detail,
    invoice_search,
)
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible


def _filters(request: HttpRequest) -> tuple[DocumentFilterForm, dict[str, object]]:
    scope = stores_visible(request.user)
    form = DocumentFilterForm(request.GET, store_ids=scope.ids)
    data = form.cleaned_data if form.is_valid() else {}
    till = data.get("till")
    return form, {
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
        "till_id": till.pk if till else None,
        "number": data.get("number"),
        "store_ids": scope.ids,
    }


@manager_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    customer = form.cleaned_data.get("customer") if form.is_valid() else None
    page = keyset_paginate(
        request,
        invoice_search(customer=customer, **filters),  # type: ignore[arg-type]
        date_field="validated_at",
    )
    return render(
        request,
        "backoffice/invoice_list.html",
        {"page": page, "form": form, "filters": request.GET, "kind": "invoices"},
    )


@manager_required
def credit_note_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    del form.fields["customer"]
    page = keyset_paginate(
        request,
        credit_note_search(**filters),  # type: ignore[arg-type]
        date_field="issued_at",
    )
    return render(
        request,
        "backoffice/credit_note_list.html",
        {"page": page, "form": form, "filters": request.GET, "kind": "credit_notes"},
    )


@manager_required
def invoice_view(request: HttpRequest, number: str) -> HttpResponse:
    try:
        invoice = invoice_detail(number=number, store_ids=stores_visible(request.user).ids)
    except NotFoundError:
        raise Http404 from None
    return render(request, "backoffice/invoice_detail.html", {"invoice": invoice})


@manager_required
def credit_note_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    try:
        note = credit_note_detail(pk=pk, store_ids=stores_visible(request.user).ids)
    except CreditNote.DoesNotExist:
        raise Http404 from None
    return render(request, "backoffice/credit_note_detail.html", {"note": note})
