"""``comptoir demo``: a hub and two tills of one store, syncing for real over HTTP.

The hub gets the catalogue and the stock receipts; each till enrolls with the hub
(``hub enroll`` + ``node init --server``), receives the catalogue, then rings up its
own weeks of sales; once served, the tills' background workers push those sales and
receive each other's, so that all three converge within seconds.

This process never configures Django: each home has its own settings (role, database),
so every step that touches a home runs in a child process of the real CLI
(:mod:`comptoir.devtools.processes`). Texts go
through :mod:`comptoir.console` (Django's are not available before its settings), in the
language of ``--language``, which the homes created get too.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from comptoir.console import (
    LANGUAGES,
    ConsoleParser,
    _,
    config_error_text,
    language_of,
    language_option,
    ngettext,
    speak,
)
from comptoir.devtools import processes
from comptoir.devtools.processes import child_env, comptoir_argv, port_is_free, wait_until_up
from comptoir.home import ConfigError, read_config

ADMIN_USER = "admin"
ADMIN_PASSWORD = "demo1234"
CASHIER_USER = "caisse"
CASHIER_PASSWORD = "caisse-demo"
DONE_MARKER = ".demo-populated"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class DemoHome:
    name: str
    role: str
    label: str
    populate_args: tuple[str, ...]
    prefix: str = ""


def run_step(args: list[str], *, quiet: bool = True) -> subprocess.CompletedProcess[str] | None:
    """Run a CLI step in a child process; None (after printing why) when it failed."""
    done = processes.run(args, capture=quiet, stdin=None)
    if done.returncode != 0:
        if quiet:
            sys.stderr.write(done.stdout + done.stderr)
        return None
    return done


def stop(servers: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every server (a graceful stop for uvicorn, as Ctrl-C is; on Windows a plain
    terminate), then a kill to whichever has not stopped within 10 s. Not SIGINT: after a
    Ctrl-C at the terminal the servers already have one, and a second one would cut their
    graceful stop short (uvicorn then forces its exit, with a traceback)."""
    processes.stop_processes(servers, sig=signal.SIGTERM, group=False)


HUB = "hub"  # the hub's folder, inside the demonstration's
STORE = "Épicerie du Marché"
SALES_PER_DAY = 25


def _homes(days: int) -> tuple[DemoHome, ...]:
    return (
        DemoHome(
            name=HUB,
            role="hub",
            label=_("Serveur central (hub)"),
            # Stock for two tills' sales: the hub plans its deliveries for both.
            populate_args=(
                "--days",
                str(days),
                "--no-sales",
                "--sales-per-day",
                str(2 * SALES_PER_DAY),
            ),
        ),
        *(
            DemoHome(
                name=f"till{n}",
                role="node",
                label=_("Caisse %(n)d (node)") % {"n": n},
                populate_args=(
                    "--days",
                    str(days),
                    "--no-reference",
                    "--no-stock",
                    "--sales-per-day",
                    str(SALES_PER_DAY),
                    "--activity-seed",
                    f"demo-till-{n}",
                ),
                prefix=f"C{n}",
            )
            for n in (1, 2)
        ),
    )


def _already(home: DemoHome, path: Path) -> bool | None:
    """True if a previous run prepared ``path``, False if not started, None if broken."""
    if read_config(path) is None:
        return False
    if (path / DONE_MARKER).exists():
        print(
            _("%(label)s : dossier existant %(path)s, réutilisé.")
            % {"label": home.label, "path": path}
        )
        return True
    sys.stderr.write(
        _(
            "Erreur : %(path)s est incomplet (démonstration interrompue pendant sa "
            "préparation). Supprimez-le ou choisissez un autre --home.\n"
        )
        % {"path": path}
    )
    return None


def _populate(home: DemoHome, path: Path) -> bool:
    print(_("%(label)s : données d'exemple") % {"label": home.label})
    if run_step(["demo_populate", "--home", str(path), *home.populate_args], quiet=False) is None:
        return False
    (path / DONE_MARKER).touch()
    return True


def _prepare_hub(home: DemoHome, path: Path, language: str) -> bool:
    state = _already(home, path)
    if state is not False:
        return bool(state)
    print(_("%(label)s : création dans %(path)s…") % {"label": home.label, "path": path})
    if not _init("hub", path, language, "--store", STORE, "--till-name", "Vente en ligne"):
        return False
    return _populate(home, path)


def _init(role: str, path: Path, language: str, *options: str) -> bool:
    """``comptoir hub|node init`` of a demonstration home, with its manager's login."""
    init = [role, "init", "--home", str(path), "--language", language, *options]
    return (
        run_step([*init, "--admin-user", ADMIN_USER, "--admin-password", ADMIN_PASSWORD])
        is not None
    )


