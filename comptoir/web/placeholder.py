"""Temporary pages for screens being built (replaced screen by screen)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from comptoir.web.roles import cashier_required


@cashier_required
def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return render(request, "web/placeholder.html")
