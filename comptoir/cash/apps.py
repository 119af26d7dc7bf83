from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CashConfig(AppConfig):
    name = "comptoir.cash"
    label = "cash"
    verbose_name = _("Caisse")

    def ready(self) -> None:
        from comptoir.cash import journal_setup, sync_setup
        from comptoir.cash.services import session_open_for_sale
        from comptoir.sales.hooks import quick_sale_hook_register

        sync_setup.register()
        journal_setup.register()
        # cash sits above sales: sales calls it back through this hook, never an import.
        quick_sale_hook_register(session_open_for_sale)
