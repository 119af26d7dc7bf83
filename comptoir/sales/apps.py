from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "comptoir.sales"
    label = "sales"
    verbose_name = _("Ventes")

    def ready(self) -> None:
        from comptoir.sales import journal_setup, sync_setup
        from comptoir.sales.management import accounts

        sync_setup.register()
        journal_setup.register()
        accounts.register()
