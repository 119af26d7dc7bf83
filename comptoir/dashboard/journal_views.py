"""The fiscal journal for managers (on a till and on the hub): each post's chains with
their state (whole, pending, broken with the first record in question and why), when last
checked and how many records; a « Vérifier maintenant » button per post runs the check of
``comptoir journal verify --post PREFIX`` and records it as a technical event.

On the hub, the posts of the stores the account sees; another store's post is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.journal.selectors import journal_post_list, journal_posts, journal_posts_of
from comptoir.journal.verify import journal_outcome, journal_verify
from comptoir.web.roles import manager_required
from comptoir.web.scope import stores_visible

#: Posts shown per page: a chain's hub has thousands, each with its chains and a button.
POSTS_PER_PAGE = 50


@require_GET
@manager_required
def journal_view(request: HttpRequest) -> HttpResponse:
    """The posts 50 a page, those in trouble first, searched by series, name or store."""
    query = request.GET.get("q", "").strip()[:120]
    tills = journal_post_list(store_ids=stores_visible(request.user).ids, search=query)
    page = Paginator(tills, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/journal.html",
        {
            "posts": journal_posts_of(page.object_list),
            "page": page,
            "q": query,
            "searched": bool(query),
        },
    )


@require_POST
@manager_required
def journal_verify_view(request: HttpRequest) -> HttpResponse:
    prefix = request.POST.get("post", "").strip()
    posts = journal_posts(store_ids=stores_visible(request.user).ids, prefix=prefix)
    if not prefix or not posts:
        raise Http404(_("Poste inconnu : « %(post)s ».") % {"post": prefix})
    till = posts[0].till
    results = journal_verify(till.prefix)
    outcome = journal_outcome(results)
    whole = outcome == "whole"
    with transaction.atomic():
        event_record(
            kind=EventKind.JOURNAL_VERIFIED,
            details={"outcome": outcome, "post": till.prefix},
            user=request.user.get_username(),
        )
    if not results:
        messages.info(
            request,
            _("Poste %(post)s : aucun enregistrement fiscal à vérifier.") % {"post": till.prefix},
        )
    elif whole:
        messages.success(
            request, _("Poste %(post)s : journal fiscal intègre.") % {"post": till.prefix}
        )
    else:
        messages.error(
            request, _("Poste %(post)s : journal fiscal NON intègre.") % {"post": till.prefix}
        )
    return redirect("dashboard:journal")
