"""The managers' page of fiscal archives: the closed years and months of each store the
account sees, each with a « Télécharger l'archive » link (**archiving**).

The download makes the archive exactly as ``comptoir journal archive`` does
(:func:`comptoir.ops.archives.journal_archive`: the same checks, the same file, the same
``archive_made`` event), in a folder of its own that is removed once the file is read. A
period still open on one of the store's posts is not offered, and asked for by its
address it is refused. Another store's archive is a 404, like a store that does not exist.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from comptoir.lib.errors import ComptoirError
from comptoir.ops.archives import (
    archive_periods,
    archive_scope,
    journal_archive,
    period_of_label,
    store_posts,
)
from comptoir.stores.models import Store, Till
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible

#: Stores per page on the hub: each store's closed periods cost a few queries.
STORES_PER_PAGE = 20


def _stores(
    request: HttpRequest, stores: Iterable[Store] | None = None
) -> list[tuple[Store, list[Till]]]:
    """Each store the account may archive among ``stores`` (None: all of them), with its
    posts (on a till: its own)."""
    if settings.COMPTOIR_ROLE != "hub":
        try:
            store, tills = archive_scope(store_name=None, post=None)
        except ComptoirError:
            return []
        return [(store, tills)]
    if stores is None:
        stores = stores_visible(request.user).stores()
    return [(store, store_posts(store)) for store in stores]


@require_GET
@manager_required
def archives(request: HttpRequest) -> HttpResponse:
    """On the hub, the visible stores 20 a page, searched by name (a chain's thousands of
    stores are not read at once); on a till, its store."""
    page = None
    query = request.GET.get("q", "").strip()[:120]
    if settings.COMPTOIR_ROLE == "hub":
        stores = stores_visible(request.user).stores()
        if query:
            stores = stores.filter(name__icontains=query)
        page = Paginator(stores, STORES_PER_PAGE).get_page(request.GET.get("page"))
    rows: list[dict[str, Any]] = []
    for store, tills in _stores(request, page.object_list if page is not None else None):
        periods = archive_periods(tills, store) if tills else []
        rows.append(
            {
                "store": store,
                "years": [p for p in periods if p.kind == "year"],
                "months": [p for p in periods if p.kind == "month"],
            }
        )
    return render(request, "dashboard/archives.html", {"stores": rows, "page": page, "q": query})


@require_GET
@manager_required
def archive_download(request: HttpRequest, store: UUID, period: str) -> HttpResponse:
    wanted_store = stores_visible(request.user).stores().filter(pk=store)
    found = next(((s, t) for s, t in _stores(request, wanted_store) if s.pk == store), None)
    if found is None:
        raise Http404
    shop, tills = found
    try:
        wanted = period_of_label(period, store=shop)
        with tempfile.TemporaryDirectory(prefix="comptoir-archive-") as folder:
            name = f"journal-fiscal-{slugify(shop.name) or 'magasin'}-{wanted.label}.zip"
            made = journal_archive(
                tills=tills,
                period=wanted,
                out=Path(folder) / name,
                user=request.user.get_username(),
            )
            data = made.path.read_bytes()
    except ComptoirError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard:archives")
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Archive-SHA256"] = made.sha256
    return response