def _prepare_till(home: DemoHome, path: Path, hub: Path, hub_url: str, language: str) -> bool:
    """Enroll a till with the running hub, receive the catalogue, ring up its sales."""
    state = _already(home, path)
    if state is not False:
        return bool(state)
    print(_("%(label)s : enrôlement auprès du hub…") % {"label": home.label})
    enrolled = run_step(
        [
            "hub",
            "enroll",
            "--home",
            str(hub),
            "--name",
            home.label.split(" (")[0],
            "--prefix",
            home.prefix,
        ]
    )
    if enrolled is None:
        return False
    code = enrolled.stdout.strip().splitlines()[-1]
    if not _init("node", path, language, "--server", hub_url, "--code", code):
        return False
    cashier = [
        "user",
        "add",
        CASHIER_USER,
        "--role",
        "cashier",
        "--password",
        CASHIER_PASSWORD,
        "--home",
        str(path),
    ]
    if run_step(cashier) is None:
        return False
    return _populate(home, path)


# How a server's log line names its logger (``settings.LOGGING``'s format): the idle sync
# cycles (« Rien à échanger », every few seconds) have a logger of their own.
IDLE_LOGGER = " comptoir.sync.idle: "
# Exit codes of a server that was stopped rather than one that failed: 0 after a graceful
# stop (a server never ends by itself with 0), interrupted or terminated (POSIX: minus the
# signal's number, or 128 + it from a shell), Ctrl-C on Windows (STATUS_CONTROL_C_EXIT).
STOPPED = frozenset({0, -2, -15, 130, 143, 0xC000013A})
# Seconds a Ctrl-C may take to reach this process after it stopped a server (the terminal
# sends it to every process at once).
INTERRUPT_GRACE = 1.0


@dataclass
class Served:
    """A running server, and the thread that copies its log lines to this terminal."""

    home: DemoHome
    process: subprocess.Popen[bytes]
    relay: threading.Thread


_terminal = threading.Lock()


def post_name(home: DemoHome) -> str:
    """The post's name as its log lines are prefixed with (« Caisse 1 »)."""
    return home.label.split(" (")[0]


def relay_line(post: str, line: str, *, verbose: bool) -> str | None:
    """A server's log line as the demonstration's terminal shows it: prefixed with its post,
    so that the tills' lines can be told apart; an idle sync cycle only if ``verbose``."""
    if not verbose and IDLE_LOGGER in line:
        return None
    return f"[{post}] {line.rstrip()}"


def _relay(home: DemoHome, stream: IO[bytes], verbose: bool) -> None:
    post = post_name(home)
    for raw in stream:
        shown = relay_line(post, raw.decode("utf-8", "replace"), verbose=verbose)
        if shown is not None:
            with _terminal:
                print(shown, flush=True)
    stream.close()


