from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "comptoir.stock"
    label = "stock"
    verbose_name = _("Stock")

    def ready(self) -> None:
        from comptoir.stock import sync_setup

        sync_setup.register()
