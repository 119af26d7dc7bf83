"""``comptoir hub check``: what is wrong with a hub on its server, before a shop finds out.

Each check gives :class:`Finding` values: what was found, and for a problem what to do.
The checks read the settings, the home's configuration, the database, the backups folder
and the disk; with a public address (``url``) they also ask the hub through its reverse
proxy whether HTTPS reaches comptoir as HTTPS. Nothing is written anywhere.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http.request import validate_host
from django.utils.translation import gettext as _

from comptoir.backups import BackupError, postgres_tool
from comptoir.home import HomeConfig
from comptoir.lib.db import database_error_message
from comptoir.lib.numbers import format_seconds

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
# One year is what browsers' preload lists ask; less is accepted down to half a year.
MIN_HSTS_SECONDS = 180 * 24 * 3600
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
SECURE_TRANSPORT = "comptoir.lib.security.secure_transport"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"


@dataclass(frozen=True)
class Finding:
    """One result: ``ok`` or a problem, what was found (``text``) and what to do (``fix``)."""

    check: str
    ok: bool
    text: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ok(check: str, text: str) -> Finding:
    return Finding(check, True, text)


def _problem(check: str, text: str, fix: str) -> Finding:
    return Finding(check, False, text, fix)


# Django's deployment checks that comptoir answers in its own way (why, for the operator).
def _covered() -> dict[str, str]:
    redirect = _("la redirection de HTTP vers HTTPS est faite par le relais (deploy/nginx)")
    cookies = _("comptoir marque ce cookie Secure sur chaque requête HTTPS (lib/security.py)")
    domain = _(
        "includeSubDomains et preload engagent tout le domaine : un choix de l'exploitant, "
        "pas de comptoir"
    )
    return {
        "security.W008": redirect,
        "security.W012": cookies,
        "security.W016": cookies,
        "security.W005": domain,
        "security.W021": domain,
    }


def check_debug() -> Iterator[Finding]:
    if settings.DEBUG:
        yield _problem(
            "debug",
            _("Le mode débogage est activé : une erreur montre le code et la configuration."),
            _("Retirez COMPTOIR_DEBUG du fichier d'environnement du service, puis redémarrez."),
        )
    else:
        yield _ok("debug", _("Mode débogage désactivé."))


def check_allowed_hosts(url: str = "") -> Iterator[Finding]:
    hosts = [h for h in settings.ALLOWED_HOSTS if h]
    fix = _(
        "Mettez le nom public du serveur dans COMPTOIR_ALLOWED_HOSTS (fichier d'environnement "
        "du service), par exemple COMPTOIR_ALLOWED_HOSTS=hub.example.org, puis redémarrez."
    )
    if "*" in hosts:
        yield _problem(
            "allowed_hosts",
            _(
                "Tous les noms d'hôte sont acceptés (« * ») : les liens des e-mails et des "
                "redirections peuvent être détournés."
            ),
            fix,
        )
        return
    public = [h for h in hosts if h not in LOOPBACK_HOSTS]
    if not public:
        yield _problem(
            "allowed_hosts",
            _(
                "Seules les adresses locales sont acceptées (%(hosts)s) : le serveur refuse "
                "les requêtes qui arrivent par son nom public."
            )
            % {"hosts": ", ".join(hosts) or "-"},
            fix,
        )
    elif url and not validate_host(urlsplit(url).hostname or "", hosts):
        yield _problem(
            "allowed_hosts",
            _("« %(host)s » n'est pas dans les hôtes autorisés (%(hosts)s).")
            % {"host": urlsplit(url).hostname, "hosts": ", ".join(hosts)},
            fix,
        )
    else:
        yield _ok("allowed_hosts", _("Hôtes autorisés : %(hosts)s.") % {"hosts": ", ".join(hosts)})


def check_https(config: HomeConfig | None, url: str = "", ca_file: str = "") -> Iterator[Finding]:
    proxies = list(config.trusted_proxies) if config else []
    wide = [p for p in proxies if ipaddress.ip_network(p, strict=False).prefixlen == 0]
    if wide:
        yield _problem(
            "trusted_proxies",
            _(
                "trusted_proxies contient %(p)s : n'importe qui peut se faire passer pour un "
                "autre client (blocage des connexions contourné)."
            )
            % {"p": ", ".join(wide)},
            _(
                "Ne listez dans trusted_proxies (comptoir.toml) que l'adresse d'où se connecte "
                'votre relais, par exemple ["127.0.0.1"].'
            ),
        )
    elif not proxies:
        yield _problem(
            "trusted_proxies",
            _(
                "Aucun relais de confiance : derrière nginx, comptoir ne sait pas que la "
                "connexion est en HTTPS (ni cookies Secure, ni HSTS) et bloque les connexions "
                "à l'adresse du relais au lieu de celle du client."
            ),
            _(
                "Ajoutez trusted_proxies = [\"127.0.0.1\"] à comptoir.toml (l'adresse d'où "
                "nginx se connecte), puis redémarrez le service."
            ),
        )
    else:
        yield _ok(
            "trusted_proxies",
            _("Relais de confiance : %(p)s.") % {"p": ", ".join(proxies)},
        )
    if SECURE_TRANSPORT in settings.MIDDLEWARE:
        yield _ok("secure_cookies", _("Cookies marqués Secure sur les requêtes HTTPS."))
    else:
        yield _problem(
            "secure_cookies",
            _("Les cookies ne sont pas marqués Secure en HTTPS (%(m)s manque dans MIDDLEWARE).")
            % {"m": SECURE_TRANSPORT},
            _("Remettez les réglages d'origine de comptoir (comptoir/settings.py)."),
        )
    hsts = int(settings.SECURE_HSTS_SECONDS or 0)
    if SECURITY_MIDDLEWARE in settings.MIDDLEWARE and hsts >= MIN_HSTS_SECONDS:
        yield _ok("hsts", _("HSTS envoyé en HTTPS (%(days)d jours).") % {"days": hsts // 86400})
    else:
        yield _problem(
            "hsts",
            _("HSTS n'est pas envoyé, ou pour moins de %(days)d jours.")
            % {"days": MIN_HSTS_SECONDS // 86400},
            _("Remettez les réglages d'origine de comptoir (comptoir/settings.py)."),
        )
    if url:
        yield _live_https(url, ca_file)


def _live_https(url: str, ca_file: str) -> Finding:
    """The login page through the public address: HTTPS as comptoir sees it."""
    page = url.rstrip("/") + "/connexion/"
    if urlsplit(url).scheme != "https":
        return _problem(
            "https_live",
            _("%(url)s n'est pas une adresse HTTPS.") % {"url": url},
            _("Donnez l'adresse publique du serveur en https://."),
        )
    try:
        verify = ssl.create_default_context(cafile=ca_file or None)
        response = httpx.get(page, verify=verify, timeout=15, follow_redirects=False)
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        return _problem(
            "https_live",
            _("%(url)s ne répond pas en HTTPS : %(error)s") % {"url": page, "error": exc},
            _(
                "Vérifiez que nginx est démarré (systemctl status nginx), son certificat, et que "
                "comptoir répond derrière lui (systemctl status comptoir)."
            ),
        )
    proxy_fix = _(
        "Dans la configuration de nginx : proxy_set_header X-Forwarded-Proto $scheme ; et "
        "l'adresse d'où nginx se connecte dans trusted_proxies (comptoir.toml)."
    )
    if response.status_code != 200:
        return _problem(
            "https_live",
            _("%(url)s répond %(status)d au lieu de 200.")
            % {"url": page, "status": response.status_code},
            _(
                "Un 400 vient des hôtes autorisés (COMPTOIR_ALLOWED_HOSTS) ; un 502 d'un "
                "comptoir arrêté (journalctl -u comptoir)."
            ),
        )
    cookies = [c.lower() for c in response.headers.get_list("set-cookie")]
    if (
        "strict-transport-security" not in response.headers
        or not cookies
        or not all("; secure" in c for c in cookies)
    ):
        return _problem(
            "https_live",
            _(
                "À travers %(url)s, comptoir croit la connexion en HTTP : pas de HSTS ni de "
                "cookies Secure."
            )
            % {"url": url},
            proxy_fix,
        )
    return _ok(
        "https_live",
        _("%(url)s répond en HTTPS, avec HSTS et des cookies Secure.") % {"url": url},
    )


def check_database() -> Iterator[Finding]:
    """PostgreSQL reachable, in a supported version, with every migration applied; its
    clock; the change log's compaction. Stops at the first of these that fails (the
    others need it)."""
    if connection.vendor != "postgresql":
        yield _problem(
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
            yield _problem(
                "database",
                database_error_message(exc) or str(exc),
                _("Vérifiez database_url dans comptoir.toml et que PostgreSQL est démarré."),
            )
            return
        major = _server_major()
        if major < MIN_POSTGRES:
            yield _problem(
                "database",
                _("PostgreSQL %(v)d n'est plus pris en charge (%(min)d ou plus récent).")
                % {"v": major, "min": MIN_POSTGRES},
                _("Mettez PostgreSQL à jour (pg_upgradecluster sous Debian)."),
            )
        else:
            yield _ok("database", _("PostgreSQL %(v)d joignable.") % {"v": major})
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
        yield _problem(
            "migrations",
            _(
                "La base a des migrations que ce code ne connaît pas (%(m)s) : une version plus "
                "récente de comptoir l'a déjà mise à jour."
            )
            % {"m": ", ".join(unknown[:3])},
            _("Installez la version de comptoir qui a migré cette base (ou plus récente)."),
        )
    elif plan:
        yield _problem(
            "migrations",
            _("%(n)d migrations ne sont pas appliquées (%(first)s...).")
            % {"n": len(plan), "first": f"{plan[0][0].app_label}.{plan[0][0].name}"},
            _(
                "Arrêtez le service, lancez « comptoir migrate », puis redémarrez-le "
                "(systemctl restart comptoir)."
            ),
        )
    else:
        yield _ok("migrations", _("Toutes les migrations sont appliquées."))


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
        return _problem(
            "clock",
            _("L'horloge de ce serveur et celle de PostgreSQL diffèrent de %(s)s.")
            % {"s": format_seconds(abs(offset), 1)},
            _(
                "Synchronisez l'heure des deux serveurs (NTP : « timedatectl set-ntp true », "
                "ou chrony)."
            ),
        )
    return _ok(
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
        yield _problem("backups", _("Aucune sauvegarde dans %(dir)s.") % {"dir": backups}, schedule)
    else:
        newest = files[-1]
        age = (time.time() if now is None else now) - newest.stat().st_mtime
        when = datetime.fromtimestamp(newest.stat().st_mtime, tz=UTC)
        values = {"name": newest.name, "hours": age / 3600, "when": f"{when:%Y-%m-%d %H:%M} UTC"}
        if age > BACKUP_MAX_AGE_SECONDS:
            yield _problem(
                "backups",
                _("La dernière sauvegarde (%(name)s, %(when)s) a %(hours).0f heures.") % values,
                _("Voyez pourquoi elle ne se fait plus (journalctl -u comptoir-backup). ")
                + schedule,
            )
        else:
            yield _ok(
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
        return _problem(
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
    return _ok(
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
        return _problem(
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
        return _problem(
            "pg_dump",
            _("pg_dump %(tool)d ne sait pas sauvegarder un serveur PostgreSQL %(server)d.")
            % {"tool": tool_major, "server": server_major},
            _("Installez postgresql-client-%(server)d.") % {"server": server_major},
        )
    return _ok("pg_dump", _("pg_dump %(tool)d disponible.") % {"tool": tool_major})


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
            yield _problem(
                "disk",
                _("Plus que %(free).1f Go libres (%(share).0f %%) sous %(path)s.") % values,
                _(
                    "Libérez de la place (anciennes sauvegardes, journaux) ou agrandissez le "
                    "disque."
                ),
            )
        else:
            yield _ok(
                "disk",
                _("%(free).1f Go libres sous %(path)s.") % values,
            )


def check_django_deploy() -> Iterator[Finding]:
    """Django's ``check --deploy``: each warning or error is a problem, except those that
    comptoir answers in its own way (said, and why)."""
    covered = _covered()
    for message in sorted(
        checks.run_checks(include_deployment_checks=True), key=lambda m: m.id or ""
    ):
        if message.level < checks.WARNING or message.is_silenced():
            continue
        name = message.id or "?"
        if name in covered:
            yield _ok(
                "django_deploy",
                _("Django %(id)s : sans objet, %(why)s.") % {"id": name, "why": covered[name]},
            )
        else:
            yield _problem(
                "django_deploy",
                _("Django %(id)s : %(msg)s") % {"id": name, "msg": message.msg},
                str(message.hint or _("Voyez la documentation de Django sur ce contrôle.")),
            )


def hub_check(
    *,
    config: HomeConfig | None,
    home: Path,
    backups: Path,
    url: str = "",
    ca_file: str = "",
) -> list[Finding]:
    """Every check, in the order an operator reads them."""
    return [
        *check_debug(),
        *check_allowed_hosts(url),
        *check_https(config, url, ca_file),
        *check_database(),
        *check_backups(backups),
        *check_disk(home, backups),
        *check_django_deploy(),
    ]
