from django.contrib.auth import views as auth_views
from django.urls import path

from comptoir.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("etat-synchro/", views.sync_badge, name="sync_badge"),
]
