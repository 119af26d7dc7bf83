"""CSV import of articles from the web: upload, progress (htmx polling), per-row report.

Policy (the same as ``comptoir import``): all rows or none. A file with one refused row
imports nothing and the page lists each refused row with its line number and the
reason; the manager fixes the file and sends it again. Importing only the good rows
was left out on purpose: a half-imported file is harder to fix than a refused one.
A line whose code exists updates that article, so sending the same file again (after
an import interrupted between two chunks) finishes it without doubles.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from comptoir.backoffice import importjobs
from comptoir.backoffice.forms import MAX_IMPORT_BYTES, ImportForm
from comptoir.lib.errors import ComptoirError
from comptoir.ops.imports import ARTICLE_COLUMNS
from comptoir.web.roles import manager_required

KIND = "articles"


@manager_required
def import_articles(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", _too_big())
        else:
            try:
                rows = importjobs.read_rows(KIND, upload.read(), upload.name)
            except ComptoirError as exc:
                form.add_error("file", exc.message)
            else:
                job = importjobs.job_start(
                    kind=KIND, rows=rows, filename=upload.name, user=request.user.get_username()
                )
                return redirect("backoffice:import_status", job_id=job.id)
    return render(
        request,
        "backoffice/import_form.html",
        {"form": form, "columns": ARTICLE_COLUMNS},
    )


def _too_big() -> str:
    return _("Fichier trop gros (%(max)s au plus).") % {"max": filesizeformat(MAX_IMPORT_BYTES)}


@require_GET
@manager_required
def import_status(request: HttpRequest, job_id: str) -> HttpResponse:
    """The job's page; with htmx (``HX-Request``), only the part that refreshes."""
    job = importjobs.job_get(job_id)
    if job is None:
        raise Http404
    template = (
        "backoffice/_import_progress.html"
        if request.headers.get("HX-Request")
        else "backoffice/import_status.html"
    )
    return render(request, template, {"job": job})
