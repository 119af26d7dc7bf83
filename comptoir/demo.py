"""``comptoir demo``: a hub and a till with sample data, served on loopback.

This process never configures Django: each home has its own settings (role, database),
so every step that touches a home runs in a child process of the real CLI — ``hub init``
/ ``node init``, then ``demo_populate``, then ``serve``. Texts go through the standard
``gettext`` (Django's is not available before its settings), French by default.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from gettext import gettext as _
from gettext import ngettext
from pathlib import Path

from comptoir.home import read_config

ADMIN_USER = "admin"
ADMIN_PASSWORD = "demo1234"
DONE_MARKER = ".demo-populated"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class DemoHome:
    name: str
    role: str
    label: str
    init_args: tuple[str, ...]
    populate_args: tuple[str, ...]


def _homes(days: int) -> tuple[DemoHome, ...]:
    return (
        DemoHome(
            name="hub",
            role="hub",
            label=_("Serveur central (hub)"),
            init_args=("--store", "Vente en ligne"),
            populate_args=("--catalogue-only",),
        ),
        DemoHome(
            name="till1",
            role="node",
            label=_("Caisse 1 (node)"),
            init_args=(
                "--store",
                "Épicerie du Marché",
                "--till-name",
                "Caisse 1",
                "--prefix",
                "C1",
            ),
            populate_args=("--days", str(days)),
        ),
    )


def child_env() -> dict[str, str]:
    """The environment of the children: each home decides its own database and settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COMPTOIR_HOME")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _comptoir(*args: str) -> list[str]:
    return [sys.executable, "-m", "comptoir", *args]


def _prepare(home: DemoHome, path: Path) -> bool:
    """Create and populate ``path`` unless a previous run did; False on failure."""
    if read_config(path) is not None:
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
        return False
    print(_("%(label)s : création dans %(path)s…") % {"label": home.label, "path": path})
    init = subprocess.run(
        _comptoir(
            home.role,
            "init",
            "--home",
            str(path),
            "--admin-user",
            ADMIN_USER,
            "--admin-password",
            ADMIN_PASSWORD,
            *home.init_args,
        ),
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        sys.stderr.write(init.stdout + init.stderr)
        return False
    print(_("%(label)s : données d'exemple") % {"label": home.label})
    populate = subprocess.run(
        _comptoir("demo_populate", "--home", str(path), *home.populate_args),
        env=child_env(),
        check=False,
    )
    if populate.returncode != 0:
        return False
    (path / DONE_MARKER).touch()
    return True


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll ``url`` until it answers (any HTTP status) or the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve(base: Path, homes: Sequence[DemoHome], port: int) -> int:
    ports = {home.name: port + index for index, home in enumerate(homes)}
    busy = [p for p in ports.values() if not port_is_free(p)]
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
                "(le hub prend PORT, la caisse PORT+1).\n"
            )
        )
        return 1
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for home in homes:
            # WhiteNoise warns at start-up when STATIC_ROOT (the home's static/) is missing.
            (base / home.name / "static").mkdir(exist_ok=True)
            bind = f"127.0.0.1:{ports[home.name]}"
            processes.append(
                subprocess.Popen(
                    _comptoir("serve", "--home", str(base / home.name), "--bind", bind),
                    env=child_env(),
                    stdout=subprocess.DEVNULL,
                )
            )
        for home, process in zip(homes, processes, strict=True):
            url = f"http://127.0.0.1:{ports[home.name]}/admin/login/"
            if not wait_until_up(url, process, START_TIMEOUT):
                sys.stderr.write(
                    _("Erreur : %(label)s n'a pas démarré (%(url)s).\n")
                    % {"label": home.label, "url": url}
                )
                return 1
        print()
        print(_("La démonstration est prête :"))
        for home in homes:
            print(f"  {home.label:<24} http://127.0.0.1:{ports[home.name]}/admin/")
        print(
            _("Identifiant / mot de passe : %(user)s / %(password)s")
            % {"user": ADMIN_USER, "password": ADMIN_PASSWORD}
        )
        print(
            _(
                "Le hub a le catalogue, la caisse a aussi le stock et les ventes : la "
                "synchronisation arrive avec le moteur de synchronisation."
            )
        )
        print(_("Ctrl-C pour arrêter."))
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        sys.stderr.write(_("Erreur : un serveur s'est arrêté de lui-même.\n"))
        return 1
    except KeyboardInterrupt:
        print(_("\nArrêt des serveurs…"))
        return 0
    finally:
        stop(processes)


def run_demo(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="comptoir demo",
        description=_("Crée un hub et une caisse avec des données d'exemple, puis les sert."),
    )
    parser.add_argument(
        "--home", help=_("dossier de la démonstration (sinon un dossier temporaire)")
    )
    parser.add_argument(
        "--port", type=int, default=8000, help=_("port du hub ; la caisse prend le suivant")
    )
    parser.add_argument("--days", type=int, default=21, help=_("jours de ventes à générer"))
    parser.add_argument("--no-serve", action="store_true", help=_("préparer sans servir"))
    args = parser.parse_args(argv)
    if not 0 < args.port < 65535:
        parser.error(_("port invalide : %(port)s") % {"port": args.port})
    if args.days < 0:
        parser.error(_("le nombre de jours doit être positif"))
    if args.home:
        base = Path(args.home).expanduser().resolve()
    else:
        base = Path(tempfile.mkdtemp(prefix="comptoir-demo-"))
        print(_("Dossier de la démonstration : %(path)s") % {"path": base})
    base.mkdir(parents=True, exist_ok=True)
    homes = _homes(args.days)
    for home in homes:
        if not _prepare(home, base / home.name):
            return 1
    if args.no_serve:
        print(
            _("Démonstration prête dans %(path)s (identifiant : %(user)s / %(password)s).")
            % {"path": base, "user": ADMIN_USER, "password": ADMIN_PASSWORD}
        )
        print(_("Pour la servir : comptoir demo --home %(path)s") % {"path": base})
        return 0
    return _serve(base, homes, args.port)