def _start(home: DemoHome, path: Path, port: int, verbose: bool) -> Served | None:
    """Serve a home on ``port`` (a till also runs its sync worker), its log lines relayed to
    this terminal; None if it fails."""
    # WhiteNoise warns at start-up when STATIC_ROOT (the home's static/) is missing.
    (path / "static").mkdir(exist_ok=True)
    process = subprocess.Popen(
        comptoir_argv(
            "serve", "--home", str(path), "--bind", f"127.0.0.1:{port}", "--interval", "10"
        ),
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    relay = threading.Thread(
        target=_relay, args=(home, process.stderr, verbose), name=f"relay-{home.name}"
    )
    relay.daemon = True
    relay.start()
    served = Served(home, process, relay)
    url = f"http://127.0.0.1:{port}/connexion/"
    if not wait_until_up(url, process, START_TIMEOUT):
        sys.stderr.write(
            _("Erreur : %(label)s n'a pas démarré (%(url)s).\n") % {"label": home.label, "url": url}
        )
        _stop_all([served])
        return None
    return served


def _stop_all(served: Sequence[Served]) -> None:
    """Stop the servers (a second Ctrl-C meanwhile kills them), then let their relays
    print what they said last."""
    try:
        stop([s.process for s in served])
    except KeyboardInterrupt:
        for each in served:
            each.process.kill()
            each.process.wait()
    for each in served:
        each.relay.join(5.0)


def _until_stopped(served: Sequence[Served]) -> Served | None:
    """Wait until Ctrl-C (None) or until a server ends by itself (that server).

    Ctrl-C in a terminal reaches every process of the demonstration at once: a server may
    end before this process hears of it, so a server that ended as stopped servers do,
    followed by the interruption within ``INTERRUPT_GRACE``, is a normal stop too."""
    while True:
        ended = [s for s in served if s.process.poll() is not None]
        if ended:
            break
        time.sleep(0.2)
    time.sleep(INTERRUPT_GRACE)  # a Ctrl-C on its way raises KeyboardInterrupt here
    if all(s.process.returncode in STOPPED for s in ended):
        return None
    return next(s for s in ended if s.process.returncode not in STOPPED)


def _ports_free(ports: Sequence[int]) -> bool:
    busy = [p for p in ports if not port_is_free(p)]
    if busy:
        sys.stderr.write(
            ngettext(
                "Erreur : le port %(ports)s est déjà utilisé sur 127.0.0.1.",
                "Erreur : les ports %(ports)s sont déjà utilisés sur 127.0.0.1.",
                len(busy),
            )
            % {"ports": ", ".join(map(str, busy))}
            + " "
            + _(
                "Arrêtez le programme qui l'occupe ou choisissez d'autres ports avec --port "
                "(le hub prend PORT, les caisses PORT+1 et PORT+2).\n"
            )
        )
    return not busy


def _demo(
    base: Path,
    homes: Sequence[DemoHome],
    port: int,
    *,
    serve: bool,
    language: str,
    verbose: bool = False,
) -> int:
    ports = {home.name: port + index for index, home in enumerate(homes)}
    if not _ports_free(list(ports.values())):
        return 1
    hub, tills = homes[0], homes[1:]
    if not _prepare_hub(hub, base / hub.name, language):
        return 1
    served: list[Served] = []
    try:
        hub_served = _start(hub, base / hub.name, ports[hub.name], verbose)
        if hub_served is None:
            return 1
        served.append(hub_served)
        hub_url = f"http://127.0.0.1:{ports[hub.name]}"
        for till in tills:
            if not _prepare_till(till, base / till.name, base / hub.name, hub_url, language):
                return 1
        if not serve:
            print(
                _("Démonstration prête dans %(path)s (identifiant : %(user)s / %(password)s).")
                % {"path": base, "user": ADMIN_USER, "password": ADMIN_PASSWORD}
            )
            print(_("Pour la servir : comptoir demo --home %(path)s") % {"path": base})
            return 0
        for till in tills:
            till_served = _start(till, base / till.name, ports[till.name], verbose)
            if till_served is None:
                return 1
            served.append(till_served)
        with _terminal:
            _ready(base, homes, tills, ports)
        crashed = _until_stopped(served)
    except KeyboardInterrupt:
        crashed = None
        with _terminal:
            print(_("\nArrêt des serveurs…"), flush=True)
    finally:
        _stop_all(served)
    if crashed is not None:
        sys.stderr.write(
            _(
                "Erreur : %(label)s s'est arrêté de lui-même (code %(code)s) ; voir ses "
                "lignes ci-dessus.\n"
            )
            % {"label": crashed.home.label, "code": crashed.process.returncode}
        )
        return 1
    print(_("Démo arrêtée."))
    return 0


def _ready(
    base: Path, homes: Sequence[DemoHome], tills: Sequence[DemoHome], ports: dict[str, int]
) -> None:
    print()
    print(_("La démonstration est prête :"))
    for home in homes:
        print(f"  {home.label:<24} http://127.0.0.1:{ports[home.name]}/")
    print(
        _("Gérant : %(user)s / %(password)s ; caissier (sur les caisses) : %(c)s / %(cp)s")
        % {
            "user": ADMIN_USER,
            "password": ADMIN_PASSWORD,
            "c": CASHIER_USER,
            "cp": CASHIER_PASSWORD,
        }
    )
    print(
        _(
            "Les caisses envoient leurs ventes au hub et reçoivent celles de l'autre "
            "caisse en arrière-plan : vérifiez avec « comptoir verify --home %(path)s »."
        )
        % {"path": base / tills[0].name}
    )
    print(_("Ctrl-C pour arrêter."), flush=True)


def run_demo(argv: Sequence[str]) -> int:
    speak(language_option(argv))
    parser = ConsoleParser(
        prog="comptoir demo",
        description=_(
            "Crée un hub et deux caisses synchronisées avec des données d'exemple, puis les sert."
        ),
    )
    parser.add_argument(
        "--home", help=_("dossier de la démonstration (sinon un dossier temporaire)")
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        help=_("port du hub ; les caisses prennent les deux suivants"),
    )
    parser.add_argument("--days", type=int, default=21, help=_("jours de ventes à générer"))
    parser.add_argument("--no-serve", action="store_true", help=_("préparer sans servir"))
    parser.add_argument(
        "--verbose",
        action="store_true",
        help=_("afficher aussi les cycles de synchronisation sans échange"),
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default="fr",
        help=_("langue de la démonstration : console, commandes et pages (fr par défaut)"),
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65533:
        parser.error(_("port invalide : %(port)s") % {"port": args.port})
    if args.days < 0:
        parser.error(_("le nombre de jours doit être positif"))
    if args.home:
        base = Path(args.home).expanduser().resolve()
    else:
        base = Path(tempfile.mkdtemp(prefix="comptoir-demo-"))
        print(_("Dossier de la démonstration : %(path)s") % {"path": base})
    base.mkdir(parents=True, exist_ok=True)
    # A demonstration run again keeps the language its hub was created in.
    language = language_of(base / HUB, default=args.language)
    speak(language)
    # Stopped by a signal (systemd, timeout, kill): stop the servers too, as on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    # The homes' labels are texts: built now, in that language.
    homes = _homes(args.days)
    for home in homes:
        try:
            read_config(base / home.name)
        except ConfigError as exc:
            sys.stderr.write(_("Erreur : %(message)s") % {"message": config_error_text(exc)} + "\n")
            return 2
    return _demo(
        base,
        homes,
        args.port,
        serve=not args.no_serve,
        language=language,
        verbose=args.verbose,
    )
