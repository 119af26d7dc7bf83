from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "comptoir.events"
    label = "events"
    verbose_name = _("Événements techniques")

    def ready(self) -> None:
        from comptoir.events import journal_setup, signals, sync_setup
        from comptoir.events.services import broken_link_logged, store_identity_changed
        from comptoir.journal.hooks import broken_link_hook_register
        from comptoir.stores.services import store_identity_hook_register

        sync_setup.register()
        journal_setup.register()
        signals.connect()
        # stores sits below events: it calls the log back through this hook.
        store_identity_hook_register(store_identity_changed)
        # journal sits below events: a broken link found on arrival comes back through this.
        broken_link_hook_register(broken_link_logged)
