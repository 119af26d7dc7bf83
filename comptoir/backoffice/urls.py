"""The back office (« gestion »), mounted at ``/gestion/`` under the ``backoffice`` namespace.

The names ``articles``, ``customers``, ``suppliers``, ``stock`` and ``invoices`` are
used by the main navigation.
"""

from django.urls import path

from comptoir.backoffice.views import (
    articles,
    closings,
    contacts,
    documents,
    events,
    imports,
    printer,
    stock,
    store,
)

urlpatterns = [
    path("articles/", articles.article_list, name="articles"),
    path("articles/nouveau/", articles.article_create_view, name="article_create"),
    path("articles/<uuid:pk>/", articles.article_edit, name="article_edit"),
    path("articles/<uuid:pk>/archiver/", articles.article_archive, name="article_archive"),
    path("articles/import/", imports.import_articles, name="import_articles"),
    path("articles/import/<str:job_id>/", imports.import_status, name="import_status"),
    path("categories/", contacts.category_list_view, name="categories"),
    path("categories/nouvelle/", contacts.category_create_view, name="category_create"),
    path("categories/<uuid:pk>/", contacts.category_edit, name="category_edit"),
    path("clients/", contacts.customer_list_view, name="customers"),
    path("clients/nouveau/", contacts.customer_create_view, name="customer_create"),
    path("clients/<uuid:pk>/", contacts.customer_edit, name="customer_edit"),
    path("fournisseurs/", contacts.supplier_list_view, name="suppliers"),
    path("fournisseurs/nouveau/", contacts.supplier_create_view, name="supplier_create"),
    path("fournisseurs/<uuid:pk>/", contacts.supplier_edit, name="supplier_edit"),
    path("stock/", stock.stock_index, name="stock"),
    path("stock/reception/", stock.stock_receipt, name="stock_receipt"),
    path("stock/reception/ligne/", stock.stock_receipt_line, name="stock_receipt_line"),
    path("stock/inventaire/", stock.stock_count_sheet, name="stock_count"),
    path("stock/article/<uuid:pk>/", stock.stock_article_history, name="stock_history"),
    path("factures/", documents.invoice_list, name="invoices"),
    path("factures/<str:number>/", documents.invoice_view, name="invoice_detail"),
    path("avoirs/", documents.credit_note_list, name="credit_notes"),
    path("avoirs/<uuid:pk>/", documents.credit_note_view, name="credit_note_detail"),
    path("clotures/", closings.closing_list_view, name="closings"),
    path("clotures/<uuid:pk>/", closings.closing_view, name="closing_detail"),
    path("evenements/", events.event_log, name="events"),
    path("imprimante/", printer.printer_settings, name="printer"),
    path("imprimante/test/", printer.printer_test_view, name="printer_test"),
    path("magasin/", store.store_index, name="store"),
    path("magasin/<uuid:pk>/", store.store_edit, name="store_edit"),
]
