"""Customers, suppliers and categories: lists with search, create and edit (manager)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from comptoir.backoffice.forms import CategoryForm, ContactForm
from comptoir.backoffice.views.common import call_service, paginate
from comptoir.catalogue.models import Category, Supplier
from comptoir.catalogue.selectors import category_list, supplier_list, supplier_twins
from comptoir.catalogue.services import (
    category_create,
    category_update,
    supplier_create,
    supplier_update,
)
from comptoir.customers.models import Customer
from comptoir.customers.selectors import customer_list, customer_twins
from comptoir.customers.services import customer_create, customer_update
from comptoir.web.roles import manager_required


def _contact_list(
    request: HttpRequest,
    qs: Any,
    *,
    twins: Callable[[Iterable[Any]], set[UUID]],
    title: str,
    create_url: str,
    edit_url: str,
) -> HttpResponse:
    """A page of customers or suppliers; ``twins`` gives the ids of the page's rows whose
    code another active row also has (see ``article_list``)."""
    page = paginate(request, qs)
    twin_ids = twins(page)
    for obj in page:
        obj.is_twin = obj.pk in twin_ids
    return render(
        request,
        "backoffice/contact_list.html",
        {
            "page": page,
            "title": title,
            "create_url": create_url,
            "edit_url": edit_url,
            "filters": request.GET,
        },
    )


def _changes(form: ContactForm) -> dict[str, Any]:
    """The fields the manager changed, and only those (see ``article_edit``)."""
    return {
        name: form.cleaned_data[name]
        for name in form.changed_data
        if name in (*ContactForm.CONTACT_FIELDS, "archived")
    }


def _contact_form(
    request: HttpRequest, form: ContactForm, title: str, list_url: str
) -> HttpResponse:
    return render(
        request,
        "backoffice/contact_form.html",
        {"form": form, "title": title, "list_url": list_url},
    )


# -- customers ---------------------------------------------------------------------------


@manager_required
def customer_list_view(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived", "")  # "": active, "1": archived, "all": both
    qs = customer_list(search=request.GET.get("q"), include_archived=archived in ("1", "all"))
    if archived == "1":
        qs = qs.filter(archived=True)
    return _contact_list(
        request,
        qs,
        twins=lambda rows: customer_twins(customers=rows),
        title=_("Clients"),
        create_url="backoffice:customer_create",
        edit_url="backoffice:customer_edit",
    )


@manager_required
def customer_create_view(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "archived"}
        data["code"] = data["code"] or None
        customer = call_service(form, lambda: customer_create(**data))
        if customer is not None:
            messages.success(request, _("Client « %(name)s » créé.") % {"name": customer.name})
            return redirect("backoffice:customers")
    return _contact_form(request, form, _("Nouveau client"), "backoffice:customers")


@manager_required
def customer_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = ContactForm(
        request.POST or None, initial=ContactForm.initial_for(customer), editing=True
    )
    if request.method == "POST" and form.is_valid():
        changes = _changes(form)
        if (
            not changes
            or call_service(form, lambda: customer_update(pk=customer.pk, **changes)) is not None
        ):
            messages.success(
                request, _("Client « %(name)s » enregistré.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("backoffice:customers")
    return _contact_form(
        request, form, _("Client %(code)s") % {"code": customer.code}, "backoffice:customers"
    )


# -- suppliers ---------------------------------------------------------------------------


@manager_required
def supplier_list_view(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived", "")  # "": active, "1": archived, "all": both
    qs = supplier_list(search=request.GET.get("q"), include_archived=archived in ("1", "all"))
    if archived == "1":
        qs = qs.filter(archived=True)
    return _contact_list(
        request,
        qs.order_by("name", "code", "id"),
        twins=lambda rows: supplier_twins(suppliers=rows),
        title=_("Fournisseurs"),
        create_url="backoffice:supplier_create",
        edit_url="backoffice:supplier_edit",
    )


@manager_required
def supplier_create_view(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, code_required=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "archived"}
        supplier = call_service(form, lambda: supplier_create(**data))
        if supplier is not None:
            messages.success(request, _("Fournisseur « %(name)s » créé.") % {"name": supplier.name})
            return redirect("backoffice:suppliers")
    return _contact_form(request, form, _("Nouveau fournisseur"), "backoffice:suppliers")


@manager_required
def supplier_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    supplier = get_object_or_404(Supplier, pk=pk)
    form = ContactForm(
        request.POST or None,
        initial=ContactForm.initial_for(supplier),
        editing=True,
        code_required=True,
    )
    if request.method == "POST" and form.is_valid():
        changes = _changes(form)
        if (
            not changes
            or call_service(form, lambda: supplier_update(pk=supplier.pk, **changes)) is not None
        ):
            messages.success(
                request,
                _("Fournisseur « %(name)s » enregistré.") % {"name": form.cleaned_data["name"]},
            )
            return redirect("backoffice:suppliers")
    return _contact_form(
        request, form, _("Fournisseur %(code)s") % {"code": supplier.code}, "backoffice:suppliers"
    )


# -- categories --------------------------------------------------------------------------


@manager_required
def category_list_view(request: HttpRequest) -> HttpResponse:
    form = CategoryForm()
    del form.fields["archived"]
    return render(
        request,
        "backoffice/category_list.html",
        {
            "page": paginate(request, category_list(search=request.GET.get("q"))),
            "filters": request.GET,
            "form": form,
        },
    )


@manager_required
def category_create_view(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None)
    del form.fields["archived"]
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        if call_service(form, lambda: category_create(name=name)) is not None:
            messages.success(request, _("Catégorie « %(name)s » créée.") % {"name": name})
            return redirect("backoffice:categories")
    return render(request, "backoffice/category_form.html", {"form": form, "category": None})


@manager_required
def category_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(
        request.POST or None, initial={"name": category.name, "archived": category.archived}
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if (
            not changes
            or call_service(form, lambda: category_update(pk=category.pk, **changes)) is not None
        ):
            messages.success(
                request,
                _("Catégorie « %(name)s » enregistrée.") % {"name": form.cleaned_data["name"]},
            )
            return redirect("backoffice:categories")
    return render(request, "backoffice/category_form.html", {"form": form, "category": category})
