"""The customer display: a second screen that follows the till's basket.

The cashier opens ``/caisse/afficheur/`` in a second window of the same browser (same
session, so no login for the customer to see), on the screen turned to the customer. Its
script (``pos/display.js``) polls :func:`display_state` every half second with the last
``ETag``: an unchanged basket costs a ``304`` and no rendering. What it shows, in the
store's language (the home's, not the cashier's browser's):

- ``basket``: the lines, their total and the basket total, while a sale is being rung up;
- ``thanks``: the last sale's total, what was given and the change due, « Merci », for
  :data:`THANKS_SECONDS` after it was validated at this till by this session's cashier;
- ``idle``: the store's name and « Bienvenue ».

The amount typed in the till's payment fields stays in the till's page until F9 (the till
script is left unchanged): the display shows the amount given and the change from the
validated invoice, which is what the drawer holds.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.lib.errors import ComptoirError
from comptoir.lib.money import format_money, parse_amount
from comptoir.pos.basket import basket_view, draft_current
from comptoir.pos.guards import till_required
from comptoir.pos.views.till import PAY_PREFIX
from comptoir.sales.calculations import settle
from comptoir.sales.models import Invoice
from comptoir.sales.selectors import payment_rules
from comptoir.stores.models import Till
from comptoir.web.templatetags.comptoir import quantity

THANKS_SECONDS = 8
POLL_MS = 500


@require_GET
@till_required
def display_page(request: HttpRequest, *, till: Till) -> HttpResponse:
    """The page of the second screen; its script fills it from :func:`display_state`."""
    with translation.override(settings.LANGUAGE_CODE):
        response = render(
            request,
            "pos/display.html",
            {"till": till, "state": _state(request, till), "poll_ms": POLL_MS},
        )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@till_required
def display_state(request: HttpRequest, *, till: Till) -> HttpResponse:
    """What the second screen shows now, as JSON, with an ``ETag`` of its content."""
    with translation.override(settings.LANGUAGE_CODE):
        state = _state(request, till)
    body = json.dumps(state, ensure_ascii=False, sort_keys=True)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = JsonResponse(state, json_dumps_params={"ensure_ascii": False})
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


def _state(request: HttpRequest, till: Till) -> dict[str, Any]:
    currency = till.store.currency
    store = {"store": till.store.name, "welcome": _("Bienvenue")}
    draft = draft_current(request.session, till=till)
    basket = basket_view(draft, currency=currency)
    if not basket.is_empty:
        return {
            **store,
            "state": "basket",
            "title": _("Votre achat"),
            "lines": [
                {
                    "label": row.label,
                    "quantity": _quantity(row.quantity, row.unit),
                    "unit_price": format_money(row.unit_price, currency),
                    "total": format_money(row.total_incl_tax, currency),
                }
                for row in basket.rows
            ],
            "total_label": _("Total TTC"),
            "total": format_money(basket.total_incl_tax, currency),
            **_tendered(request, till, draft, basket.total_incl_tax),
        }
    invoice = _last_sale(request, till)
    if invoice is not None:
        return {
            **store,
            "state": "thanks",
            "number": invoice.number,
            "thanks": _("Merci de votre visite !"),
            "total_label": _("Total TTC"),
            "total": format_money(invoice.total_incl_tax, invoice.currency),
            "given_label": _("Montant reçu"),
            "given": format_money(invoice.total_paid, invoice.currency),
            "change_label": _("Monnaie à rendre"),
            "change": format_money(invoice.change_given, invoice.currency),
        }
    return {**store, "state": "idle"}


def _quantity(value: Decimal, unit: str) -> str:
    """``2``, ``0,350 kg``: pieces bare, other units with their symbol (kg, l, m)."""
    text = quantity(value)
    return text if unit == "piece" else f"{text}\u00a0{unit}"


def _last_sale(request: HttpRequest, till: Till) -> Invoice | None:
    """The sale this session's cashier validated at this till in the last few seconds."""
    since = timezone.now() - timedelta(seconds=THANKS_SECONDS)
    return (
        Invoice.objects.filter(
            till=till, cashier=request.user.get_username(), validated_at__gte=since
        )
        .order_by("-validated_at", "-sequence")
        .first()
    )


# What the cashier is typing in the payment fields, for the display (this session, this
# basket): the amount received and the change (or what is left to pay), before F9.
TENDERED_KEY = "comptoir_display_tendered"


@require_POST
@till_required
def display_tendered(request: HttpRequest, *, till: Till) -> HttpResponse:
    """The payment fields as the cashier types them (``pay_<method>``), kept in the session
    with the basket they are for; nothing else is written. The till's script sends them
    (``pos/payments.js``), at most a few times a second."""
    draft = draft_current(request.session, till=till)
    amounts = {
        name[len(PAY_PREFIX) :][:20]: value.strip()[:30]
        for name in list(request.POST)[:40]
        if name.startswith(PAY_PREFIX) and (value := request.POST.get(name, "")).strip()
    }
    request.session[TENDERED_KEY] = {"draft": str(draft.pk) if draft else "", "amounts": amounts}
    return HttpResponse(status=204)


def _tendered(request: HttpRequest, till: Till, draft: Any, total: int) -> dict[str, str]:
    """The amount received so far and the change due (by the payment rules of the sale:
    only cash gives change), or what is left to pay; nothing when nothing is typed or it
    does not read as amounts."""
    kept = request.session.get(TENDERED_KEY) or {}
    if draft is None or kept.get("draft") != str(draft.pk):
        return {}
    currency = till.store.currency
    try:
        parsed = [
            (method, parse_amount(text, currency))
            for method, text in (kept.get("amounts") or {}).items()
        ]
    except ComptoirError:
        return {}
    paid = sum(amount for _method, amount in parsed)
    if paid <= 0:
        return {}
    shown = {"given_label": _("Montant reçu"), "given": format_money(paid, currency)}
    if paid < total:
        return {
            **shown,
            "change_label": _("Reste à payer"),
            "change": format_money(total - paid, currency),
        }
    try:
        change = settle(total, parsed, currency, payment_rules(store=till.store)).change
    except ComptoirError:  # (a card above the total: the till refuses it; no change)
        return shown
    return {
        **shown,
        "change_label": _("Monnaie à rendre"),
        "change": format_money(change, currency),
    }
