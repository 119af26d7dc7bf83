from django.urls import path

from comptoir.dashboard import views

urlpatterns = [
    path("", views.index, name="index"),
    path("donnees.json", views.data, name="data"),
]
