"""``comptoir start``: the till's launcher. Serves the home with its sync worker (as
``comptoir serve``), waits until it answers, opens the till screen in the browser, and runs
until stopped; a second launcher for the same home only opens the browser.

Stopping needs no POSIX signal: Ctrl+C (or Ctrl+Break on Windows), a stopped service
(SIGTERM from systemd) and a launcher that gave up waiting all end the server the same way,
through uvicorn's own graceful shutdown, in this one process (there is no child to stop);
the sync worker is then stopped by ``serve``. A task that Windows ends is terminated
outright, which a till's database (SQLite, ``synchronous=FULL``) survives.
"""

from __future__ import annotations

import _thread
import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError, ValidationError
from comptoir.ops import launcher
from comptoir.ops.management.commands.serve import Command as ServeCommand
from comptoir.ops.management.commands.serve import parse_bind


class Command(ServeCommand):
    help = _(
        "Sert la caisse avec sa synchronisation, puis ouvre l'écran de caisse dans le "
        "navigateur ; si elle est déjà servie, ouvre seulement le navigateur."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help=_("HOTE:PORT d'écoute"))
        parser.add_argument(
            "--no-browser", action="store_true", help=_("ne pas ouvrir le navigateur")
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=launcher.START_TIMEOUT,
            metavar="SECONDES",
            help=_("attente maximale du démarrage de la caisse"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_bind(options["bind"])
        timeout = options["timeout"]
        if not 0 < timeout <= 3600:
            raise ValidationError(
                _("--timeout doit être compris entre 0 et 3600 secondes (reçu : %(value)s).")
                % {"value": timeout}
            )
        browser = not options["no_browser"]
        home = settings.COMPTOIR_HOME
        assert home is not None  # the entry point refuses a command without a home
        lock = launcher.HomeLock(Path(home))
        if not lock.acquire():
            self._already_served(lock, timeout, browser)
            return
        try:
            if launcher.port_in_use(host, port):
                raise ComptoirError(
                    _(
                        "le port %(port)d de %(host)s est déjà utilisé par un autre programme ; "
                        "arrêtez-le ou choisissez un autre port avec --bind HOTE:PORT."
                    )
                    % {"port": port, "host": host}
                )
            url = launcher.browse_url(host, port)
            lock.publish(url)
            self._serve(url, options["bind"], timeout, browser)
        finally:
            lock.release()

    def _already_served(self, lock: launcher.HomeLock, timeout: float, browser: bool) -> None:
        url = lock.served_url()
        if url is None or not launcher.wait_until_answers(url + launcher.READY_PATH, timeout):
            raise ComptoirError(
                _(
                    "un autre « comptoir start » sert déjà ce dossier mais ne répond pas "
                    "(%(url)s) ; attendez qu'il ait démarré, ou arrêtez-le puis relancez."
                )
                % {"url": url or "?"}
            )
        self.stdout.write(_("La caisse de ce dossier est déjà servie : %(url)s") % {"url": url})
        if browser:
            self._open(url)

    def _serve(self, url: str, bind: str, timeout: float, browser: bool) -> None:
        self.gave_up = False
        watcher = threading.Thread(
            target=self._watch, args=(url, timeout, browser), name="comptoir-start", daemon=True
        )
        # A service stop (SIGTERM; Ctrl+Break on Windows) ends the server as Ctrl+C does:
        # uvicorn shuts down gracefully, then gives the signal back to this handler.
        previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in _STOPS}
        try:
            watcher.start()
            super().handle(
                bind=bind,
                interval=60.0,
                no_sync=False,
                workers=1,
                tls_cert="",
                tls_key="",
                trusted_proxy=None,
            )
        except KeyboardInterrupt:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self.gave_up:
            raise ComptoirError(
                _(
                    "la caisse n'a pas répondu sur %(url)s en %(timeout)g secondes ; elle est "
                    "arrêtée. Voyez le journal logs/comptoir.log du dossier de données."
                )
                % {"url": url, "timeout": timeout}
            )
        self.stdout.write(_("Caisse arrêtée."))

    def _watch(self, url: str, timeout: float, browser: bool) -> None:
        """In a thread: once the till answers, say so and open the browser; if it does not
        answer in time, stop the server (uvicorn takes this as Ctrl+C)."""
        if launcher.wait_until_answers(url + launcher.READY_PATH, timeout):
            self.stdout.write(_("Caisse prête : %(url)s (Ctrl+C pour arrêter)") % {"url": url})
            if browser:
                self._open(url)
        else:
            self.gave_up = True
            _thread.interrupt_main()

    def _open(self, url: str) -> None:
        till = url + launcher.TILL_PATH
        if not launcher.open_browser(till):
            self.stdout.write(
                _("Aucun navigateur n'a pu être ouvert : ouvrez %(url)s.") % {"url": till}
            )


# What stops a served till besides Ctrl+C: SIGTERM everywhere, and Ctrl+Break on Windows.
_STOPS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGBREAK", None)) if s is not None)
