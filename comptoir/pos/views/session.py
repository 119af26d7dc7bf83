"""The till's cash session screens: open with the float (a total or a denomination grid),
cash in and out, the X, the close with a blind count, then the Z ticket (80 mm).

The close form shows nothing of what the drawer should hold: the cashier types the count
first; the difference is shown on the Z that follows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.cash.denominations import denominations
from comptoir.cash.models import CashSession
from comptoir.cash.selectors import report_x, report_z, session_list, session_open_get
from comptoir.cash.services import cash_in, cash_out, session_close, session_open
from comptoir.lib.errors import ComptoirError, NotFoundError
from comptoir.lib.money import format_money
from comptoir.pos.guards import till_required
from comptoir.printing.selectors import printer_get
from comptoir.sales.selectors import payment_method_names
from comptoir.stores.models import Till

COUNT_PREFIX = "d_"


def _counts(request: HttpRequest) -> dict[str, str] | None:
    """The denomination grid's filled cells (``d_<minor units>``), or None if all empty."""
    counts = {}
    for key in request.POST:
        value = request.POST.get(key, "").strip()
        if key.startswith(COUNT_PREFIX) and value:
            counts[key.removeprefix(COUNT_PREFIX)] = value
    return counts or None


def _methods(data: dict[str, int]) -> list[tuple[str, int]]:
    labels = payment_method_names()
    return [(labels.get(m, m), amount) for m, amount in data.items()]


@require_GET
@till_required
def session_page(request: HttpRequest, *, till: Till) -> HttpResponse:
    session = session_open_get(till=till)
    context: dict[str, Any] = {"till": till, "currency": till.store.currency}
    if session is None:
        context["grid"] = denominations(till.store.currency)
        return render(request, "pos/session_open.html", context)
    report = report_x(session=session)
    data = report.as_data()
    context.update(
        session=session,
        report=data,
        payments=_methods(data["payments"]),
        movements=session.movements.order_by("number"),
        grid=denominations(till.store.currency),
    )
    return render(request, "pos/session.html", context)


def _back(request: HttpRequest, error: ComptoirError) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("pos:session")


@require_POST
@till_required
def session_open_view(request: HttpRequest, *, till: Till) -> HttpResponse:
    amount = request.POST.get("float", "").strip() or None
    try:
        session_open(
            amount=amount,
            counts=_counts(request),
            cashier=request.user.get_username(),
            till=till,
        )
    except ComptoirError as error:
        return _back(request, error)
    return redirect("pos:index")


@require_POST
@till_required
def session_move(request: HttpRequest, *, till: Till) -> HttpResponse:
    move = cash_in if request.POST.get("kind") == "in" else cash_out
    try:
        result = move(
            amount=request.POST.get("amount", ""),
            reason=request.POST.get("reason", ""),
            cashier=request.user.get_username(),
            till=till,
        )
    except ComptoirError as error:
        return _back(request, error)
    if result.exceeds_drawer:
        messages.warning(
            request,
            _("Sortie enregistrée, mais elle dépasse ce que le tiroir devrait contenir (%(e)s).")
            % {"e": format_money(result.expected_after, till.store.currency)},
        )
    else:
        messages.success(request, _("Mouvement d'espèces enregistré."))
    return redirect("pos:session")


@require_POST
@till_required
def session_close_view(request: HttpRequest, *, till: Till) -> HttpResponse:
    try:
        pk = UUID(request.POST.get("session", ""))
    except ValueError:
        raise Http404 from None  # a garbled form names no session, like an unknown id
    session = CashSession.objects.filter(till=till, pk=pk).first()
    if session is None:
        raise Http404
    try:
        session_close(
            counted=request.POST.get("counted", "").strip() or None,
            counts=_counts(request),
            cashier=request.user.get_username(),
            session=session,
        )
    except ComptoirError as error:
        return _back(request, error)
    return redirect("pos:session_z", number=session.number)


@require_GET
@till_required
def session_z(request: HttpRequest, *, till: Till, number: int) -> HttpResponse:
    """The Z ticket of a closed session of this till, for 80 mm paper."""
    session = session_list(till=till).filter(number=number).first()
    if session is None:
        raise Http404
    try:
        data = report_z(session=session).as_data()
    except NotFoundError as error:
        raise Http404(error.message) from None
    return render(
        request,
        "pos/session_z.html",
        {
            "till": till,
            "session": session,
            "closing": session.closing,
            "report": data,
            "currency": session.currency,
            "payments": _methods(data["payments"]),
            "refunds": _methods(data["refunds"]),
            "printer": printer_get(till=till),
        },
    )
