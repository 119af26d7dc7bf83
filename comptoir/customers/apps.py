from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "comptoir.customers"
    label = "customers"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from comptoir.customers import sync_setup

        sync_setup.register()
