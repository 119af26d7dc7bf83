from django.urls import path

from comptoir.dashboard import (
    archive_views,
    journal_views,
    receivables_views,
    sessions_views,
    views,
)

urlpatterns = [
    path("", views.index, name="index"),
    path("donnees.json", views.data, name="data"),
    path("archives/", archive_views.archives, name="archives"),
    path(
        "archives/<uuid:store>/<str:period>.zip",
        archive_views.archive_download,
        name="archive_download",
    ),
    path("sessions/", sessions_views.session_list_view, name="sessions"),
    path("sessions/<uuid:pk>/z/", sessions_views.session_z_view, name="session_z"),
    path("journal/", journal_views.journal_view, name="journal"),
    path("creances/", receivables_views.receivables_view, name="receivables"),
    path("journal/verifier/", journal_views.journal_verify_view, name="journal_verify"),
]
