"""The checks of what the hub keeps: PostgreSQL (reachable, its version, migrations, its
clock, the change log's compaction), the backups and ``pg_dump``, the disk."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from comptoir.backups import BackupError, postgres_tool
from comptoir.lib.db import database_error_message
from comptoir.lib.numbers import format_seconds
from comptoir.syncengine.hubcheck.findings import (
    Finding,
    ok,
    problem,
)

# The oldest PostgreSQL that the Django in use supports (Django 5.2: 14).
MIN_POSTGRES = 14
# A hub makes a backup every day (deploy/comptoir-backup.timer): two days without one is
# one missed run too many.
BACKUP_MAX_AGE_SECONDS = 2 * 24 * 3600
# Below either, a day of pushes, logs and a backup may not fit.
MIN_FREE_BYTES = 2 * 1024**3
MIN_FREE_SHARE = 0.10
# Between this server's clock and the database server's. Both should follow NTP (well
# under a second); the hub's clock is what the tills' clocks are measured against.
CLOCK_TOLERANCE_SECONDS = 2.0


def check_database() -> Iterator[Finding]:
    """PostgreSQL reachable, in a supported version, with every migration applied; its
    clock; the change log's compaction. Stops at the first of these that fails (the
    others need it)."""
    if connection.vendor != "postgresql":
        yield problem(
            "database",
            _(
                "Ce hub utilise SQLite : bien pour une démonstration, pas pour un serveur "
                "(un seul processus, pas de sauvegarde à chaud de PostgreSQL)."
            ),
            _(
                "Créez une base PostgreSQL (deploy/postgresql-setup.sh) et initialisez le hub "
                "dessus : comptoir hub init --database-url postgresql://..."
            ),
        )
    else:
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            yield problem(
                "database",
                database_error_message(exc) or str(exc),
                _("Vérifiez database_url dans comptoir.toml et que PostgreSQL est démarré."),
            )
            return
        major = _server_major()
        if major < MIN_POSTGRES:
            yield problem(
                "database",
                _("PostgreSQL %(v)d n'est plus pris en charge (%(min)d ou plus récent).")
                % {"v": major, "min": MIN_POSTGRES},
                _("Mettez PostgreSQL à jour (pg_upgradecluster sous Debian)."),
            )
        else:
            yield ok("database", _("PostgreSQL %(v)d joignable.") % {"v": major})
    migrations = list(check_migrations())
    yield from migrations
    if connection.vendor == "postgresql":
        yield check_clock()
    if all(finding.ok for finding in migrations):  # (its tables may be missing otherwise)
        yield check_compaction()


def _server_major() -> int:
    """The PostgreSQL server's major version (``connection`` is PostgreSQL's)."""
    version: int = connection.pg_version  # type: ignore[attr-defined]
    return version // 10000


def check_migrations() -> Iterator[Finding]:
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    plan = executor.migration_plan(graph.leaf_nodes())
    unknown = sorted(
        f"{app}.{name}"
        for app, name in executor.loader.applied_migrations
        if app in executor.loader.migrated_apps and (app, name) not in graph.nodes
    )
    if unknown:
        yield problem(
            "migrations",
            _(
                "La base a des migrations que ce code ne connaît pas (%(m)s) : une version plus "
                "récente de comptoir l'a déjà mise à jour."
            )
            % {"m": ", ".join(unknown[:3])},
            _("Installez la version de comptoir qui a migré cette base (ou plus récente)."),
        )
    elif plan:
        yield problem(
            "migrations",
            _("%(n)d migrations ne sont pas appliquées (%(first)s...).")
            % {"n": len(plan), "first": f"{plan[0][0].app_label}.{plan[0][0].name}"},
            _(
                "Arrêtez le service, lancez « comptoir migrate », puis redémarrez-le "
                "(systemctl restart comptoir)."
            ),
        )
    else:
        yield ok("migrations", _("Toutes les migrations sont appliquées."))


def clock_offset() -> float:
    """Seconds the database server's clock is ahead of this one's (negative: behind)."""
    with connection.cursor() as cursor:
        before = time.time()
        cursor.execute("SELECT extract(epoch FROM clock_timestamp())")
        after = time.time()
        (remote,) = cursor.fetchone()
    return float(remote) - (before + after) / 2


def check_clock() -> Finding:
    offset = clock_offset()
    if abs(offset) > CLOCK_TOLERANCE_SECONDS:
        return problem(
            "clock",
            _("L'horloge de ce serveur et celle de PostgreSQL diffèrent de %(s)s.")
            % {"s": format_seconds(abs(offset), 1)},
            _(
                "Synchronisez l'heure des deux serveurs (NTP : « timedatectl set-ntp true », "
                "ou chrony)."
            ),
        )
    return ok(
        "clock",
        _("Horloge à l'heure de PostgreSQL (écart %(s)s).") % {"s": format_seconds(offset, 1)},
    )


def check_backups(backups: Path, *, now: float | None = None) -> Iterator[Finding]:
    schedule = _(
        "Planifiez « comptoir backup » chaque jour (deploy/comptoir-backup.timer : "
        "systemctl enable --now comptoir-backup.timer)."
    )
    files = (
        sorted(backups.glob("*.zip"), key=lambda p: p.stat().st_mtime) if backups.is_dir() else []
    )
    if not files:
        yield problem("backups", _("Aucune sauvegarde dans %(dir)s.") % {"dir": backups}, schedule)
    else:
        newest = files[-1]
        age = (time.time() if now is None else now) - newest.stat().st_mtime
        when = datetime.fromtimestamp(newest.stat().st_mtime, tz=UTC)
        values = {"name": newest.name, "hours": age / 3600, "when": f"{when:%Y-%m-%d %H:%M} UTC"}
        if age > BACKUP_MAX_AGE_SECONDS:
            yield problem(
                "backups",
                _("La dernière sauvegarde (%(name)s, %(when)s) a %(hours).0f heures.") % values,
                _("Voyez pourquoi elle ne se fait plus (journalctl -u comptoir-backup). ")
                + schedule,
            )
        else:
            yield ok(
                "backups",
                _("Dernière sauvegarde : %(name)s, il y a %(hours).1f heures.") % values,
            )
    if connection.vendor == "postgresql":
        yield check_pg_dump()


COMPACTION_SLACK_DAYS = 2  # the daily compaction may be a day late before it is said


def check_compaction(*, now: datetime | None = None) -> Finding:
    """The change log is compacted (DESIGN § 9): its oldest entry is no older than the
    horizon, give or take the daily run."""
    from comptoir.sync.models import ChangeLog, LogCompaction
    from comptoir.syncengine.compaction import horizon_days

    now = now or datetime.now(tz=UTC)
    days = horizon_days()
    oldest = ChangeLog.objects.order_by("seq").values_list("created_at", flat=True).first()
    state = LogCompaction.objects.filter(pk=1).first()
    ran = state.ran_at if state is not None else None
    last = (
        _("il y a %(hours).0f heures") % {"hours": max(0.0, (now - ran).total_seconds() / 3600)}
        if ran is not None
        else _("jamais")
    )
    age = (now - oldest).days if oldest is not None else 0
    if age > days + COMPACTION_SLACK_DAYS:
        return problem(
            "compaction",
            _(
                "Le journal des changements n'est plus compacté : son entrée la plus ancienne "
                "a %(age)d jours (horizon : %(days)d jours) ; dernier compactage : %(last)s."
            )
            % {"age": age, "days": days, "last": last},
            _(
                "Voyez le journal du serveur (journalctl -u comptoir), puis lancez "
                "« comptoir hub compact »."
            ),
        )
    return ok(
        "compaction",
        _(
            "Journal des changements compacté (horizon : %(days)d jours) ; dernier compactage : "
            "%(last)s."
        )
        % {"days": days, "last": last},
    )


def check_pg_dump() -> Finding:
    """``pg_dump`` present and not older than the server (it refuses to dump a newer one)."""
    try:
        tool = postgres_tool("pg_dump")
        output = subprocess.run(
            [tool, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (BackupError, OSError, subprocess.SubprocessError) as exc:
        return problem(
            "pg_dump",
            str(exc),
            _("Installez le client PostgreSQL : apt-get install postgresql-client."),
        )
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    tool_major = int(found.group(1)) if found else 0
    try:
        server_major = _server_major()
    except DatabaseError:  # said by check_database
        server_major = 0
    if tool_major < server_major:
        return problem(
            "pg_dump",
            _("pg_dump %(tool)d ne sait pas sauvegarder un serveur PostgreSQL %(server)d.")
            % {"tool": tool_major, "server": server_major},
            _("Installez postgresql-client-%(server)d.") % {"server": server_major},
        )
    return ok("pg_dump", _("pg_dump %(tool)d disponible.") % {"tool": tool_major})


def check_disk(*paths: Path) -> Iterator[Finding]:
    """Free space on each disk that holds one of ``paths`` (the first existing parent)."""
    seen: set[int] = set()
    for path in paths:
        target = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
        device = target.stat().st_dev
        if device in seen:
            continue
        seen.add(device)
        usage = shutil.disk_usage(target)
        share = usage.free / usage.total if usage.total else 0.0
        values = {"path": path, "free": usage.free / 1024**3, "share": share * 100}
        if usage.free < MIN_FREE_BYTES or share < MIN_FREE_SHARE:
            yield problem(
                "disk",
                _("Plus que %(free).1f Go libres (%(share).0f %%) sous %(path)s.") % values,
                _(
                    "Libérez de la place (anciennes sauvegardes, journaux) ou agrandissez le "
                    "disque."
                ),
            )
        else:
            yield ok(
                "disk",
                _("%(free).1f Go libres sous %(path)s.") % values,
            )
