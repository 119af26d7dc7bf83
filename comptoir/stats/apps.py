from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "comptoir.stats"
    label = "stats"
    verbose_name = _("Statistiques")

    def ready(self) -> None:
        from comptoir.stats import sync_setup

        sync_setup.register()
