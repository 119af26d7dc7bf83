"""The store settings page (manager): the legal identity that receipts and invoices print.

On a till attached to a hub the page only shows the identity: stores are edited on the
hub and reach the tills by sync (``stores.services.stores_editable_here``).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from comptoir.backoffice.forms import StoreForm
from comptoir.backoffice.views.common import call_service, paginate
from comptoir.stores.models import Store
from comptoir.stores.services import store_update, stores_editable_here
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible


@manager_required
def store_index(request: HttpRequest) -> HttpResponse:
    """The account's store when it sees one, else the stores it sees, 50 a page, with
    their number of tills, searched by name, legal name, town or SIRET (a chain's hub
    holds thousands: the page reads one page and one count)."""
    stores = stores_visible(request.user).stores()
    only = list(stores.values_list("pk", flat=True)[:2])
    if len(only) == 1:
        return redirect("backoffice:store_edit", pk=only[0])
    query = request.GET.get("q", "").strip()[:120]
    if query:
        stores = stores.filter(
            Q(name__icontains=query)
            | Q(legal_name__icontains=query)
            | Q(city__icontains=query)
            | Q(siret__icontains=query)
        )
    page = paginate(
        request, stores.annotate(till_count=Count("tills", filter=Q(tills__archived=False)))
    )
    return render(request, "backoffice/store_list.html", {"page": page, "filters": {"q": query}})


@manager_required
def store_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    scope = stores_visible(request.user)
    store = scope.restrict(Store.objects.filter(pk=pk), "pk").first()
    if store is None:
        raise Http404(_("Magasin inconnu."))
    editable = stores_editable_here()
    form = StoreForm(request.POST or None, initial=StoreForm.initial_for(store))
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    if editable and request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if (
            not changes
            or call_service(form, lambda: store_update(pk=store.pk, **changes)) is not None
        ):
            messages.success(request, _("Magasin « %(name)s » enregistré.") % {"name": store.name})
            return redirect("backoffice:store_edit", pk=store.pk)
    return render(
        request,
        "backoffice/store_form.html",
        {"form": form, "store": store, "editable": editable, "several": not scope.only},
    )
