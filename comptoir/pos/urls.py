"""The till screen, mounted at ``/caisse/`` with the namespace ``pos``.

``receipt`` and ``invoice_a4`` take the invoice number as their only argument: the back
office links to them.
"""

from django.urls import path

from comptoir.pos.views import (
    accounts,
    display,
    documents,
    lookup,
    printer,
    session,
    till,
    training,
)

urlpatterns = [
    path("", till.index, name="index"),
    path("scan/", till.scan, name="scan"),
    path("recherche/", till.search, name="search"),
    path("ligne/<int:position>/", till.line_update, name="line_update"),
    path("ligne/<int:position>/retirer/", till.line_remove, name="line_remove"),
    path("client/recherche/", till.customer_search, name="customer_search"),
    path("client/", till.customer_set, name="customer_set"),
    path("client/<uuid:pk>/compte/", accounts.customer_account, name="customer_account"),
    path("annuler/", till.abandon, name="abandon"),
    path("remise/", till.discount, name="discount"),
    path("attente/", till.park, name="park"),
    path("attente/<str:draft_id>/reprendre/", till.resume, name="resume"),
    path("valider/", till.validate, name="validate"),
    path("ticket/<str:number>/", documents.receipt, name="receipt"),
    path("ticket/<str:number>/imprimer/", printer.receipt_print_view, name="receipt_print"),
    path("facture/<str:number>/", documents.invoice_a4, name="invoice_a4"),
    path("avoir/", documents.credit_note_find, name="credit_note_find"),
    path("avoir/ticket/<str:number>/", documents.credit_note_receipt, name="credit_note_receipt"),
    path("avoir/<str:number>/", documents.credit_note, name="credit_note"),
    path("session/", session.session_page, name="session"),
    path("session/ouvrir/", session.session_open_view, name="session_open"),
    path("session/mouvement/", session.session_move, name="session_move"),
    path("session/fermer/", session.session_close_view, name="session_close"),
    path("session/<int:number>/z/", session.session_z, name="session_z"),
    path("session/<int:number>/z/imprimer/", printer.session_z_print, name="session_z_print"),
    path("tiroir/", printer.drawer_open_view, name="drawer_open"),
    path("formation/", training.training, name="training"),
    path("formation/ticket/<str:number>/", training.training_receipt, name="training_receipt"),
    path("mes-ventes/", lookup.my_sales, name="my_sales"),
    path("stock/", lookup.stock_lookup, name="stock_lookup"),
    path("afficheur/", display.display_page, name="display"),
    path("afficheur/etat.json", display.display_state, name="display_state"),
    path("afficheur/montant/", display.display_tendered, name="display_tendered"),
]
