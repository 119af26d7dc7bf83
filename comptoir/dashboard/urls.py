from django.urls import path

from comptoir.dashboard import journal_views, sessions_views, views

urlpatterns = [
    path("", views.index, name="index"),
    path("donnees.json", views.data, name="data"),
    path("sessions/", sessions_views.session_list_view, name="sessions"),
    path("sessions/<uuid:pk>/z/", sessions_views.session_z_view, name="session_z"),
    path("journal/", journal_views.journal_view, name="journal"),
    path("journal/verifier/", journal_views.journal_verify_view, name="journal_verify"),
]
