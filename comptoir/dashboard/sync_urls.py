from django.urls import path

from comptoir.dashboard import sync_views

urlpatterns = [
    path("", sync_views.index, name="index"),
    path("maintenant/", sync_views.now, name="now"),
]
