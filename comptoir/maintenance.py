"""A till's daily care while it serves: a backup a day, keeping the last ``backup_keep``, and
the full integrity check of its database (``comptoir.health``); and what ``status`` and the
sync page say of them.

The work runs in a thread of ``comptoir serve`` (:class:`MaintenanceWorker`), never in a
request: the database is copied with SQLite's online backup API on a connection of its own,
which in WAL mode blocks no writer, so the till keeps selling during the copy. What the last
attempts gave is kept in ``HOME/maintenance.json`` (left out of backups: it describes this
home); the backups themselves are found in their folder, so that a copy removed or dated by
hand is seen as it is.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from comptoir.backups import BackupError, make_backup, own_backups
from comptoir.console import _
from comptoir.health import check_database
from comptoir.home import HomeConfig
from comptoir.lib.periodic import PeriodicWorker

log = logging.getLogger("comptoir.maintenance")

STATE_NAME = "maintenance.json"
BACKUP_EVERY = timedelta(days=1)
CHECK_EVERY = timedelta(days=1)
# A failed backup is tried again after this long, not every cycle.
RETRY_AFTER = timedelta(hours=1)
# ``status`` and the sync page warn when the last backup is older than this.
BACKUP_WARN_AGE = timedelta(days=2)
# The worker's first look, after the server started (its start is not slowed), then each look.
FIRST_DELAY_SECONDS = 300.0
CYCLE_SECONDS = 600.0


def _now() -> datetime:
    return datetime.now(UTC)


def read_state(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(home: Path, **changes: object) -> None:
    state = {**read_state(home), **changes}
    partial = home / f"{STATE_NAME}.tmp"
    partial.write_text(json.dumps(state, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(home / STATE_NAME)


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class BackupStatus:
    """Where the backups go and the last one there; ``warning``: what is wrong, or ""."""

    folder: Path
    keep: int
    last_path: Path | None
    last_at: datetime | None
    last_size: int | None
    failed_at: datetime | None
    error: str
    warning: str

    def as_json(self) -> dict[str, object]:
        return {
            "folder": str(self.folder),
            "keep": self.keep,
            "last_path": str(self.last_path) if self.last_path else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "last_size": self.last_size,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "error": self.error or None,
            "warning": self.warning or None,
        }


def backup_status(home: Path, config: HomeConfig, *, now: datetime | None = None) -> BackupStatus:
    """The last backup of this post in its folder, and a warning when it is older than
    :data:`BACKUP_WARN_AGE`, missing, or when the last attempt failed (with why)."""
    now = now or _now()
    folder = config.backup_path(home)
    state = read_state(home).get("backup", {})
    failed_at = _when(state.get("failed_at"))
    error = str(state.get("error") or "")
    last_path = last_at = last_size = None
    warning = ""
    try:
        found = own_backups(folder, config)
        if found:
            last_path = found[0]
            info = last_path.stat()
            last_at, last_size = datetime.fromtimestamp(info.st_mtime, UTC), info.st_size
    except FileNotFoundError:
        pass
    except OSError as exc:
        warning = _("le dossier des sauvegardes %(folder)s est illisible : %(error)s.") % {
            "folder": folder,
            "error": exc.strerror or exc,
        }
    if failed_at is not None and (last_at is None or failed_at > last_at) and error:
        warning = _("la dernière sauvegarde automatique a échoué (%(at)s) : %(error)s") % {
            "at": failed_at.strftime("%d/%m/%Y %H:%M UTC"),
            "error": error.rstrip("."),
        }
    elif last_at is None and not warning:
        warning = _("aucune sauvegarde de ce poste dans %(folder)s.") % {"folder": folder}
    elif last_at is not None and now - last_at > BACKUP_WARN_AGE and not warning:
        warning = _(
            "la dernière sauvegarde date de %(days)d jours (%(path)s) : vérifiez que la caisse "
            "est lancée et que le dossier %(folder)s est accessible."
        ) % {"days": (now - last_at).days, "path": last_path, "folder": folder}
    return BackupStatus(
        folder, config.backup_keep, last_path, last_at, last_size, failed_at, error, warning
    )


def prune_backups(folder: Path, config: HomeConfig) -> list[Path]:
    """Remove this post's backups beyond the ``backup_keep`` newest; returns those removed.
    Other posts' files, and files that are not backups, are never touched."""
    removed = []
    for path in own_backups(folder, config)[config.backup_keep :]:
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def scheduled_backup(home: Path, config: HomeConfig, *, now: datetime | None = None) -> Path:
    """Make a backup into the configured folder, then keep the last ``backup_keep``; the
    outcome is remembered for ``status``. Raises :class:`BackupError` (or ``OSError``)."""
    now = now or _now()
    folder = config.backup_path(home)
    try:
        backup = make_backup(home, folder, now=now)
        prune_backups(folder, config)
    except (BackupError, OSError) as exc:
        message = str(exc) if isinstance(exc, BackupError) else (exc.strerror or str(exc))
        _write_state(home, backup={"failed_at": now.isoformat(), "error": message})
        raise
    _write_state(home, backup={"made_at": now.isoformat(), "path": str(backup.path)})
    return backup.path


def maintenance_cycle(home: Path, config: HomeConfig, *, now: datetime | None = None) -> None:
    """One look: the full check if none for a day, a backup if none for a day (a failed one
    is tried again after :data:`RETRY_AFTER`). Errors are logged, never raised."""
    now = now or _now()
    state = read_state(home)
    if not config.database_url:
        checked = _when(state.get("integrity_check_at"))
        if checked is None or now - checked >= CHECK_EVERY:
            damage = check_database(config.database_path(home), full=True)
            _write_state(home, integrity_check_at=now.isoformat())
            if damage is not None:
                log.error("base de données endommagée : %s", damage.verdict)
    status = backup_status(home, config, now=now)
    due = status.last_at is None or now - status.last_at >= BACKUP_EVERY
    retry = status.failed_at is None or now - status.failed_at >= RETRY_AFTER
    if due and retry:
        try:
            path = scheduled_backup(home, config, now=now)
        except (BackupError, OSError) as exc:
            log.error("sauvegarde automatique impossible : %s", exc)
        else:
            log.info("sauvegarde automatique : %s", path)


class MaintenanceWorker(PeriodicWorker):
    """The thread of ``comptoir serve`` (a till) that runs :func:`maintenance_cycle`."""

    name = "comptoir-maintenance"

    def __init__(self, home: Path, config: HomeConfig, *, first_delay: float = FIRST_DELAY_SECONDS):
        super().__init__(interval=CYCLE_SECONDS, first_delay=first_delay)
        self.home, self.config = home, config

    def cycle(self) -> None:
        try:
            maintenance_cycle(self.home, self.config)
        except Exception:  # the till must keep working whatever happens here
            log.exception("erreur de maintenance (nouvel essai plus tard)")
