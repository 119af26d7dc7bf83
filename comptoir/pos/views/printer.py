"""The receipt printer from the till screen: reprint a receipt, print a Z, open the drawer.

Each is a plain form posted by a button (no script needed); the printer is reached after
any write (``printing.services``), and its failure is one message on the page the
cashier came from, never an error page. A reprint is a duplicate like a browser reprint
(``documents._duplicate``: « DUPLICATA n° N » and a ``reprint`` event), unless it is the
original that the printer failed to print at validation.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comptoir.cash.selectors import session_list
from comptoir.lib.errors import ComptoirError
from comptoir.pos.guards import till_required
from comptoir.pos.originals import RECEIPT
from comptoir.pos.views.documents import _duplicate, _invoice
from comptoir.printing.services import drawer_open, receipt_print, z_print
from comptoir.stores.models import Till
from comptoir.web.roles import is_manager


def _back(request: HttpRequest, default: str, *args: object) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default, *args)


@require_POST
@till_required
def receipt_print_view(request: HttpRequest, number: str, *, till: Till) -> HttpResponse:
    invoice = _invoice(request, number)
    duplicate = _duplicate(request, document="invoice", number=invoice.number, form=RECEIPT)
    try:
        receipt_print(till=till, number=invoice.number, duplicate=duplicate)
    except ComptoirError as error:
        messages.error(request, _("Ticket non imprimé : %(error)s") % {"error": error.message})
    else:
        messages.success(request, _("Ticket %(number)s imprimé.") % {"number": invoice.number})
    return _back(request, "pos:my_sales")


@require_POST
@till_required
def session_z_print(request: HttpRequest, number: int, *, till: Till) -> HttpResponse:
    session = session_list(till=till).filter(number=number).first()
    if session is None:
        raise Http404
    try:
        z_print(till=till, session=session)
    except ComptoirError as error:
        messages.error(request, _("Rapport Z non imprimé : %(error)s") % {"error": error.message})
    else:
        messages.success(request, _("Rapport Z imprimé."))
    return redirect("pos:session_z", number=number)


@require_POST
@till_required
def drawer_open_view(request: HttpRequest, *, till: Till) -> HttpResponse:
    """« Ouvrir le tiroir » (a manager, no sale): logged as a ``drawer_opened`` event."""
    if not is_manager(request.user):
        messages.error(request, _("Seul un gérant peut ouvrir le tiroir sans vente."))
        return redirect("pos:index")
    try:
        drawer_open(till=till, user=request.user.get_username(), source="screen")
    except ComptoirError as error:
        messages.error(request, _("Tiroir non ouvert : %(error)s") % {"error": error.message})
    else:
        messages.success(request, _("Tiroir ouvert (enregistré dans le journal des événements)."))
    return redirect("pos:index")
