from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncEngineConfig(AppConfig):
    """The engine's commands (``sync``, ``hub``, ``node``, ``status``, ``verify``); its
    tables belong to the ``sync`` app below it."""

    name = "comptoir.syncengine"
    label = "syncengine"
    verbose_name = _("Synchronisation")

    def ready(self) -> None:
        from comptoir import health
        from comptoir.sync import capture
        from comptoir.syncengine import recovery, restored, worker

        capture.on_outbox_written(worker.outbox_changed.set)
        capture.on_local_write(health.ensure_writable)
        capture.on_local_write(recovery.ensure_recovered)
        capture.on_local_write(restored.ensure_new_post)
