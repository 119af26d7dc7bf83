"""Training mode on the till screen: the manager's switch and the training receipt.

A cashier sees the mode (the banner, this page); only a manager switches it. A training
receipt is printed « FORMATION »: it is not an invoice, so there is no original, no
duplicate and nothing recorded when it is printed again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from comptoir.lib.errors import NotFoundError
from comptoir.pos.guards import till_required
from comptoir.stores.models import Till
from comptoir.training.selectors import training_active, training_sale_detail
from comptoir.training.services import training_set
from comptoir.web.roles import is_manager


@require_http_methods(["GET", "POST"])
@till_required
def training(request: HttpRequest, *, till: Till) -> HttpResponse:
    """The training mode of this till: shown to cashiers, switched by a manager."""
    if request.method == "POST":
        if not is_manager(request.user):
            raise PermissionDenied
        on = request.POST.get("on") == "1"
        training_set(on=on, till=till, user=request.user.get_username())
        if on:
            messages.warning(request, _("Mode formation activé : les ventes ne comptent pas."))
        else:
            messages.success(request, _("Mode formation désactivé : les ventes comptent."))
        return redirect("pos:training")
    context = {
        "till": till,
        "training": training_active(till=till),
        "manager": is_manager(request.user),
    }
    return render(request, "pos/training.html", context)


@require_GET
@till_required
def training_receipt(request: HttpRequest, number: str, *, till: Till) -> HttpResponse:
    """The 80 mm receipt of a training sale of this till, marked « FORMATION »."""
    try:
        sale = training_sale_detail(number=number, till=till)
    except NotFoundError as error:
        raise Http404(error.message) from None
    return render(
        request,
        "pos/training_receipt.html",
        {"sale": sale, "autoprint": request.GET.get("imprimer") == "1"},
    )
