"""The till's receipt printer settings (manager), with a « test ticket » button.

A setting of the post (``comptoir.printing``): the page exists on a till only; the hub
has no printer and says so.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comptoir.backoffice.forms import PrinterForm
from comptoir.backoffice.views.common import call_service
from comptoir.lib.errors import ComptoirError, NotFoundError
from comptoir.printing.config import PrinterConfig
from comptoir.printing.selectors import printer_get
from comptoir.printing.services import printer_set, printer_test
from comptoir.stores.models import Till
from comptoir.stores.selectors import till_current
from comptoir.web.roles import manager_required


def _till() -> Till | None:
    if settings.COMPTOIR_ROLE == "hub":
        return None
    try:
        return till_current()
    except NotFoundError:
        return None


@manager_required
def printer_settings(request: HttpRequest) -> HttpResponse:
    till = _till()
    if till is None:
        return render(request, "backoffice/printer.html", {"form": None})
    current = printer_get(till=till)
    form = PrinterForm(request.POST or None, initial=dataclasses.asdict(current))
    if request.method == "POST" and form.is_valid():
        config = PrinterConfig(**form.cleaned_data)
        if call_service(form, lambda: printer_set(till=till, config=config)) is not None:
            messages.success(request, _("Imprimante enregistrée."))
            return redirect("backoffice:printer")
    return render(
        request,
        "backoffice/printer.html",
        {"form": form, "till": till, "printer": current},
        status=422 if form.errors else 200,
    )


@require_POST
@manager_required
def printer_test_view(request: HttpRequest) -> HttpResponse:
    """« Imprimer un ticket de test »: with the saved settings; opens the drawer too."""
    till = _till()
    if till is None:
        return redirect("backoffice:printer")
    try:
        printer_test(till=till, user=request.user.get_username(), source="settings")
    except ComptoirError as error:
        messages.error(
            request, _("Ticket de test non imprimé : %(error)s") % {"error": error.message}
        )
    else:
        messages.success(request, _("Ticket de test imprimé ; le tiroir a été ouvert."))
    return redirect("backoffice:printer")
