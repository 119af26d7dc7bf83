from django.urls import path

from comptoir.dashboard import archive_views, views

urlpatterns = [
    path("", views.index, name="index"),
    path("donnees.json", views.data, name="data"),
    path("archives/", archive_views.archives, name="archives"),
    path(
        "archives/<uuid:store>/<str:period>.zip",
        archive_views.archive_download,
        name="archive_download",
    ),
]
