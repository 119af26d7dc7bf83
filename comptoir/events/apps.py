from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "comptoir.events"
    label = "events"
    verbose_name = _("Événements techniques")

    def ready(self) -> None:
        from comptoir.events import journal_setup, signals, sync_setup
        from comptoir.events.services import store_identity_changed
        from comptoir.stores.services import store_identity_hook_register

        sync_setup.register()
        journal_setup.register()
        signals.connect()
        # stores sits below events: it calls the log back through this hook.
        store_identity_hook_register(store_identity_changed)
