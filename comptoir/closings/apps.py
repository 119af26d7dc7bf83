from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingsConfig(AppConfig):
    name = "comptoir.closings"
    label = "closings"
    verbose_name = _("Clôtures")

    def ready(self) -> None:
        from comptoir.closings import journal_setup, sync_setup
        from comptoir.closings.services import closings_close_before_document
        from comptoir.sales.hooks import document_hook_register

        sync_setup.register()
        journal_setup.register()
        # closings sit above sales: sales calls them back through this hook, never an import.
        document_hook_register(closings_close_before_document)
