from django.urls import path

from comptoir.web.placeholder import placeholder

urlpatterns = [
    path("articles/", placeholder, name="articles"),
    path("clients/", placeholder, name="customers"),
    path("fournisseurs/", placeholder, name="suppliers"),
    path("stock/", placeholder, name="stock"),
    path("factures/", placeholder, name="invoices"),
]
