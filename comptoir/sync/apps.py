from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "comptoir.sync"
    label = "sync"
    verbose_name = _("Synchronisation")

    def ready(self) -> None:
        from comptoir.sync import schema

        # Once per migrate (the signal is sent for every app: only this one's counts).
        post_migrate.connect(schema.after_migrate, sender=self, dispatch_uid="comptoir_bounds")
