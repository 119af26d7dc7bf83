from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    name = "comptoir.stores"
    label = "core"
    verbose_name = _("Magasins et caisses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from comptoir.stores import sync_setup

        sync_setup.register()
