"""A post started on a new version of comptoir: its database is brought up to date at start,
after a backup (``comptoir serve``, hence ``comptoir start``).

The backup goes where the daily ones go (``backup_dir``, default ``HOME/backups``) and is
checked like them; if it cannot be made, nothing is migrated and the post does not start:
a migration is the one write that an older version cannot undo.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from comptoir.backups import BackupError, make_backup
from comptoir.home import HomeConfig
from comptoir.lib.errors import ValidationError
from comptoir.syncengine import refill

log = logging.getLogger("comptoir.serve")


def pending_migrations() -> list[str]:
    """The migrations this code has that the database lacks (``app.name``), in order."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def migrate_at_start(home: Path, config: HomeConfig) -> Path | None:
    """Apply the pending migrations after a checked backup; the backup's path, or None when
    the database was up to date. :class:`ValidationError` (nothing migrated) if the backup
    fails."""
    pending = pending_migrations()
    if not pending:
        # A hub on PostgreSQL keeps its cache in its database: its table may be new.
        call_command("createcachetable", verbosity=0)
        return None
    # What the synced tables lack before migrating: taken from the hub at the next sync
    # (the pages it served this post's previous version left them out).
    found = refill.lacking() if config.role == "node" and config.hub_url else None
    folder = config.backup_path(home)
    try:
        backup = make_backup(home, folder)
    except (BackupError, OSError) as exc:
        raise ValidationError(
            _(
                "Mise à jour de la base refusée : la sauvegarde qui la précède a échoué "
                "(%(error)s) ; la base n'a pas été modifiée."
            )
            % {"error": exc}
        ) from None
    log.info(
        "sauvegarde avant mise à jour de la base : %s (%d migrations)", backup.path, len(pending)
    )
    if found:
        refill.mark_refill(home, found)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    return backup.path
