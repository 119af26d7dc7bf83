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
from django.views.decorators.http import require_GET

from comptoir.lib.money import format_money
from comptoir.pos.basket import basket_view, draft_current
from comptoir.pos.guards import till_required
from comptoir.sales.models import Invoice
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
