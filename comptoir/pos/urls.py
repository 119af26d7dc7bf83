from django.urls import path

from comptoir.web.placeholder import placeholder

urlpatterns = [path("", placeholder, name="index")]
