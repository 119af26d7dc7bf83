"""``comptoir serve``: the web application under uvicorn (ASGI)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from comptoir import __version__, health
from comptoir.closings.services import closings_close_due
from comptoir.closings.worker import ClosingsWorker
from comptoir.events.services import post_started, post_stopped
from comptoir.home import SHARED_CACHE_ENV
from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.lib.management.base import ComptoirCommand
from comptoir.lib.security import trusted_proxies
from comptoir.maintenance import MaintenanceWorker
from comptoir.ops.openfiles import open_files_raised
from comptoir.ops.upgrade import migrate_at_start
from comptoir.syncengine.compaction import CompactionWorker
from comptoir.syncengine.restored import hub_new_post

log = logging.getLogger("comptoir.serve")


def parse_bind(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError(
            _("Adresse d'écoute invalide : « %(value)s » (HOTE:PORT).") % {"value": value}
        )
    return host.strip("[]") or "127.0.0.1", int(port)


class Command(ComptoirCommand):
    help = _("Sert l'application web (interface et administration).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help=_("HOTE:PORT d'écoute"))
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            help=_("secondes entre deux synchronisations complètes (caisse)"),
        )
        parser.add_argument(
            "--no-sync", action="store_true", help=_("ne pas synchroniser en arrière-plan (caisse)")
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            choices=range(1, 17),
            metavar="N",
            help=_("processus serveurs (hub sur PostgreSQL : un par cœur)"),
        )
        parser.add_argument("--tls-cert", default="", help=_("certificat HTTPS (PEM)"))
        parser.add_argument("--tls-key", default="", help=_("clé privée HTTPS (PEM)"))
        parser.add_argument(
            "--trusted-proxy",
            action="append",
            default=None,
            metavar="ADRESSE",
            help=_(
                "relais inverse dont on croit X-Forwarded-For et X-Forwarded-Proto (adresse "
                "ou réseau, répétable ; remplace trusted_proxies de comptoir.toml)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_bind(options["bind"])
        workers = options["workers"]
        proxies = trusted_proxies(
            options["trusted_proxy"]
            if options["trusted_proxy"] is not None
            else (settings.COMPTOIR_CONFIG.trusted_proxies if settings.COMPTOIR_CONFIG else [])
        )
        if workers > 1 and (settings.COMPTOIR_ROLE != "hub" or connection.vendor != "postgresql"):
            raise ValidationError(
                _(
                    "--workers n'a de sens que pour un hub sur PostgreSQL (une caisse a un seul "
                    "fichier SQLite)."
                )
            )
        if workers > 1:  # read by each server process's settings (see there)
            os.environ[SHARED_CACHE_ENV] = "1"
        maintenance = None
        damage = None
        home, config = settings.COMPTOIR_HOME, settings.COMPTOIR_CONFIG
        if settings.COMPTOIR_ROLE == "node":
            damage = health.check_at_start()
            if damage is not None:
                self.stderr.write(
                    _("⚠ %(sentence)s") % {"sentence": health.damage_sentence(damage)}
                )
        if home is not None and config is not None and damage is None:
            # A new version of comptoir on this home: its database is brought up to date
            # first, after a backup (a damaged one is left as it is, to be restored).
            backup = migrate_at_start(home, config)
            if backup is not None:
                self.stdout.write(
                    _("Base mise à jour pour comptoir %(version)s, après une sauvegarde : %(path)s")
                    % {"version": __version__, "path": backup}
                )
        if settings.COMPTOIR_ROLE == "hub":
            # A hub restored from a backup goes on under a new post of its own (its old
            # post's records made since the backup come back from the tills).
            new_post = hub_new_post()
            if new_post is not None:
                self.stdout.write(
                    _(
                        "Serveur restauré : il continue sous un nouveau poste (%(prefix)s) ; "
                        "les caisses lui renvoient ce qu'il a perdu."
                    )
                    % {"prefix": new_post.prefix}
                )
        if settings.COMPTOIR_ROLE == "node" and home is not None and config is not None:
            maintenance = MaintenanceWorker(home, config)
            maintenance.start()
        # A post that was off at midnight closes the periods that are over as it starts, and
        # its start is a technical event. A till that cannot write (a damaged database: said
        # above) still serves, so that its pages say so and what it sold still syncs.
        _unless_refused(closings_close_due)
        _unless_refused(lambda: post_started(version=__version__))
        connection.close()  # the server's threads (and processes) open their own
        worker = None
        if (
            settings.COMPTOIR_ROLE == "node"
            and settings.COMPTOIR_HUB_URL
            and not options["no_sync"]
        ):
            from comptoir.syncengine.worker import SyncWorker

            worker = SyncWorker(interval=max(1.0, options["interval"]), on_cycle=closings_close_due)
            worker.start()
        closer = None
        if worker is None:  # else the sync worker's cycle closes the periods
            closer = ClosingsWorker()
            closer.start()
        compactor = None
        if settings.COMPTOIR_ROLE == "hub":  # the change log compacted daily
            compactor = CompactionWorker()
            compactor.start()
        _journal_verify_at_start()
        _open_files()
        scheme = "https" if options["tls_cert"] else "http"
        self.stdout.write(
            _("comptoir écoute sur %(scheme)s://%(host)s:%(port)d/")
            % {"scheme": scheme, "host": host, "port": port}
        )
        if proxies:
            self.stdout.write(
                _("Relais de confiance : %(proxies)s") % {"proxies": ", ".join(proxies)}
            )
        try:
            uvicorn.run(
                "comptoir.asgi:application",
                host=host,
                port=port,
                log_level="warning",
                # uvicorn's own errors go where the settings send them (console, the
                # home's log files, counted), not to a handler of uvicorn's own.
                log_config=None,
                lifespan="on",
                workers=workers,
                ssl_certfile=options["tls_cert"] or None,
                ssl_keyfile=options["tls_key"] or None,
                # The client's address and scheme are the socket's, unless the connection
                # comes from a configured reverse proxy (uvicorn's default would believe
                # any local client's X-Forwarded-For: a forged one escapes the lockout).
                proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies,
            )
        finally:
            if worker is not None:
                worker.shutdown()
            if closer is not None:
                closer.shutdown()
            if compactor is not None:
                compactor.shutdown()
            if maintenance is not None:
                maintenance.shutdown()
            _unless_refused(lambda: post_stopped(version=__version__))


LOW_OPEN_FILES = 4096


def _open_files() -> None:
    """The server's processes (and uvicorn's, which inherit it) may hold as many
    connections as the system allows: a hub below a few thousand says so."""
    limits = open_files_raised()
    if limits is None:
        return
    before, after = limits
    if after != before:
        log.info("limite de fichiers ouverts relevée de %d à %d", before, after)
    if settings.COMPTOIR_ROLE == "hub" and after < LOW_OPEN_FILES:
        log.warning(
            "le serveur ne peut tenir qu'environ %d connexions à la fois (limite de fichiers"
            " ouverts) : relevez LimitNOFILE (systemd) ou ulimit -n",
            after,
        )


def _unless_refused(write: Callable[[], object]) -> None:
    """A write at start or stop that the post refuses (damaged database) is skipped: the
    refusal is already said, and the server must still come up or go down."""
    try:
        write()
    except ComptoirError as exc:
        log.warning("%s", exc.message)


def _journal_verify_at_start() -> None:
    """The fiscal journal recomputed once at start, beside the server (its result shows on
    the status and sync pages)."""
    import threading

    from django.db import connections

    from comptoir.journal.verify import journal_verify_quietly

    def run() -> None:
        try:
            journal_verify_quietly()
        finally:
            connections.close_all()

    threading.Thread(target=run, name="journal-verify", daemon=True).start()
