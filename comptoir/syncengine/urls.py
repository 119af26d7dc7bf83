from django.urls import path

from comptoir.syncengine import views

urlpatterns = [
    path("push", views.push, name="sync-push"),
    path("pull", views.pull, name="sync-pull"),
    path("enroll", views.enroll, name="sync-enroll"),
    path("snapshot", views.snapshot_view, name="sync-snapshot"),
    path("digest", views.digest, name="sync-digest"),
    path("recovery", views.recovery_view, name="sync-recovery"),
    path("openapi.json", views.openapi, name="sync-openapi"),
]
